// Issue 14 §6 through the compiled CLI (build first: npx tsc -p .): -o json|yaml envelopes on stdout, a
// bad config as kind: Error with file, line and field (exit 2), -v's command log on stderr, and verify
// -o json against the real control plane of the integration cluster.
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_API_VERSION } from '../../src/cli/output.js';
import { loadManifests } from '../../src/k8s/manifests.js';
import { KubeClient } from '../../src/kube/client.js';
import { integrationCluster } from './context.js';

const cli = resolve('bin/homelab-dr.js');
const suffix = randomBytes(3).toString('hex');
let dir: string;
let kube: KubeClient;
const created: string[] = [];

function run(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, XDG_STATE_HOME: join(dir, 'xdg') }, timeout: 110_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hdr-output-'));
  cpSync(resolve('config/example'), join(dir, 'example'), { recursive: true });
  kube = await KubeClient.fromKubeconfig(integrationCluster().kubeconfig);
});

afterAll(async () => {
  for (const name of created) await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name });
  kube.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('-o json|yaml through the compiled CLI', () => {
  it('lint -o json of a broken config: exit 2, a kind: Error envelope on stdout naming file, line and field', () => {
    const config = join(dir, 'example/broken.yaml');
    cpSync(resolve('test/bad-input/05-wrong-type-integer/homelab.yaml'), config);
    const { code, out, err } = run(['lint', '-c', config, '-o', 'json']);
    expect(code).toBe(2);
    const doc = JSON.parse(out);
    expect(doc).toMatchObject({ apiVersion: OUTPUT_API_VERSION, kind: 'Error', exitCode: 2, reason: 'BadInput', metadata: { command: 'lint' } });
    expect(doc.problems).toEqual([{ check: 'config', file: config, line: 8, column: expect.any(Number), field: 'cluster.servers', message: expect.stringContaining('must be an integer') }]);
    // The person still reads the same lines on stderr.
    expect(err).toContain(`${config}:${doc.problems[0].line}:`);
  });

  it('plan -o yaml: a Plan envelope whose steps carry plan lines and problem records, and the blast radius as data', () => {
    const { code, out } = run(['plan', '-c', join(dir, 'example/homelab.yaml'), '-o', 'yaml', '--state-dir', join(dir, 'plan-state')]);
    expect(code).toBe(0);
    const doc = parse(out);
    expect(doc.apiVersion).toBe(OUTPUT_API_VERSION);
    expect(doc.kind).toBe('Plan');
    expect(doc.steps.map((s: { id: string }) => s.id)).toContain('reseal-secrets');
    for (const step of doc.steps) expect(step.problems).toEqual([]);
    expect(doc.blastRadius).toMatchObject({ command: 'hard-reset', cluster: 'homelab', provider: 'kwok', live: { reachable: false }, access: { throughCluster: false } });
    expect(doc.blastRadius.rollback[0]).toEqual({ step: 'preflight', leftIn: expect.stringContaining('nothing touched') });
  });

  it('-v logs each external command as a JSON line on stderr; stdout keeps only the envelope', () => {
    const { code, out, err } = run(['lint', '-c', join(dir, 'example/homelab.yaml'), '-v', '-o', 'json']);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ kind: 'LintResult', ok: true, problems: [] });
    const commands = err.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; cmd?: string }).filter((l) => l.msg === 'exec');
    expect(commands.some((c) => /helm(-v[\d.]+\/helm)? template argocd /.test(c.cmd ?? ''))).toBe(true);
    expect(commands.some((c) => /kubectl kustomize /.test(c.cmd ?? ''))).toBe(true);
  });
});

describe('verify -o json against the real control plane', () => {
  it("is a VerifyResult: ok with the config's namespaces in place, and a problem record for one that is missing", async () => {
    const { root, cluster } = integrationCluster();
    const nsFile = join(dir, 'example/kubernetes/cluster/namespaces.yaml');
    for (const { obj } of await loadManifests(nsFile)) {
      if (!(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: obj.metadata.name! }))) created.push(obj.metadata.name!);
      await kube.apply(obj);
    }
    const flags = ['-c', join(dir, 'example/homelab.yaml'), '--provider', 'kwok', '--state-dir', dirname(root), '--name', cluster, '--only', 'namespaces', '-o', 'json'];
    const green = run(['verify', ...flags]);
    expect(green.err).toBe('');
    expect(green.code).toBe(0);
    expect(JSON.parse(green.out)).toMatchObject({ apiVersion: OUTPUT_API_VERSION, kind: 'VerifyResult', cluster, ok: true, steps: [{ step: 'namespaces', ok: true, missing: [] }], problems: [] });

    const missing = `oc-missing-${suffix}`;
    appendFileSync(nsFile, `---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${missing}\n`);
    const red = run(['verify', ...flags]);
    expect(red.code).toBe(1);
    const doc = JSON.parse(red.out);
    expect(doc).toMatchObject({ kind: 'VerifyResult', ok: false });
    expect(doc.problems).toEqual([{ step: 'namespaces', message: `namespace ${missing} does not exist` }]);
  });
});
