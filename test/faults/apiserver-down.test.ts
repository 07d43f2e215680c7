// Fault injection 2: the apiserver goes down for ~10 s while the apps step runs (and, so that the
// failing branch is exercised on every run, for 30 s, which outlasts the client's retry budget).
//
// A real stop, not a pause: when the run's journal says apps is running, kube-apiserver is stopped the
// way `kwokctl` stops a component (SIGKILL, pid file removed; see ForkExecKill in kwok v0.7.0), so its
// port refuses connections. After 10 s `kwokctl start cluster` starts the missing component again
// (it skips the ones still running) and waits until the cluster serves. Meanwhile the run must either
// retry through the outage and finish green, or fail after its retry bound with a message that names
// the cause; it must never hang (the run's own timeout and vitest's are the hang detectors). Either
// way, `--resume` afterwards converges. Whether 10 s is survived depends on what the step was doing
// when the apiserver went (both outcomes were seen); 30 s must fail, after the bound, naming the cause.
//
// kwokctl's binary runtime does not supervise its components. A 10 s outage makes kube-controller-manager
// and kube-scheduler lose their leader lease, and they exit ("leaderelection lost"), as they would on
// any cluster; there the kubelet (static pods) or k3s restarts them. The test plays that supervisor for a
// minute after the restart (`kwokctl start cluster` again whenever a component's process is gone), and
// the config's apps.wait.timeout is 90 s, so that whatever does not recover ends the run in a known bound.
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { controlPlaneBinaries, etcdVersion, kubernetesVersion } from '../../src/cluster/control-plane-binaries.js';
import { kwokctlEnv } from '../../src/cluster/kwok-args.js';
import { Journal } from '../../src/engine/journal.js';
import {
  GREEN_STATUSES,
  PROD,
  componentPidFile,
  deleteClusters,
  removeWorkspace,
  finalStatuses,
  inventory,
  isAlive,
  itemEvents,
  readJournalLoose,
  runCli,
  runId,
  sleep,
  stepEvents,
  tail,
  teardownOnExit,
  workspace,
  type CliRun,
} from './harness.js';

const ws = workspace('down', (doc) => {
  (doc.apps as Record<string, unknown>).wait = { timeout: '90s' };
});
/** DEFAULT_RETRY in src/kube/retry.ts: 5 retries after 200, 400, 800, 1600, 3000 ms. */
const RETRY_BOUND_MS = 200 + 400 + 800 + 1600 + 3000;
const untrap = teardownOnExit(ws);

function explain(run: CliRun): string {
  return `homelab-dr ${run.args.join(' ')}\nexit ${run.code} signal ${run.signal} after ${(run.elapsedMs / 1000).toFixed(1)}s\n--- stderr (tail)\n${tail(run.stderr, 60)}`;
}

const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok-controller'];

function componentRunning(component: string): boolean {
  try {
    return isAlive(Number(readFileSync(componentPidFile(ws, PROD, component), 'utf8').trim()));
  } catch {
    return false;
  }
}

interface Outage {
  restartedComponents: string[];
  stoppedAt?: number;
  restartedAt?: number;
  servedAt?: number;
  pid?: number;
  restart?: Promise<void>;
  error?: unknown;
}

/** Stops kube-apiserver as kwokctl does, and starts it again with kwokctl after outageMs. */
function stopApiserver(outage: Outage, outageMs: number): void {
  const pidFile = componentPidFile(ws, PROD, 'kube-apiserver');
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  outage.pid = pid;
  process.kill(pid, 'SIGKILL');
  rmSync(pidFile);
  outage.stoppedAt = Date.now();
  outage.restart = (async () => {
    while (isAlive(pid)) await sleep(20);
    await sleep(outageMs - (Date.now() - outage.stoppedAt!));
    outage.restartedAt = Date.now();
    const binaries = controlPlaneBinaries(['kubeApiserver', 'kubeControllerManager', 'kubeScheduler', 'kubectl', 'etcd', 'kwok', 'kwokctl']);
    const env = kwokctlEnv({ root: ws.kwokRoot, binaries, kubeVersion: kubernetesVersion(), etcdVersion: etcdVersion(), path: process.env.PATH ?? '' });
    // Asynchronous: a blocked event loop here would stall the watch on the run's journal.
    const kwokctlStart = () => new Promise<void>((resolve, reject) => {
      execFile(binaries.kwokctl, ['start', 'cluster', '--name', PROD, '--timeout', '90s'], { env: { ...process.env, ...env }, timeout: 120_000 }, (err, _out, errText) =>
        err ? reject(new Error(`kwokctl start cluster: ${err.message}\n${errText}`)) : resolve(),
      );
    });
    await kwokctlStart();
    outage.servedAt = Date.now();
    // The supervisor kwokctl does not have: start again whatever died of the outage.
    while (Date.now() - outage.servedAt < 60_000) {
      const dead = COMPONENTS.filter((c) => !componentRunning(c));
      if (dead.length > 0) {
        outage.restartedComponents.push(...dead);
        await kwokctlStart();
      }
      await sleep(500);
    }
  })().catch((err: unknown) => {
    outage.error = err;
  });
}

describe('kube-apiserver down for ~10 s during the apps step', () => {
  afterAll(async () => {
    await deleteClusters(ws);
    untrap();
    removeWorkspace(ws);
  }, 120_000);

  it.each([
    { outageMs: 10_000, mustFail: false },
    { outageMs: 30_000, mustFail: true },
  ])('$outageMs ms: the run retries through it or fails after its bound naming the cause, never hangs; --resume converges', async ({ outageMs, mustFail }) => {
    const outage: Outage = { restartedComponents: [] };
    const run = await runCli(['hard-reset', '--provider', 'kwok', '--yes'], {
      ws,
      runId: runId('down'),
      timeoutMs: 300_000,
      onPoll: ({ events }) => {
        if (outage.stoppedAt === undefined && stepEvents(events, 'apps').some((e) => e.status === 'running')) stopApiserver(outage, outageMs);
      },
    });
    await outage.restart;
    expect(outage.error, 'kwokctl start cluster failed').toBeUndefined();
    expect(outage.stoppedAt, `apps never started:\n${explain(run)}`).toBeDefined();
    const data = Journal.read(run.journalPath);
    // It ended by itself, and said so in its journal.
    expect(data.exitCode, explain(run)).toBe(run.code);
    const apps = stepEvents(readJournalLoose(run.journalPath).events, 'apps');
    const appsEnd = Date.parse(apps.at(-1)!.endedAt!);
    const figures = {
      outcome: run.code === 0 ? 'completed through the outage' : 'failed after the retry bound',
      exit: run.code,
      outageS: ((outage.restartedAt! - outage.stoppedAt!) / 1000).toFixed(1),
      servedAgainAfterS: ((outage.servedAt! - outage.stoppedAt!) / 1000).toFixed(1),
      appsEndedAfterStopS: ((appsEnd - outage.stoppedAt!) / 1000).toFixed(1),
      runS: (run.elapsedMs / 1000).toFixed(1),
      componentsRestartedBySupervisor: outage.restartedComponents.join(',') || 'none',
      firstFailure: /(FAILED|NOT VERIFIED) apps: .*/.exec(run.stderr)?.[0],
    };
    console.log(`[faults] apiserver-down ${outageMs / 1000}s: ${JSON.stringify(figures)}`);
    if (mustFail) expect(run.code, `an outage of ${outageMs / 1000}s outlasts the retry budget:\n${explain(run)}`).toBe(1);
    if (run.code === 0) {
      // Retried through it: apps was running across the whole outage and still went green with no failed item.
      expect(apps.at(-1)!.status).toBe('applied');
      expect(appsEnd).toBeGreaterThan(outage.restartedAt!);
      expect(itemEvents(readJournalLoose(run.journalPath).events, 'apps').filter((i) => i.outcome === 'failed')).toEqual([]);
    } else {
      expect(run.code, explain(run)).toBe(1);
      expect(apps.at(-1)!.status).toBe('failed');
      // The cause is named (the apiserver refused connections), with the object it was working on.
      expect(run.stderr, explain(run)).toMatch(/(FAILED|NOT VERIFIED) apps: .*ECONNREFUSED 127\.0\.0\.1:\d+ \(gave up after 6 attempts in \d+\.\ds\)/);
      // ...and only after the retry bound: the first failure came >= the whole retry budget after the stop.
      const firstFailure = itemEvents(readJournalLoose(run.journalPath).events, 'apps').find((i) => i.outcome === 'failed');
      const failedAt = firstFailure ? Date.parse(firstFailure.at) : appsEnd;
      expect(failedAt - outage.stoppedAt!, 'gave up before its retry budget was spent').toBeGreaterThanOrEqual(RETRY_BOUND_MS - 250);
    }
    // Nothing waits forever: the run ended within the outage plus a few retry budgets.
    expect(appsEnd - outage.stoppedAt!).toBeLessThan(outageMs + 120_000);

    const resumed = await runCli(['hard-reset', '--provider', 'kwok', '--yes', '--resume', run.runId], { ws, runId: runId('down-resume'), timeoutMs: 300_000 });
    expect(resumed.code, explain(resumed)).toBe(0);
    const statuses = finalStatuses(resumed.journalPath);
    for (const [step, status] of Object.entries(statuses)) expect(GREEN_STATUSES.has(status), `${step} is ${status}`).toBe(true);
    const inv = await inventory(ws, PROD);
    expect(inv.problems).toEqual([]);
  }, 600_000);
});
