// Issue 7 on the real control plane (kwok provider): the unattended drill of the bundled example and
// its evidence (report, timeline, history, metrics), a drill broken on purpose, and Ctrl-C in a
// dr-test. Every run goes through the compiled CLI as a child process.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal } from '../../src/engine/journal.js';
import { readPins } from '../../src/pins.js';
import { holdAtApps } from './context.js';

const cli = resolve('bin/homelab-dr.js');
const STEPS = ['preflight', 'delete-cluster', 'create-cluster', 'namespaces', 'storage', 'sealed-secrets-controller', 'sealed-secrets-available', 'reseal-secrets', 'apps'];
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function exampleCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hdr-drill-'));
  dirs.push(dir);
  cpSync(resolve('config/example'), dir, { recursive: true });
  return dir;
}

function kwokClusters(stateDir: string): string[] {
  const root = join(stateDir, 'kwok', 'clusters');
  return existsSync(root) ? readdirSync(root) : [];
}

function drill(dir: string) {
  const stateDir = join(dir, 'state');
  const reportDir = join(dir, 'reports');
  const r = spawnSync(process.execPath, [cli, 'drill', '--config', join(dir, 'homelab.yaml'), '--state-dir', stateDir, '--report-dir', reportDir], {
    encoding: 'utf8',
    timeout: 300_000,
    input: '',
    env: { ...process.env, NO_COLOR: '1', SSH_CONNECTION: '' },
  });
  const runs = readdirSync(reportDir).filter((f) => !f.includes('.'));
  return { status: r.status, out: `${r.stdout}${r.stderr}`, stateDir, reportDir, runs };
}

/** The metric families and samples of Prometheus text format; throws on a line that is not valid. */
function parsePrometheus(text: string): Map<string, Array<{ labels: Record<string, string>; value: number }>> {
  const samples = new Map<string, Array<{ labels: Record<string, string>; value: number }>>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!m) throw new Error(`not Prometheus text format: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []) {
      const eq = pair.indexOf('=');
      labels[pair.slice(0, eq)] = pair.slice(eq + 2, -1);
    }
    const list = samples.get(m[1]!) ?? [];
    list.push({ labels, value: Number(m[3]) });
    samples.set(m[1]!, list);
  }
  return samples;
}

describe('drill of the bundled example', () => {
  const dir = exampleCopy();
  let first: ReturnType<typeof drill>;

  it('goes green and writes report.json, report.md and a timeline with one bar per step; no cluster is left', () => {
    first = drill(dir);
    expect(first.status, first.out).toBe(0);
    expect(first.runs).toHaveLength(1);
    const runDir = join(first.reportDir, first.runs[0]!);
    const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8'));
    expect(report.schemaVersion).toBe(1);
    expect(report.result).toBe('green');
    expect(report.steps.map((s: { id: string }) => s.id)).toEqual(STEPS);
    expect(report.rto.seconds).toBeGreaterThan(0);
    const md = readFileSync(join(runDir, 'report.md'), 'utf8');
    for (const id of STEPS) expect(md).toContain(id);
    // A kwok rehearsal says what it proved (issue 14 §7): the example's sealed-secrets is the pin's; its
    // k3s image names an older Kubernetes patch than the pinned control plane, and the report says so.
    expect(report.fidelity).toEqual([
      `Kubernetes: the rehearsal runs ${readPins().kubernetes} where production runs v1.33.4 (cluster.image rancher/k3s:v1.33.4-k3s1); a green rehearsal does not prove v1.33.4`,
      `sealed-secrets: the rehearsal runs ${readPins()['sealed-secrets']}, as production does (controller image docker.io/bitnami/sealed-secrets-controller:0.27.3)`,
    ]);
    expect(md).toContain('## Rehearsal fidelity');
    const svg = readFileSync(join(runDir, 'timeline.svg'), 'utf8');
    expect(svg.startsWith('<svg') || svg.startsWith('<?xml')).toBe(true);
    const bars = [...svg.matchAll(/<g class="step" data-step="([^"]+)"[^>]*>[\s\S]*?<\/g>/g)];
    expect(bars.map((b) => b[1])).toEqual(STEPS);
    for (const b of bars) expect(b[0]).toContain('<rect');
    expect(kwokClusters(first.stateDir)).toEqual([]);
    expect(first.out).toMatch(/drill report: /);
    console.log(`[integration] drill RTO ${report.rto.seconds} s`);
  });

  it('writes metrics in Prometheus text format, success 1 and a duration per step', () => {
    const samples = parsePrometheus(readFileSync(join(dir, '.state', 'homelab_dr.prom'), 'utf8'));
    expect(samples.get('homelab_dr_drill_success')?.[0]?.value).toBe(1);
    expect(samples.get('homelab_dr_drill_duration_seconds')?.[0]?.value).toBeGreaterThan(0);
    expect(samples.get('homelab_dr_drill_last_run_timestamp_seconds')?.[0]?.value).toBeGreaterThan(Date.now() / 1000 - 3600);
    expect((samples.get('homelab_dr_step_duration_seconds') ?? []).map((s) => s.labels.step).sort()).toEqual([...STEPS].sort());
    expect((samples.get('homelab_dr_items') ?? []).some((s) => s.labels.outcome === 'created' && s.value > 0)).toBe(true);
  });

  it('a second drill extends the history', () => {
    const second = drill(dir);
    expect(second.status, second.out).toBe(0);
    expect(second.runs).toHaveLength(2);
    const history = JSON.parse(readFileSync(join(second.reportDir, 'history.json'), 'utf8'));
    expect(history.drills).toHaveLength(2);
    const index = readFileSync(join(second.reportDir, 'index.md'), 'utf8');
    for (const run of second.runs) expect(index).toContain(run);
  });
});

describe('a drill broken on purpose', () => {
  it('a value missing from the store: exit 1, the report names the step, the secret and the cause; no cluster left', () => {
    const dir = exampleCopy();
    const store = join(dir, 'secrets', 'demo-store.sh');
    writeFileSync(store, readFileSync(store, 'utf8').replace(/^\s*GITLAB_AGENT_TOKEN\).*$/m, ''));
    chmodSync(store, 0o755);
    const r = drill(dir);
    expect(r.status, r.out).toBe(1);
    const report = JSON.parse(readFileSync(join(r.reportDir, r.runs[0]!, 'report.json'), 'utf8'));
    expect(report.result).toBe('red');
    const md = readFileSync(join(r.reportDir, r.runs[0]!, 'report.md'), 'utf8');
    expect(md).toContain('preflight');
    expect(md).toContain('GITLAB_AGENT_TOKEN');
    expect(md).toMatch(/no value for key|demo-store/);
    expect(kwokClusters(r.stateDir)).toEqual([]);
  });
});

describe('Ctrl-C during a dr-test', () => {
  it('stops with exit 130, deletes the throwaway cluster, and the journal shows where it stopped', async () => {
    const dir = exampleCopy();
    holdAtApps(dir);
    const stateDir = join(dir, 'state');
    const child = spawn(process.execPath, [cli, 'dr-test', '--config', join(dir, 'homelab.yaml'), '--yes', '--state-dir', stateDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', SSH_CONNECTION: '' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
    // Interrupt while the apps step is held: a state that stays true until the interrupt (the old test
    // waited for the namespaces step to be running, a 40 ms window that it could miss).
    let journalPath: string | undefined;
    for (;;) {
      journalPath = Journal.find(stateDir);
      if (journalPath && Journal.read(journalPath).steps.get('apps')?.status === 'running') break;
      if (child.exitCode !== null) throw new Error(`the run ended before apps started:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    expect(await exited, out).toBe(130);
    const journal = Journal.read(journalPath);
    expect(journal.exitCode).toBe(130);
    expect(journal.steps.get('create-cluster')?.status).toMatch(/applied|unchanged/);
    expect(journal.steps.get('apps')?.status, JSON.stringify([...journal.steps.values()])).toBe('interrupted');
    expect(out).toMatch(/teardown: cluster \S+ deleted/);
    expect(kwokClusters(stateDir)).toEqual([]);
  });
});
