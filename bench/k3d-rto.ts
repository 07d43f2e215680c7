// RTO of the e2e homelab on the real k3d tier: `homelab-dr hard-reset --provider k3d` against the
// incident's procedure as a shell script (bench/k3d-baseline.sh: k3d delete/create with the config,
// `kubectl apply -f` per file, `kubeseal` per secret, sleep-polling waits). A second script run, WAITS=watch,
// puts kubectl's own watching waits inside the same loops: a stronger script than the incident's, measured
// beside it. All three rebuild the same production cluster, in an order that rotates from round to round,
// so each round's runs see the same machine load. The per-step
// times come from homelab-dr's journal and from the script's step markers; node start (`k3d cluster
// create --wait` itself) and homelab-dr's time before its first step come from the same two sources.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { controlPlaneBinaries } from '../src/cluster/control-plane-binaries.js';
import { k3dConfigYaml, k3dSimpleConfig } from '../src/cluster/k3d-config.js';
import { loadConfig } from '../src/config/load.js';
import { Journal, type JournalData } from '../src/engine/journal.js';
import { prepareE2eHomelab, type K3dTier } from './k3d-tier.js';
import { journalSteps } from './rehearsal.js';

const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

export interface RtoRun {
  exitCode: number | null;
  seconds: number;
  /** Step id → seconds. */
  steps: Map<string, number>;
  /** Seconds of `k3d cluster create --wait` ("node start"); NaN where it did not end. */
  nodeStart: number;
  /** homelab-dr: process start → its first step (config, guards, litmus, blast-radius screen, confirmation). */
  beforeSteps?: number;
  /** homelab-dr: its last step's end → process exit (summary, journal end). */
  afterSteps?: number;
  green: boolean;
  tail: string;
}

export interface K3dRtoResult {
  cluster: string;
  homelabDr: RtoRun[];
  /** The baseline: sleep-polling waits (WAITS=poll). */
  shell: RtoRun[];
  /** The same script with kubectl's watching waits in its loops (WAITS=watch). */
  shellWatch: RtoRun[];
}

/** Runs a command to its end, with its combined output kept; `startedMs`/`endedMs` are wall-clock, to compare with a journal's. */
function runTimed(file: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ exitCode: number | null; seconds: number; output: string; startedMs: number; endedMs: number }> {
  const startedMs = Date.now();
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    // SIGINT first: homelab-dr finishes the current item; the script stops where it is.
    const timer = setTimeout(() => child.kill('SIGINT'), opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, seconds: Number(process.hrtime.bigint() - t0) / 1e9, output, startedMs, endedMs: Date.now() });
    });
  });
}

/** "@@step NAME start|end EPOCH_MS" lines → step → seconds; a step without its end is left out. */
export function shellSteps(output: string): Map<string, number> {
  const starts = new Map<string, number>();
  const steps = new Map<string, number>();
  for (const match of output.matchAll(/^@@step (\S+) (start|end) (\d+)$/gm)) {
    const [, name, edge, ms] = match as unknown as [string, string, string, string];
    if (edge === 'start') starts.set(name, Number(ms));
    else if (starts.has(name)) steps.set(name, (Number(ms) - starts.get(name)!) / 1000);
  }
  return steps;
}

/** The script's "@@node-start start|end EPOCH_MS" lines → seconds of `k3d cluster create`; NaN without both. */
export function shellNodeStart(output: string): number {
  const at = (edge: string): number => Number(new RegExp(`^@@node-start ${edge} (\\d+)$`, 'm').exec(output)?.[1] ?? NaN);
  return (at('end') - at('start')) / 1000;
}

/**
 * Where a homelab-dr run's time went apart from its steps, from its journal: node start is its
 * create-cluster step's start → its "Cluster created" item (k3d cluster create --wait, after the
 * provider's existence checks); before/after are the process's own edges around the first and last step.
 */
export function homelabDrPhases(journal: JournalData, run: { startedMs: number; endedMs: number }): Pick<RtoRun, 'nodeStart' | 'beforeSteps' | 'afterSteps'> {
  const ms = (iso: string | undefined): number => (iso ? Date.parse(iso) : NaN);
  const states = [...journal.steps.values()];
  const firstStart = Math.min(...states.map((s) => ms(s.startedAt)).filter(Number.isFinite));
  const lastEnd = Math.max(...states.map((s) => ms(s.endedAt)).filter(Number.isFinite));
  const created = journal.items.find((i) => i.step === 'create-cluster' && i.kind === 'Cluster' && i.outcome === 'created');
  return {
    nodeStart: (ms(created?.at) - ms(journal.steps.get('create-cluster')?.startedAt)) / 1000,
    beforeSteps: (firstStart - run.startedMs) / 1000,
    afterSteps: (run.endedMs - lastEnd) / 1000,
  };
}

function journalOf(stateDir: string): JournalData | undefined {
  const dir = join(stateDir, 'runs');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jsonl')) : [];
  return files.length === 1 ? Journal.read(join(dir, files[0]!)) : undefined;
}

const tail = (text: string): string => text.trim().split('\n').slice(-30).join('\n');

export async function benchK3dRto(root: string, cli: string, tier: K3dTier, runs: number, timeoutMs = 900_000): Promise<K3dRtoResult> {
  const work = mkdtempSync(join(tmpdir(), 'hdr-bench-k3d-'));
  // BENCH_K3D_CLUSTER: a name of the caller's own, where several people share one Docker engine.
  const cluster = process.env.BENCH_K3D_CLUSTER || `hdr-bench-${process.pid.toString(36)}`;
  const homelab = join(work, 'homelab');
  const config = prepareE2eHomelab(homelab, tier, join(work, 'pv'), { clusterName: cluster });
  const loaded = await loadConfig(config);
  const registries = loaded.cluster.registries?.config;
  // The baseline's k3d config is the one homelab-dr itself hands to k3d: the same cluster, both sides.
  const k3dConfig = join(work, 'k3d-config.yaml');
  writeFileSync(k3dConfig, k3dConfigYaml(k3dSimpleConfig(cluster, loaded.cluster, registries ? readFileSync(registries, 'utf8') : undefined)));
  chmodSync(k3dConfig, 0o600);
  const { kubeseal } = controlPlaneBinaries(['kubeseal']);
  // The script calls kubeseal by name, as the incident's did: the pinned one from the build cache.
  const shellEnv = { ...process.env, PATH: `${dirname(kubeseal)}${delimiter}${process.env.PATH ?? ''}` };
  const baseline = join(root, 'bench', 'k3d-baseline.sh');
  const result: K3dRtoResult = { cluster, homelabDr: [], shell: [], shellWatch: [] };
  const sides = ['homelab-dr', 'shell', 'shell-watch'] as const;
  try {
    for (let i = 0; i < runs; i++) {
      const order = [...sides.slice(i % sides.length), ...sides.slice(0, i % sides.length)];
      for (const side of order) {
        let last: RtoRun;
        if (side !== 'homelab-dr') {
          const env = { ...shellEnv, WAITS: side === 'shell' ? 'poll' : 'watch' };
          const r = await runTimed('bash', [baseline, cluster, k3dConfig, homelab], { env, timeoutMs });
          last = { exitCode: r.exitCode, seconds: r.seconds, steps: shellSteps(r.output), nodeStart: shellNodeStart(r.output), green: r.exitCode === 0, tail: tail(r.output) };
          (side === 'shell' ? result.shell : result.shellWatch).push(last);
        } else {
          const stateDir = join(work, `state-${i}`);
          mkdirSync(stateDir, { recursive: true });
          const args = [cli, 'hard-reset', '--provider', 'k3d', '--config', config, '--yes', '--state-dir', stateDir];
          const r = await runTimed(process.execPath, args, { cwd: root, timeoutMs });
          const journal = journalSteps(stateDir);
          const data = journalOf(stateDir);
          const phases = data ? homelabDrPhases(data, r) : { nodeStart: NaN };
          last = { exitCode: r.exitCode, seconds: r.seconds, steps: journal.steps, ...phases, green: r.exitCode === 0 && journal.allGreen, tail: tail(r.output) };
          result.homelabDr.push(last);
        }
        log(`k3d RTO round ${i + 1}/${runs}, ${side}: exit ${last.exitCode} in ${last.seconds.toFixed(1)} s`);
        if (!last.green) log(`k3d RTO ${side} run was not green; its last output:\n${last.tail}`);
      }
    }
  } finally {
    await runTimed('k3d', ['cluster', 'delete', cluster], { timeoutMs: 120_000 });
    rmSync(work, { recursive: true, force: true });
  }
  return result;
}
