// Issue 12, scenario 1: `dr-test --provider k3d` of the e2e homelab on the real k3d tier. Every step goes
// green with the controller's and the app's images pulled through the registry mirror given at creation;
// the throwaway cluster is then torn down and leaves no container, network or volume. Scenario 3's last
// point: an app whose container reads a key its Secret lacks is CreateContainerConfigError on the real
// kubelet (kwok hid this), and the run names it. Scenarios 2 to 4 share one production cluster in
// e2e/k3d-production.test.ts.
// The e2e homelab is e2e/homelab, prepared for the tier by bench/k3d-tier.ts; where the tier is missing,
// this file says so and skips.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { k3dTierFromEnv, prepareE2eHomelab } from '../bench/k3d-tier.js';
import { docker, k3dTier, runK3d, whyK3dCannotRun } from './k3d-tier.js';

const RUN_TIMEOUT_MS = 900_000;
const tier = k3dTier();
const skipReason = whyK3dCannotRun() ?? (tier ? undefined : 'the k3d tier env is not set (source <(bash scripts/k3d-tier.sh env))');
if (skipReason) console.log(`e2e/k3d-dr-test.test.ts SKIPPED: ${skipReason}`);

interface DrTest {
  status: number | null;
  output: string;
  events: Array<Record<string, unknown>>;
}

/** dr-test of a prepared copy of the e2e homelab in `work`, after `edit` changed the copy. */
async function drTest(work: string, name: string, edit: (homelab: string) => void = () => undefined): Promise<DrTest> {
  const found = k3dTierFromEnv();
  if ('skip' in found) throw new Error(found.skip);
  const homelab = join(work, 'homelab');
  const config = prepareE2eHomelab(homelab, found.tier, join(work, 'pv'), { clusterName: `${name}-${process.pid.toString(36)}` });
  edit(homelab);
  const run = runK3d('dr-test', config, join(work, 'state'), [], RUN_TIMEOUT_MS);
  return { status: run.status, output: `${run.stdout}${run.stderr}`, events: run.events };
}

describe.skipIf(skipReason !== undefined)('dr-test of the e2e homelab on real k3d', () => {
  let work = '';
  let status: number | null = null;
  let output = '';
  let events: Array<Record<string, unknown>> = [];
  const startedAt = new Date();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'hdr-e2e-drtest-'));
    ({ status, output, events } = await drTest(work, 'hdr-drt'));
  }, RUN_TIMEOUT_MS + 60_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('every step is green', () => {
    expect(status, output).toBe(0);
    const steps = ['create-cluster', 'namespaces', 'storage', 'sealed-secrets-controller', 'sealed-secrets-available', 'reseal-secrets', 'apps'];
    for (const id of steps) {
      expect(events.filter((e) => e.t === 'step' && e.id === id).at(-1)?.status, id).toMatch(/^(applied|unchanged)$/);
    }
    expect(output).toContain('proof: every step that ran verifies again on the finished cluster');
  });

  test('the controller and the app were pulled through the registry mirror', () => {
    // Only what the registry served since this run started counts.
    const log = spawnSync('docker', ['logs', '--since', startedAt.toISOString(), tier!.registryContainer], { encoding: 'utf8' });
    const served = `${log.stdout}${log.stderr}`;
    for (const image of [tier!.sealedSecretsImage, tier!.appImage]) {
      expect(served).toContain(`/v2/${image.split(':')[0]}/manifests/`);
    }
  });

  test('the throwaway cluster is gone: no container, network or volume left', () => {
    const cluster = events.find((e) => e.t === 'run')?.cluster as string;
    expect(cluster).toMatch(/-dt-/);
    expect(output).toContain(`teardown: cluster ${cluster} deleted`);
    expect(docker(['ps', '-a', '--filter', `label=k3d.cluster=${cluster}`, '--format', '{{.Names}}'])).toEqual([]);
    expect(docker(['network', 'ls', '--filter', `label=k3d.cluster=${cluster}`, '--format', '{{.Name}}'])).toEqual([]);
    expect(docker(['volume', 'ls', '--filter', `label=k3d.cluster=${cluster}`, '--format', '{{.Name}}'])).toEqual([]);
    // The node's anonymous volumes carry no label: none may be left dangling from this run.
    const dangling = docker(['volume', 'ls', '--filter', 'dangling=true', '--format', '{{.Name}}']);
    const leaked = dangling.filter((v) => new Date(docker(['volume', 'inspect', '--format', '{{.CreatedAt}}', v])[0] ?? '') >= startedAt);
    expect(leaked).toEqual([]);
  });
});

describe.skipIf(skipReason !== undefined)('an app reading a key its Secret lacks, on a real kubelet', () => {
  let work = '';
  let run: DrTest;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'hdr-e2e-drtest-key-'));
    run = await drTest(work, 'hdr-key', (homelab) => {
      const app = join(homelab, 'kubernetes', 'apps', 'app.yaml');
      const text = readFileSync(app, 'utf8');
      const anchor = '          env:\n';
      if (!text.includes(anchor)) throw new Error(`${app}: no container env list to add the reference to`);
      writeFileSync(app, text.replace(anchor, `${anchor}            - name: MISSING\n              valueFrom: { secretKeyRef: { name: app-token, key: no-such-key } }\n`));
    });
  }, RUN_TIMEOUT_MS + 60_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the apps step fails, naming CreateContainerConfigError and the missing key', () => {
    expect(run.status, run.output).toBe(1);
    expect(run.events.filter((e) => e.t === 'step' && e.id === 'apps').at(-1)?.status).toBe('failed');
    expect(run.output).toMatch(/FAILED apps: .*CreateContainerConfigError: couldn't find key no-such-key in Secret hdr-apps\/app-token/);
    expect(run.output).toMatch(/teardown: cluster \S+-dt-\S+ deleted/);
  });
});
