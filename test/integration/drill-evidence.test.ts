// Issue 15 through the compiled CLI: every `drill` ends with a report, the metrics and a notification,
// also when it is refused before its journal starts (bad config, the litmus, a held lock, a missing
// tool). The notification goes to a webhook receiver of the test's own on 127.0.0.1 (ephemeral port).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cli = resolve('bin/homelab-dr.js');
const dirs: string[] = [];
let server: Server;
let webhook: string;
const received: Array<{ path: string; body: Record<string, unknown> }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += String(d)));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  webhook = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of the bundled example that notifies the receiver under its own path. */
function example(name: string, mutate: (dir: string, text: string) => string = (_, t) => t): string {
  const dir = mkdtempSync(join(tmpdir(), `hdr-evidence-${name}-`));
  dirs.push(dir);
  cpSync(resolve('config/example'), dir, { recursive: true });
  const path = join(dir, 'homelab.yaml');
  const text = readFileSync(path, 'utf8').replace('  schedule: monthly\n', `  schedule: monthly\n  notify: { webhook: "${webhook}/${name}" }\n`);
  writeFileSync(path, mutate(dir, text));
  return dir;
}

interface DrillRun {
  status: number | null;
  out: string;
  report?: Record<string, unknown>;
  reportDir: string;
  notified: Array<Record<string, unknown>>;
  metrics: string;
  timeline: string;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => child.on('exit', (code) => done(code)));
}

async function drill(dir: string, name: string, opts: { args?: string[]; env?: NodeJS.ProcessEnv; config?: string; metrics?: string } = {}): Promise<DrillRun> {
  const reportDir = join(dir, '.state', 'reports');
  const child = spawn(process.execPath, [cli, 'drill', '--config', opts.config ?? join(dir, 'homelab.yaml'), '--state-dir', join(dir, 'state'), ...(opts.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', SSH_CONNECTION: '', ...opts.env },
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const status = await exited(child);
  const runs = existsSync(reportDir) ? readdirSync(reportDir).filter((f) => !f.includes('.')).sort() : [];
  const latest = runs.at(-1);
  const metricsPath = opts.metrics ?? join(dir, '.state', 'homelab_dr.prom');
  return {
    status,
    out,
    reportDir,
    ...(latest ? { report: JSON.parse(readFileSync(join(reportDir, latest, 'report.json'), 'utf8')) as Record<string, unknown> } : {}),
    notified: received.filter((r) => r.path === `/${name}`).map((r) => r.body),
    metrics: existsSync(metricsPath) ? readFileSync(metricsPath, 'utf8') : '',
    timeline: latest ? readFileSync(join(reportDir, latest, 'timeline.svg'), 'utf8') : '',
  };
}

/** The text nodes of the timeline, entities undone: what a reader of the picture sees. */
function timelineWords(svg: string): string {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')).join(' ');
}

/** Red in all three, for the reason given; the cause in the report, the notification and the picture. */
function expectRedEvidence(run: DrillRun, reason: string, cause: RegExp): void {
  expect(run.report, run.out).toBeDefined();
  expect(run.report).toMatchObject({ result: 'red', failureReason: reason, refusal: { reason } });
  expect(JSON.stringify(run.report)).toMatch(cause);
  expect(run.metrics).toContain('homelab_dr_drill_success 0\n');
  expect(run.metrics).toContain(`homelab_dr_drill_failure{reason="${reason}"} 1\n`);
  expect(run.metrics).not.toMatch(/^homelab_dr_drill_rto_seconds/m);
  expect(run.notified).toHaveLength(1);
  expect(run.notified[0]).toMatchObject({ result: 'red', reason });
  expect(JSON.stringify(run.notified[0])).toMatch(cause);
  expect(timelineWords(run.timeline)).toContain(`Refused before any step ran (${reason})`);
  expect(timelineWords(run.timeline)).toMatch(cause);
}

function kwokClusters(dir: string): string[] {
  const root = join(dir, 'state', 'kwok', 'clusters');
  return existsSync(root) ? readdirSync(root) : [];
}

describe('a drill refused before its journal still leaves red evidence', () => {
  it('config error: exit 2; the drill section of the broken config still names the webhook and the metrics file', async () => {
    const dir = example('config', (_, text) => text.replace('  servers: 1\n', '  servers: many\n'));
    const run = await drill(dir, 'config');
    expect(run.status, run.out).toBe(2);
    // main prints the config error as for any command: file, line and field.
    expect(run.out).toMatch(/homelab\.yaml:\d+:\d+: cluster\.servers: must be an integer/);
    expectRedEvidence(run, 'config', /homelab\.yaml:\d+:\d+: cluster\.servers: must be an integer/);
    console.log(`[evidence] config error printed: ${run.out.trim().split('\n').join(' | ')}`);
  });

  it('a config that cannot be read: exit 2, report and metrics at the flag and default locations, and stderr says no notification can be sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hdr-evidence-missing-'));
    dirs.push(dir);
    const reportDir = join(dir, 'reports');
    const run = await drill(dir, 'missing', { config: join(dir, 'nope.yaml'), args: ['--report-dir', reportDir], metrics: join(dir, 'state', 'homelab_dr.prom') });
    expect(run.status, run.out).toBe(2);
    expect(run.out).toContain('no notification can be sent');
    const runs = readdirSync(reportDir).filter((f) => !f.includes('.'));
    expect(runs).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(reportDir, runs[0]!, 'report.json'), 'utf8'))).toMatchObject({ result: 'red', failureReason: 'config' });
    expect(run.metrics).toContain('homelab_dr_drill_failure{reason="config"} 1\n');
    expect(run.notified).toEqual([]);
  });

  it('litmus, by resolution: a store at https://localhost resolves (this machine\'s /etc/hosts) to where the cluster publishes 443: exit 3', async () => {
    const dir = example('resolve', (_, text) =>
      text
        .replace('secretStores:\n', 'secretStores:\n  lab:\n    type: gitlab\n    url: https://localhost\n    project: me/homelab\n    tokenEnv: HDR_TEST_TOKEN\n')
        .replace('{ store: demo, key: GITLAB_AGENT_TOKEN }', '{ store: lab, key: GITLAB_AGENT_TOKEN }'),
    );
    const run = await drill(dir, 'resolve');
    expect(run.status, run.out).toBe(3);
    expectRedEvidence(run, 'litmus', /localhost resolves \((\/etc\/hosts|DNS)\) to (127\.0\.0\.1|::1), an address of this machine, where port 443 is published by the cluster/);
    expect(kwokClusters(dir)).toEqual([]);
    console.log(`[evidence] litmus (resolution) printed: ${run.out.split('\n').filter((l) => l.includes('resolves')).join(' | ')}`);
  });

  it('litmus, by what the plan deploys: an Argo CD Application in the apps names the store\'s host: exit 3', async () => {
    const dir = example('argo', (d, text) => {
      writeFileSync(
        join(d, 'kubernetes/networking/base/gitlab-app.yaml'),
        'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: { name: gitlab, namespace: argocd }\nspec:\n  project: default\n  source:\n    repoURL: https://charts.gitlab.io\n    chart: gitlab\n    targetRevision: 8.0.0\n    helm:\n      values: |\n        global:\n          hosts:\n            gitlab: { name: gitlab.home.test }\n  destination: { server: https://kubernetes.default.svc, namespace: gitlab }\n',
      );
      return text
        .replace('secretStores:\n', 'secretStores:\n  lab:\n    type: gitlab\n    url: https://gitlab.home.test\n    project: me/homelab\n    tokenEnv: HDR_TEST_TOKEN\n')
        .replace('{ store: demo, key: GITLAB_AGENT_TOKEN }', '{ store: lab, key: GITLAB_AGENT_TOKEN }');
    });
    const run = await drill(dir, 'argo');
    expect(run.status, run.out).toBe(3);
    expectRedEvidence(run, 'litmus', /gitlab\.home\.test is deployed into the cluster by Application argocd\/gitlab \(manifests\), whose spec names it/);
  });

  it('litmus, an in-cluster registry: an app image comes from a host an Ingress of the cluster serves: exit 3', async () => {
    const dir = example('registry', (d, text) => {
      writeFileSync(
        join(d, 'kubernetes/networking/base/registry-ingress.yaml'),
        'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: { name: registry, namespace: networking }\nspec:\n  rules:\n    - host: registry.home.test\n      http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: registry, port: { number: 5000 } } } }] }\n',
      );
      const deployment = join(d, 'kubernetes/networking/base/cloudflared.yaml');
      writeFileSync(deployment, readFileSync(deployment, 'utf8').replace('image: cloudflare/cloudflared:', 'image: registry.home.test/cloudflare/cloudflared:'));
      return text;
    });
    const run = await drill(dir, 'registry');
    expect(run.status, run.out).toBe(3);
    expectRedEvidence(run, 'litmus', /image registry registry\.home\.test.*registry\.home\.test is served by Ingress networking\/registry/);
  });

  it('litmus, an exec store whose script runs kubectl against the current context: exit 3', async () => {
    const dir = example('exec', (d, text) => {
      writeFileSync(join(d, 'secrets/kube-store.sh'), '#!/bin/sh\n# reads the value from a Secret of the running cluster\nkubectl -n vault get secret homelab -o "jsonpath={.data.$1}" | base64 -d\n');
      chmodSync(join(d, 'secrets/kube-store.sh'), 0o755);
      return text.replace('command: ["./secrets/demo-store.sh"]', 'command: ["./secrets/kube-store.sh"]');
    });
    const run = await drill(dir, 'exec');
    expect(run.status, run.out).toBe(3);
    expectRedEvidence(run, 'litmus', /its command runs kubectl with no --kubeconfig\/--context: the current context, the cluster being rebuilt/);
  });

  it('a lock held by another drill: exit 3, and the drill did not start', async () => {
    const dir = example('lock');
    const lockFile = join(dir, 'state', 'drill.lock');
    mkdirSync(join(dir, 'state'), { recursive: true });
    // Another drill, as far as the lock knows: flock holds it until its stdin closes.
    const holder = spawn('flock', [lockFile, 'sh', '-c', 'echo held; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise((done) => holder.stdout!.once('data', done));
    try {
      const run = await drill(dir, 'lock', { args: ['--lock-file', lockFile] });
      expect(run.status, run.out).toBe(3);
      expectRedEvidence(run, 'lock', /drill lock .*drill\.lock is held by another homelab-dr run/);
    } finally {
      holder.stdin!.end();
      await exited(holder);
    }
  });

  it('a missing tool (flock for --lock-file): exit 2, reason tool', async () => {
    const dir = example('tool');
    const bin = join(dir, 'bin-without-flock');
    mkdirSync(bin);
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const run = await drill(dir, 'tool', { args: ['--lock-file', join(dir, 'state', 'drill.lock')], env: { PATH: bin } });
    expect(run.status, run.out).toBe(2);
    expectRedEvidence(run, 'tool', /flock \(util-linux\) is not installed/);
  });
});

describe('green, then refused: the last success is carried over, and only the green drill has an RTO', () => {
  it('metrics keep the green drill\'s time as the last success while the next drill is red; the history lists no RTO for it', async () => {
    const dir = example('sequence');
    const green = await drill(dir, 'sequence');
    expect(green.status, green.out).toBe(0);
    const rto = Number(/^homelab_dr_drill_rto_seconds (\S+)$/m.exec(green.metrics)?.[1]);
    expect(rto).toBeGreaterThan(0);
    const lastSuccess = Number(/^homelab_dr_drill_last_success_timestamp_seconds (\S+)$/m.exec(green.metrics)?.[1]);
    expect(lastSuccess).toBe(Date.parse(String(green.report!.endedAt)) / 1000);
    expect(green.notified[0]).toMatchObject({ result: 'green', rtoSeconds: rto });
    // Break the litmus: the next drill is refused.
    const config = join(dir, 'homelab.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('command: ["./secrets/demo-store.sh"]', 'command: ["kubectl", "get", "secret", "x"]'));
    const red = await drill(dir, 'sequence');
    expect(red.status, red.out).toBe(3);
    expect(red.metrics).toContain(`homelab_dr_drill_last_success_timestamp_seconds ${lastSuccess}\n`);
    expect(red.metrics).not.toMatch(/^homelab_dr_drill_rto_seconds/m);
    expect(red.notified[1]).toMatchObject({ result: 'red', reason: 'litmus' });
    const index = readFileSync(join(red.reportDir, 'index.md'), 'utf8');
    expect(index).toMatch(/\| RED \| none \(not green\) \| \d+\.\d s \| — \| litmus \| refused before start \|/);
    expect(index).toMatch(/\| GREEN \| \d+\.\d s \|/);
  });
});
