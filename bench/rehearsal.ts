// The full rehearsal, as an operator runs it: `homelab-dr dr-test --provider kwok` on the bundled
// example, each run in a state directory of its own. RTO is the wall clock of the whole process
// (start to exit: cluster, every step, the proof, the teardown). The per-step breakdown comes from the
// run's JSONL journal. The orchestrator's peak RSS is its own getrusage maxRSS (= VmHWM), written by a
// preloaded hook at exit, so kube-apiserver, helm and the other children it starts are not counted.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KwokProvider } from '../src/cluster/kwok.js';
import { Journal } from '../src/engine/journal.js';
import { GREEN } from '../src/engine/types.js';

const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

export interface RehearsalRun {
  exitCode: number | null;
  seconds: number;
  /** The orchestrator process's own peak RSS (KB), or NaN when it died before writing it. */
  maxRssKb: number;
  /** The orchestrator process's own CPU time (user + system, children excluded), or NaN likewise. */
  cpuSeconds: number;
  /** Step id → seconds, from the journal's startedAt/endedAt. */
  steps: Map<string, number>;
  /** First step start to last step end. */
  stepSpanSeconds: number;
  green: boolean;
  tail: string;
}

// CommonJS, so `node --require` loads it before the ESM entry point; 'exit' also fires on process.exit().
const RSS_HOOK = `'use strict';
const fs = require('node:fs');
process.on('exit', () => {
  const u = process.resourceUsage();
  try { fs.writeFileSync(process.env.HDR_BENCH_RSS_FILE, [u.maxRSS, (u.userCPUTime + u.systemCPUTime) / 1e6].join(' ')); } catch {}
});
`;

export async function benchRehearsal(root: string, cli: string, config: string, runs: number, timeoutMs = 300_000): Promise<RehearsalRun[]> {
  const dir = mkdtempSync(join(tmpdir(), 'hdr-bench-rehearsal-'));
  const hook = join(dir, 'rss-hook.cjs');
  writeFileSync(hook, RSS_HOOK);
  const results: RehearsalRun[] = [];
  // An interrupted bench lets the running dr-test tear its own cluster down (it gets the SIGINT too,
  // or a forwarded one), then cleans up whatever is left, and stops.
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    current.child?.kill('SIGINT');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    for (let i = 0; i < runs; i++) {
      if (interrupted) throw new Error('interrupted');
      const stateDir = join(dir, `run-${i}`);
      try {
        const run = await rehearseOnce(root, cli, config, hook, stateDir, timeoutMs);
        results.push(run);
        log(`rehearsal ${i + 1}/${runs}: exit ${run.exitCode} in ${run.seconds.toFixed(1)} s, own CPU ${run.cpuSeconds.toFixed(1)} s (${((100 * run.cpuSeconds) / run.seconds).toFixed(1)}%), peak RSS ${(run.maxRssKb / 1024).toFixed(0)} MB`);
        if (!run.green) log(`rehearsal ${i + 1} was not green; its last output:\n${run.tail}`);
      } finally {
        await cleanupLeftovers(stateDir);
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rmSync(dir, { recursive: true, force: true });
  }
  if (interrupted) throw new Error('interrupted');
  return results;
}

const current: { child?: ChildProcess } = {};

async function rehearseOnce(root: string, cli: string, config: string, hook: string, stateDir: string, timeoutMs: number): Promise<RehearsalRun> {
  const rssFile = join(stateDir, 'bench-maxrss');
  const outFile = join(stateDir, 'bench-output.log');
  mkdirSync(stateDir, { recursive: true });
  const args = ['--require', hook, cli, 'dr-test', '--provider', 'kwok', '--config', config, '--yes', '--state-dir', stateDir];
  const out = createWriteStream(outFile);
  const t0 = process.hrtime.bigint();
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, HDR_BENCH_RSS_FILE: rssFile }, stdio: ['ignore', 'pipe', 'pipe'] });
    current.child = child;
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    // SIGINT first: the CLI finishes the current item and tears its throwaway cluster down.
    const timer = setTimeout(() => {
      log(`rehearsal exceeded ${timeoutMs / 1000} s: interrupting it`);
      child.kill('SIGINT');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      current.child = undefined;
      resolve(code);
    });
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await new Promise<void>((resolve) => out.end(resolve));
  const [maxRssKb = NaN, cpuSeconds = NaN] = existsSync(rssFile) ? readFileSync(rssFile, 'utf8').split(' ').map(Number) : [];
  const { steps, span, allGreen } = journalSteps(stateDir);
  const tail = readFileSync(outFile, 'utf8').trim().split('\n').slice(-30).join('\n');
  return { exitCode, seconds, maxRssKb, cpuSeconds, steps, stepSpanSeconds: span, green: exitCode === 0 && allGreen, tail };
}

/** Each step's seconds from the one journal of a run's state directory, their span, and whether all were green. */
export function journalSteps(stateDir: string): { steps: Map<string, number>; span: number; allGreen: boolean } {
  const runsDir = join(stateDir, 'runs');
  const files = existsSync(runsDir) ? readdirSync(runsDir).filter((f) => f.endsWith('.jsonl')) : [];
  if (files.length !== 1) return { steps: new Map(), span: NaN, allGreen: false };
  const data = Journal.read(join(runsDir, files[0]!));
  const steps = new Map<string, number>();
  let first = Infinity;
  let last = -Infinity;
  let allGreen = data.steps.size > 0;
  for (const state of data.steps.values()) {
    if (!GREEN.has(state.status)) allGreen = false;
    if (!state.startedAt || !state.endedAt) continue;
    const start = Date.parse(state.startedAt);
    const end = Date.parse(state.endedAt);
    steps.set(state.id, (end - start) / 1000);
    first = Math.min(first, start);
    last = Math.max(last, end);
  }
  return { steps, span: (last - first) / 1000, allGreen };
}

/** A run that failed before its own teardown may leave a kwok cluster: delete whatever is there. */
async function cleanupLeftovers(stateDir: string): Promise<void> {
  const kwokRoot = join(stateDir, 'kwok');
  const clusters = join(kwokRoot, 'clusters');
  const extras = join(kwokRoot, 'homelab-dr');
  const names = new Set([...(existsSync(clusters) ? readdirSync(clusters) : []), ...(existsSync(extras) ? readdirSync(extras) : [])]);
  const provider = new KwokProvider({ root: kwokRoot });
  for (const name of names) {
    log(`rehearsal left kwok cluster ${name} behind: deleting it`);
    try {
      await provider.delete(name);
    } catch (err) {
      log(`deleting leftover kwok cluster ${name} failed: ${String(err)}`);
    }
  }
  rmSync(stateDir, { recursive: true, force: true });
}
