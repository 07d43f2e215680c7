import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseCli } from '../../src/cli/args.js';
import { loadForCommand } from '../../src/cli/context.js';
import { runMain } from './cli-capture.js';

const example = resolve('config/example/homelab.yaml');
const demoValues = ['CF_TUNNEL_TOKEN', 'GITLAB_AGENT_TOKEN', 'ARGOCD_REPO_TOKEN'].map((k) =>
  execFileSync(resolve('config/example/secrets/demo-store.sh'), [k], { encoding: 'utf8' }),
);

const cli = runMain;

afterEach(() => vi.restoreAllMocks());
// plan renders the helm and kustomize apps with the real binaries: seconds, not milliseconds.
vi.setConfig({ testTimeout: 60_000 });

// plan and lint render the example's helm chart through the real helm: seconds on a loaded 2-core machine.
describe('cli', { timeout: 30_000 }, () => {
  it('--help lists every command and the exit codes', async () => {
    const { code, out } = await cli('--help');
    expect(code).toBe(0);
    for (const c of ['plan', 'hard-reset', 'dr-test', 'drill', 'schedule', 'verify', 'diagnose', 'lint', 'seal', 'status']) {
      expect(out).toContain(`  ${c}`);
    }
    expect(out).toMatch(/3 refused/);
  });

  it('bad flags and unknown commands are exit 2', async () => {
    expect((await cli('plan', '--frobnicate')).code).toBe(2);
    expect((await cli('explode')).code).toBe(2);
    expect((await cli('plan', '--provider', 'docker')).err).toMatch(/--provider must be one of k3d, kwok, existing/);
  });

  it('plan of the bundled example shows order, groups, per-step plans and the litmus, and no secret value', async () => {
    expect(demoValues.every((v) => v.startsWith('demo-'))).toBe(true);
    const { code, out } = await cli('plan', '--config', example);
    expect(code).toBe(0);
    expect(out).toMatch(/1\. preflight\n\s+2\. delete-cluster \[destructive\]\n\s+3\. create-cluster\n\s+4\. namespaces\n\s+5\. storage \| sealed-secrets-controller/);
    expect(out).toMatch(/3 namespaces \(argocd; networking: enforce=restricted[^)]*; apps: enforce=baseline/);
    expect(out).toContain('PVC apps/appdata-pvc → appdata-pv');
    expect(out).toContain('3 value(s) from store demo: keys CF_TUNNEL_TOKEN, GITLAB_AGENT_TOKEN, ARGOCD_REPO_TOKEN');
    expect(out).toMatch(/git remote \(argocd\/argocd-repo-creds\)\s+https:\/\/gitlab.com\/me\/homelab.git\s+no/);
    expect(out).toContain('No run-time dependency lives inside the cluster being rebuilt.');
    expect(out).not.toContain('PROBLEM');
    for (const v of demoValues) expect(out).not.toContain(v);
    // The blast radius of a hard-reset, counted from the live cluster: here there is none.
    const stateDir = mkdtempSync(join(tmpdir(), 'hdr-plan-br-'));
    const screened = await cli('plan', '--config', example, '--state-dir', stateDir);
    rmSync(stateDir, { recursive: true, force: true });
    expect(screened.out).toContain('If hard-reset ran now:\n  BLAST RADIUS: hard-reset deletes cluster "homelab" (provider kwok)');
    expect(screened.out).toContain('cluster "homelab" does not exist (provider kwok): there is nothing to destroy');
    expect(screened.out).toMatch(/FAILS IN\s+LEFT IN\n\s+preflight\s+nothing touched/);
    const json = await cli('plan', '--config', example, '-o', 'json');
    const report = JSON.parse(json.out);
    expect([report.apiVersion, report.kind]).toEqual(['homelab-dr.io/v1alpha1', 'Plan']);
    // --json stays the old spelling of -o json.
    expect(JSON.parse((await cli('plan', '--config', example, '--json')).out).kind).toBe('Plan');
    expect(report.groups[0]).toEqual(['preflight']);
    expect(report.steps.map((s: { id: string }) => s.id)).toContain('reseal-secrets');
    for (const v of demoValues) expect(json.out).not.toContain(v);
  });

  it('litmus: a store whose host is an Ingress of the cluster is circular; plan says so, hard-reset refuses (exit 3)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hdr-litmus-'));
    cpSync(resolve('config/example'), dir, { recursive: true });
    writeFileSync(
      join(dir, 'kubernetes/networking/base/gitlab-ingress.yaml'),
      'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: gitlab\n  namespace: networking\nspec:\n  rules:\n    - host: gitlab.home.example\n',
    );
    const config = join(dir, 'homelab.yaml');
    const text = readFileSync(config, 'utf8').replace(
      /  demo:\n    type: exec\n    command: \["\.\/secrets\/demo-store\.sh"\]\n/,
      '  demo:\n    type: exec\n    command: ["./secrets/demo-store.sh"]\n  gitlab:\n    type: gitlab\n    url: https://gitlab.home.example\n    project: "42"\n    tokenEnv: GITLAB_TOKEN\n',
    ).replace('token: { store: demo, key: CF_TUNNEL_TOKEN }', 'token: { store: gitlab, key: CF_TUNNEL_TOKEN }');
    writeFileSync(config, text);
    const plan = await cli('plan', '--config', config);
    expect(plan.code).toBe(0);
    expect(plan.out).toMatch(/secret store gitlab \(gitlab\)\s+https:\/\/gitlab\.home\.example\s+YES: CIRCULAR\s+gitlab\.home\.example is served by Ingress networking\/gitlab/);
    const reset = await cli('hard-reset', '--config', config, '--yes', '--state-dir', join(dir, '.state'));
    expect(reset.code).toBe(3);
    expect(reset.err).toMatch(/hard-reset refuses: 2 run-time dependencies live inside the cluster/);
    expect(reset.err).toContain('gitlab.home.example is served by Ingress networking/gitlab');
  });

  it("lint runs preflight's offline checks (names, duplicates, namespaces, PodSecurity), each problem once; preflight itself fails on them", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hdr-lint-'));
    cpSync(resolve('config/example'), dir, { recursive: true });
    const config = join(dir, 'homelab.yaml');
    const clean = await cli('lint', '--config', config);
    expect(clean.code).toBe(0);
    expect(clean.out).toMatch(/^lint: .*: no problems found in \d+ steps$/m);

    const base = join(dir, 'kubernetes/networking/base');
    writeFileSync(join(base, 'extra.yaml'), [
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: networking\n', // line 1: no name
      'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gitlab-agent\n  namespace: networking\n', // line 6: also in gitlab-agent.yaml
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: tunnels\n', // line 12: undeclared namespace
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: root\n  namespace: networking\nspec:\n  containers: [{ name: c, image: busybox }]\n', // line 18
    ].join('---\n'));
    const extra = join(base, 'extra.yaml');
    const { code, out } = await cli('lint', '--config', config);
    expect(code).toBe(1);
    const problems = out.split('\n').filter((l) => l.startsWith('problem: '));
    expect(problems).toEqual([
      `problem: preflight: ${extra}:1: ConfigMap has no metadata.name; add metadata.name (the apiserver rejects an object without one)`,
      `problem: preflight: duplicate ServiceAccount networking/gitlab-agent: declared twice, at ${extra}:6 and ${join(base, 'gitlab-agent.yaml')}:1; each apply would silently replace the one before: keep one and delete the other`,
      expect.stringMatching(new RegExp(`^problem: preflight: namespace tunnels is not declared, but ConfigMap tunnels/x \\(${extra}:12\\) needs it; declare it in `)),
      expect.stringMatching(new RegExp(`^problem: preflight: Pod networking/root \\(${extra}:18\\): its pods would be rejected: violates PodSecurity "restricted:latest"`)),
    ]);
    expect(out).toContain('lint: 4 problem(s)');
    // -o json: the same four problems as records, each with its step, object, file and line.
    const records = JSON.parse((await cli('lint', '--config', config, '-o', 'json')).out);
    expect(records).toMatchObject({ kind: 'LintResult', ok: false });
    expect(records.problems.map((p: { step: string; check: string; file: string; line: number }) => [p.step, p.check, p.file, p.line])).toEqual([
      ['preflight', 'objects', extra, 1],
      ['preflight', 'objects', extra, 6],
      ['preflight', 'namespaces', extra, 12],
      ['preflight', 'podsecurity', extra, 18],
    ]);
    expect(records.problems[2]).toMatchObject({ object: 'Namespace tunnels', fix: expect.stringMatching(/^declare it in .*, or set namespaces\.createMissing: true$/) });
    expect(records.problems[3].fix).toMatch(/^add: /);
    expect((await cli('plan', '--config', config)).out).toContain(`  - PROBLEM: duplicate ServiceAccount networking/gitlab-agent`);

    // The same checks gate a run: preflight (before delete-cluster) is red on them.
    const { preflight } = await import('../../steps/preflight.js');
    const { ctx } = await loadForCommand(parseCli(['dr-test', '--config', config]), 'dr-test');
    const verdict = await preflight.verify!(ctx);
    expect(verdict.ok).toBe(false);
    expect(verdict.missing).toEqual(expect.arrayContaining([
      expect.stringMatching(/^objects: .*extra\.yaml:1: ConfigMap has no metadata\.name/),
      expect.stringMatching(/^objects: duplicate ServiceAccount networking\/gitlab-agent/),
      expect.stringMatching(/^namespaces: namespace tunnels is not declared/),
      expect.stringMatching(/^podsecurity: Pod networking\/root/),
    ]));
  });

  it('provider existing refuses a whole dr-test or hard-reset (exit 3): it never deletes or creates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hdr-run-'));
    const drTest = await cli('dr-test', '--config', example, '--provider', 'existing', '--yes', '--state-dir', dir);
    expect(drTest.code).toBe(3);
    expect(drTest.err).toContain('provider existing never deletes or creates a cluster');
    const reset = await cli('hard-reset', '--config', example, '--provider', 'existing', '--yes', '--state-dir', dir);
    expect(reset.code).toBe(3);
  });

  it('a bad config is exit 2 and names file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hdr-bad-'));
    const config = join(dir, 'homelab.yaml');
    writeFileSync(config, 'apiVersion: homelab-dr/v1\nkind: RecoveryPlan\ncluster:\n  provider: kwok\n  nmae: x\n');
    const { code, err } = await cli('plan', '--config', config);
    expect(code).toBe(2);
    expect(err).toContain(`${config}:5`);
    expect(err).toMatch(/did you mean "name"/);
  });

  it('status reads the newest journal and says a crashed run did not finish', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hdr-status-'));
    const { Journal } = await import('../../src/engine/journal.js');
    const j = Journal.start(dir, { runId: 'r-crash', command: 'dr-test', config: example, startedAt: '2026-11-25T00:00:00Z', steps: ['preflight', 'namespaces'] });
    j.append({ t: 'step', id: 'preflight', status: 'applied' });
    j.append({ t: 'item', step: 'namespaces', kind: 'Namespace', name: 'apps', outcome: 'failed', error: 'boom', at: 'x' });
    const { code, out } = await cli('status', '--state-dir', dir);
    expect(code).toBe(0);
    expect(out).toContain('run r-crash (dr-test');
    expect(out).toContain('did not finish');
    expect(out).toMatch(/namespaces\s+0\s+0\s+0\s+0\s+0\s+1/);
    expect(out).toContain('FAILED namespaces: Namespace apps: boom');
  });
});
