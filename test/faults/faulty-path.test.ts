// Fault injection 3: a faulty path to the apiserver. A fault-injecting HTTPS proxy on 127.0.0.1 stands
// in front of a real kube-apiserver (a kwok cluster) and answers ~20% of requests itself with 429
// (Retry-After: 1), 500 or 503, seeded (see fault-proxy.ts). The restore runs through it as an operator
// would restore into a cluster homelab-dr does not manage: provider existing, with a kubeconfig whose
// server is the proxy, `hard-reset --from namespaces`.
//
// The config is the bundled example without its sealedSecrets and secrets sections: with provider
// existing the controller step applies the upstream Deployment and reads the certificate through the
// apiserver's service proxy, and a kwok pod is not a process, so no certificate could ever be served
// there. The sealed-secrets path is faulted in kill-resume (crash) and controller-late instead.
//
// Checked: the restore completes through the faults (exit 0), every transient fault was retried, a
// 429's Retry-After was waited for, and a 403 or 422 on one object fails that object at once, without a
// retry, with the object named in the output.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../src/engine/journal.js';
import { FaultProxy, type ProxyRecord } from './fault-proxy.js';
import {
  configVariant,
  deleteClusters,
  removeWorkspace,
  faultSeed,
  finalStatuses,
  kwokProvider,
  runCli,
  runId,
  tail,
  teardownOnExit,
  workspace,
  type CliRun,
} from './harness.js';

const seed = faultSeed('faulty-path');
const ws = workspace('proxy');
const CLUSTER = 'faulty-homelab';
const NODE = 'homelab-server-0'; // the example's cluster.nodeName, substituted into the PVs' node affinity
const RATE = 0.2;
const RETRY_AFTER_S = 1;
let proxy: FaultProxy;
let faultyConfig: string;
let directConfig: string;
let untrap: () => void = () => {};
const figures: Record<string, unknown> = { seed };

function explain(run: CliRun): string {
  return `homelab-dr ${run.args.join(' ')}\nexit ${run.code} after ${(run.elapsedMs / 1000).toFixed(1)}s\n--- stderr (tail)\n${tail(run.stderr, 60)}`;
}

function withoutSealing(doc: Record<string, unknown>, kubeconfig: string, context: string): void {
  const cluster = doc.cluster as Record<string, unknown>;
  cluster.provider = 'existing';
  cluster.kubeconfig = kubeconfig;
  cluster.context = context;
  delete doc.sealedSecrets;
  delete doc.secrets;
  // Without the secrets, networking's pods would reference Secrets nothing creates (a preflight problem).
  const apps = doc.apps as { items: Array<{ name: string }>; wait?: unknown };
  apps.items = apps.items.filter((app) => app.name !== 'networking');
  apps.wait = { timeout: '3m' };
}

/** Requests of one run, by time window. */
function during(run: CliRun, startedAt: number): ProxyRecord[] {
  return proxy.log.filter((r) => r.at >= startedAt && r.at <= startedAt + run.elapsedMs + 1000);
}

/** Faulted (non-watch) requests and what came next for the same request: the retry, and how long after. */
function retries(records: ProxyRecord[]): Array<{ fault: ProxyRecord; retry?: ProxyRecord; gapMs?: number }> {
  return records
    .filter((r) => (r.outcome === 'fault' || (r.outcome === 'rule' && (r.status === 429 || r.status >= 500))) && !r.watch)
    .map((fault) => {
      const retry = proxy.log.find((r) => r.key === fault.key && r.attempt === fault.attempt + 1);
      return { fault, retry, gapMs: retry ? retry.at - fault.at : undefined };
    });
}

describe('a faulty path to the apiserver (429/500/503 on ~20% of requests, seeded)', () => {
  beforeAll(async () => {
    untrap = teardownOnExit(ws);
    const provider = kwokProvider(ws);
    const t0 = Date.now();
    await provider.create(CLUSTER, { nodeName: NODE });
    figures.clusterCreateS = (Date.now() - t0) / 1000;
    const direct = await provider.kubeconfig(CLUSTER);
    proxy = new FaultProxy({ kubeconfig: direct, seed, rate: RATE, maxConsecutive: 3, retryAfterSeconds: RETRY_AFTER_S });
    await proxy.start();
    const faultyKubeconfig = join(ws.dir, 'faulty-kubeconfig.yaml');
    writeFileSync(faultyKubeconfig, proxy.kubeconfigYaml('faulty'), { mode: 0o600 });
    faultyConfig = configVariant(ws, 'faulty', (doc) => withoutSealing(doc, faultyKubeconfig, 'faulty'));
    // The same restore target without the proxy, for an independent verify of the result.
    directConfig = configVariant(ws, 'direct', (doc) => withoutSealing(doc, direct, `kwok-${CLUSTER}`));
  }, 180_000);

  afterAll(async () => {
    const all = proxy?.log ?? [];
    figures.requests = all.length;
    figures.faults = Object.fromEntries([429, 500, 503].map((s) => [s, all.filter((r) => r.outcome === 'fault' && r.status === s).length]));
    figures.ruleAnswers = all.filter((r) => r.outcome === 'rule').length;
    console.log(`[faults] faulty-path figures: ${JSON.stringify(figures)}`);
    await proxy?.close();
    await deleteClusters(ws);
    untrap();
    removeWorkspace(ws);
  }, 120_000);

  it('a 403 and a 422 fail their objects at once, without a retry, naming them; transient faults around them are retried', async () => {
    proxy.rules = [
      // Whatever the seed: the reachability probe of provider existing meets a busy apiserver first.
      { method: 'GET', path: '/version', status: 503, reason: 'ServiceUnavailable', message: 'the server is currently unable to handle the request (injected by the fault proxy)', times: 1 },
      { method: 'PATCH', path: '/api/v1/persistentvolumes/data-pv', dryRun: false, status: 403, reason: 'Forbidden', message: 'persistentvolumes "data-pv" is forbidden: User "homelab" cannot patch resource "persistentvolumes" (injected by the fault proxy)' },
      { method: 'PATCH', path: '/apis/storage.k8s.io/v1/storageclasses/local-storage', dryRun: false, status: 422, reason: 'Invalid', message: 'StorageClass.storage.k8s.io "local-storage" is invalid: provisioner: Required value (injected by the fault proxy)' },
    ];
    const startedAt = Date.now();
    const run = await runCli(['hard-reset', '--provider', 'existing', '--from', 'namespaces', '--yes'], { ws, config: faultyConfig, runId: runId('proxy-4xx'), timeoutMs: 300_000 });
    figures.run4xxS = run.elapsedMs / 1000;
    expect(run.code, explain(run)).toBe(1);
    const statuses = finalStatuses(run.journalPath);
    expect(statuses).toMatchObject({ namespaces: 'applied', storage: 'failed', apps: 'blocked' });
    // Named in the output: the step, the object, the status and the apiserver's words.
    expect(run.stderr).toMatch(/FAILED storage: PersistentVolume data-pv: PATCH \/api\/v1\/persistentvolumes\/data-pv\S*: 403 Forbidden: persistentvolumes "data-pv" is forbidden/);
    expect(run.stderr).toMatch(/FAILED storage: StorageClass local-storage: PATCH \/apis\/storage\.k8s\.io\/v1\/storageclasses\/local-storage\S*: 422 Invalid: .*provisioner: Required value/);
    // At once: each rule answered exactly one request (no retry), and the failure was recorded right after it.
    const records = during(run, startedAt);
    const items = Journal.read(run.journalPath).items;
    for (const rule of proxy.rules.filter((r) => r.status === 403 || r.status === 422)) {
      const hits = records.filter((r) => r.outcome === 'rule' && r.url.startsWith(rule.path));
      expect(hits, `requests answered ${rule.status} for ${rule.path}`).toHaveLength(1);
      const name = rule.path.split('/').pop()!;
      const failed = items.find((i) => i.outcome === 'failed' && i.name === name);
      expect(failed, `ledger item for ${name}`).toBeDefined();
      const lagMs = Date.parse(failed!.at) - hits[0]!.at;
      // hits === 1 is the proof of no retry; the lag only shows that nothing else waited (the retry budget is ~6 s).
      expect(lagMs, `${name} failed ${lagMs} ms after the ${rule.status}`).toBeLessThan(1000);
      figures[`lag${rule.status}Ms`] = lagMs;
    }
    // Meanwhile transient faults were injected and every one was retried.
    const r = retries(records);
    expect(r.length, 'transient faults injected in this run').toBeGreaterThan(0);
    expect(r.filter((x) => !x.retry).map((x) => x.fault.key), 'faulted requests never retried').toEqual([]);
    figures.run4xxFaultsRetried = r.length;
  }, 360_000);

  it('the restore completes through the faults: exit 0, every step green, verify holds without the proxy', async () => {
    proxy.rules = [
      { method: 'GET', path: '/version', status: 429, reason: 'TooManyRequests', message: 'too many requests (injected by the fault proxy)', times: 1, retryAfter: RETRY_AFTER_S },
    ];
    const startedAt = Date.now();
    const run = await runCli(['hard-reset', '--provider', 'existing', '--from', 'namespaces', '--yes'], { ws, config: faultyConfig, runId: runId('proxy-ok'), timeoutMs: 300_000 });
    figures.runOkS = run.elapsedMs / 1000;
    expect(run.code, explain(run)).toBe(0);
    const statuses = finalStatuses(run.journalPath);
    for (const step of ['create-cluster', 'namespaces', 'storage', 'apps']) expect(['unchanged', 'applied', 'verified-only']).toContain(statuses[step]);
    expect(statuses.storage).toBe('applied');
    expect(statuses.apps).toBe('applied');
    const records = during(run, startedAt);
    const faults = records.filter((x) => x.outcome === 'fault');
    figures.runOkRequests = records.length;
    figures.runOkFaults = faults.length;
    // ~20% of requests (seeded): enough faults of every kind that the run had to go through them.
    expect(faults.length / records.length).toBeGreaterThan(RATE / 2);
    expect(faults.length / records.length).toBeLessThan(RATE * 1.6);
    for (const s of [429, 500, 503]) expect(faults.some((f) => f.status === s), `some ${s} injected`).toBe(true);
    const r = retries(records);
    expect(r.filter((x) => !x.retry).map((x) => x.fault.key), 'faulted requests never retried').toEqual([]);
    figures.runOkRetried = r.length;
    // Independent proof, without the proxy: every step's verify holds on the cluster.
    const verify = await runCli(['verify', '--provider', 'existing'], { ws, config: directConfig, runId: runId('verify'), timeoutMs: 120_000 });
    expect(verify.code, `${verify.stdout}\n${verify.stderr}`).toBe(0);
  }, 360_000);

  it("a 429's Retry-After is waited for before the retry", () => {
    const after429 = retries(proxy.log).filter((x) => x.fault.status === 429 && x.gapMs !== undefined);
    expect(after429.length, 'retried 429s seen').toBeGreaterThan(0);
    const gaps = after429.map((x) => x.gapMs!).sort((a, b) => a - b);
    figures.retryAfterGapsMs = { min: gaps[0], median: gaps[Math.floor(gaps.length / 2)], max: gaps.at(-1), n: gaps.length };
    const early = after429.filter((x) => x.gapMs! < RETRY_AFTER_S * 1000 - 20).map((x) => `${x.fault.key} after ${x.gapMs} ms`);
    expect(gaps[0], `shortest wait after "429 Retry-After: ${RETRY_AFTER_S}" (all: ${gaps.join(', ')} ms; too early: ${early.join('; ')})`).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000 - 20);
  });
});
