// Fault injection 4: the sealed-secrets controller comes late, or never.
//
// How the run waits: on kwok, the sealed-secrets-controller step starts the real controller binary as a
// supervised local process (src/cluster/local-sealed-secrets.ts) and waits until it serves its
// certificate: at most 90 s (a fixed bound, not read from the config), and no longer once the
// supervisor has used its 3 restarts. reseal-secrets needs that step (DAG edge); it seals with the
// served certificate (or, when none is served, the active key Secret's) and then waits, with watches,
// up to the configured apps.wait.timeout (60 s here) for every SealedSecret to be Synced.
//
// How the controller is held back: the runs get HOMELAB_DR_CACHE pointing at a copy of the build cache
// (symlinks) in which sealed-secrets-controller is a small shell script that waits, then execs the real
// binary with the same arguments, as a slow image pull or a slow node would delay it. The product is
// unchanged: it starts and supervises "the controller" as always, and sees it come late, or never
// (the script keeps waiting), or crash at once (the script exits 1).
//
// Two places in the run meet the late controller:
//   1. held back from its first start: the controller step waits (and reseal only starts after it);
//   2. killed right after the controller step went green, and held back when the product's supervisor
//      starts it again: reseal seals with the active key and waits for Synced. To kill it before reseal
//      applies anything, the orchestrator is paused (SIGSTOP) for the moment it takes to kill the
//      controller, as soon as its journal says reseal-secrets is running (inotify on the journal), and
//      the test checks that no SealedSecret existed yet; if one did, that attempt does not count and the
//      scenario is run again (at most 3 times).
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import { cacheRoot, pinnedVersion } from '../../src/util/binaries.js';
import {
  GREEN_STATUSES,
  PROD,
  controllerPidFile,
  deleteClusters,
  removeWorkspace,
  finalStatuses,
  inventory,
  isAlive,
  kwokProvider,
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

const WAIT_S = 60;
const ws = workspace('ctl', (doc) => {
  (doc.apps as Record<string, unknown>).wait = { timeout: `${WAIT_S}s` };
});
const cache = join(ws.dir, 'cache');
const modeFile = join(ws.dir, 'controller-mode');
const LATE_S = 30;
const READY_BOUND_S = 90; // waitCertServed's default in local-sealed-secrets.ts
const SECRETS = ['networking/cloudflared-token', 'networking/gitlab-agent-token', 'argocd/argocd-repo-creds'];
let untrap: () => void = () => {};
const figures: Record<string, unknown> = {};

/** A cache whose sealed-secrets-controller is held back as modeFile says: seconds, "never" or "crash". */
function heldBackCache(): void {
  const real = join(cacheRoot(), 'bin');
  const ssDir = `sealed-secrets-${pinnedVersion('sealed-secrets')}`;
  mkdirSync(join(cache, 'bin', ssDir), { recursive: true });
  for (const entry of readdirSync(real)) {
    if (entry !== ssDir && !entry.includes('.partial')) symlinkSync(join(real, entry), join(cache, 'bin', entry));
  }
  for (const entry of readdirSync(join(real, ssDir))) {
    if (entry !== 'sealed-secrets-controller') symlinkSync(join(real, ssDir, entry), join(cache, 'bin', ssDir, entry));
  }
  const script = `#!/bin/sh
# homelab-dr fault injection: hold the real sealed-secrets controller back.
# Preflight's tool check (--version) is answered at once: the fault is a late start, not a broken binary.
[ "$1" = --version ] && exec '${join(real, ssDir, 'sealed-secrets-controller')}' "$@"
mode=$(cat '${modeFile}' 2>/dev/null || echo 0)
echo "[fault injection] controller start held back: $mode" >&2
case "$mode" in
  never) while :; do sleep 1; done ;;
  crash) echo "[fault injection] controller exits 1 at once" >&2; exit 1 ;;
  *) sleep "$mode" ;;
esac
exec '${join(real, ssDir, 'sealed-secrets-controller')}' "$@"
`;
  writeFileSync(join(cache, 'bin', ssDir, 'sealed-secrets-controller'), script, { mode: 0o755 });
}

function explain(run: CliRun): string {
  return `homelab-dr ${run.args.join(' ')}\nexit ${run.code} after ${(run.elapsedMs / 1000).toFixed(1)}s\n--- stderr (tail)\n${tail(run.stderr, 60)}`;
}

function hardReset(mode: string, label: string, extra: string[] = [], more: Partial<Parameters<typeof runCli>[1]> = {}): Promise<CliRun> {
  writeFileSync(modeFile, mode);
  return runCli(['hard-reset', '--provider', 'kwok', '--yes', ...extra], { ws, runId: runId(label), timeoutMs: 400_000, env: { HOMELAB_DR_CACHE: cache }, ...more });
}

function stepSpan(run: CliRun, step: string): { startedAt: number; endedAt: number; status: string; missing: string[] } {
  const last = stepEvents(readJournalLoose(run.journalPath).events, step).at(-1)!;
  return { startedAt: Date.parse(last.startedAt ?? ''), endedAt: Date.parse(last.endedAt ?? ''), status: last.status, missing: last.missing ?? [] };
}

function allGreen(run: CliRun): void {
  for (const [step, status] of Object.entries(finalStatuses(run.journalPath))) expect(GREEN_STATUSES.has(status), `${step} is ${status}\n${explain(run)}`).toBe(true);
}

async function sealedSecretCount(): Promise<number> {
  const kube = await KubeClient.fromKubeconfig(await kwokProvider(ws).kubeconfig(PROD));
  try {
    return (await kube.list({ apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret' })).length;
  } finally {
    kube.close();
  }
}

interface Takedown {
  at?: number;
  sealedBefore?: number;
  killedPid?: number;
  error?: unknown;
}

/**
 * A full hard-reset during which the controller is killed as reseal-secrets starts, and comes back as
 * `mode` says when the product's supervisor starts it again. Retried while the kill came too late.
 */
async function killControllerAtReseal(mode: string, label: string): Promise<{ run: CliRun; takedown: Takedown; attempts: number }> {
  for (let attempt = 1; ; attempt += 1) {
    const takedown: Takedown = {};
    const run = await hardReset('0', `${label}-${attempt}`, [], {
      watchJournal: true,
      onPoll: async ({ events, pid }) => {
        if (takedown.at !== undefined || !stepEvents(events, 'reseal-secrets').some((e) => e.status === 'running')) return;
        takedown.at = Date.now();
        process.kill(pid, 'SIGSTOP');
        try {
          takedown.sealedBefore = await sealedSecretCount();
          writeFileSync(modeFile, mode);
          const ctl = Number(readFileSync(controllerPidFile(ws, PROD), 'utf8').trim());
          process.kill(ctl, 'SIGKILL');
          while (isAlive(ctl)) await sleep(10);
          takedown.killedPid = ctl;
        } catch (err) {
          takedown.error = err;
        } finally {
          process.kill(pid, 'SIGCONT');
        }
      },
    });
    expect(takedown.error, 'could not take the controller down').toBeUndefined();
    expect(takedown.at, `reseal-secrets never started:\n${explain(run)}`).toBeDefined();
    if (takedown.sealedBefore === 0) return { run, takedown, attempts: attempt };
    console.log(`[faults] controller-late: attempt ${attempt}: ${takedown.sealedBefore} SealedSecret(s) existed before the kill landed; again`);
    expect(attempt, 'the kill never landed before reseal applied its first SealedSecret').toBeLessThan(3);
  }
}

describe('the sealed-secrets controller comes late, or never', () => {
  beforeAll(() => {
    untrap = teardownOnExit(ws);
    heldBackCache();
  });

  afterAll(async () => {
    console.log(`[faults] controller-late figures: ${JSON.stringify(figures, null, 1)}`);
    await deleteClusters(ws);
    untrap();
    removeWorkspace(ws);
  }, 120_000);

  describe('held back from its first start: the controller step waits for it', () => {
    it(`${LATE_S} s late: the run waits for it, then reseals, and goes green`, async () => {
      const run = await hardReset(String(LATE_S), 'ctl-late');
      expect(run.code, explain(run)).toBe(0);
      const ctl = stepSpan(run, 'sealed-secrets-controller');
      const reseal = stepSpan(run, 'reseal-secrets');
      figures.startLate = { controllerStepS: (ctl.endedAt - ctl.startedAt) / 1000, runS: run.elapsedMs / 1000 };
      expect(ctl.status).toBe('applied');
      expect(ctl.endedAt - ctl.startedAt, 'the controller step waited for the late controller').toBeGreaterThanOrEqual(LATE_S * 1000);
      expect(reseal.status).toBe('applied');
      expect(reseal.startedAt).toBeGreaterThanOrEqual(ctl.endedAt);
      allGreen(run);
      expect((await inventory(ws, PROD)).problems).toEqual([]);
    }, 600_000);

    it(`never serving: the controller step fails within its ${READY_BOUND_S} s bound with a diagnosis; reseal does not run`, async () => {
      const run = await hardReset('never', 'ctl-never');
      expect(run.code, explain(run)).toBe(1);
      const ctl = stepSpan(run, 'sealed-secrets-controller');
      const diagnosis = /FAILED sealed-secrets-controller: .*/.exec(run.stderr)?.[0];
      figures.startNever = { controllerStepS: (ctl.endedAt - ctl.startedAt) / 1000, diagnosis };
      expect(ctl.status).toBe('failed');
      expect(ctl.endedAt - ctl.startedAt).toBeGreaterThanOrEqual(READY_BOUND_S * 1000);
      expect(ctl.endedAt - ctl.startedAt).toBeLessThan((READY_BOUND_S + 30) * 1000);
      // The diagnosis: what was awaited, for how long, how the process fared, and its last log lines.
      expect(run.stderr).toMatch(new RegExp(`FAILED sealed-secrets-controller: .*the local sealed-secrets controller did not serve http://127\\.0\\.0\\.1:\\d+/v1/cert\\.pem within ${READY_BOUND_S}s \\(exits: none\\); last log lines:`));
      expect(run.stderr).toContain('controller start held back: never');
      expect(finalStatuses(run.journalPath)).toMatchObject({ 'reseal-secrets': 'blocked', apps: 'blocked' });
      expect(run.stderr).toMatch(/reseal-secrets\s+(0\s+){6}not run: blocked by sealed-secrets-controller/);
      // Nothing is left behind: the held-back process was stopped when the wait gave up.
      expect(existsSync(controllerPidFile(ws, PROD))).toBe(false);

      // Once the controller can start, resuming the failed run converges.
      const resumed = await hardReset('0', 'ctl-never-resume', ['--resume', run.runId]);
      expect(resumed.code, explain(resumed)).toBe(0);
      allGreen(resumed);
      expect((await inventory(ws, PROD)).problems).toEqual([]);
    }, 600_000);

    it('crashing at every start: the step gives up once the restarts are spent, long before its bound, and says how it died', async () => {
      const run = await hardReset('crash', 'ctl-crash');
      expect(run.code, explain(run)).toBe(1);
      const ctl = stepSpan(run, 'sealed-secrets-controller');
      figures.startCrash = { controllerStepS: (ctl.endedAt - ctl.startedAt) / 1000, diagnosis: /FAILED sealed-secrets-controller: .*/.exec(run.stderr)?.[0] };
      expect(ctl.status).toBe('failed');
      expect(ctl.endedAt - ctl.startedAt).toBeLessThan(30_000);
      expect(run.stderr).toMatch(/did not serve http:\/\/127\.0\.0\.1:\d+\/v1\/cert\.pem within \d+s \(exits: code 1, code 1, code 1, code 1\)/);
      expect(run.stderr).toContain('controller exits 1 at once');
      expect(finalStatuses(run.journalPath)).toMatchObject({ 'reseal-secrets': 'blocked' });
    }, 600_000);
  });

  describe('killed as reseal starts, started again late by the supervisor: reseal waits for it', () => {
    it(`back ${LATE_S} s later: reseal seals with the active key, waits for Synced, and goes green`, async () => {
      const { run, takedown, attempts } = await killControllerAtReseal(String(LATE_S), 'ctl-reseal-late');
      expect(run.code, explain(run)).toBe(0);
      const reseal = stepSpan(run, 'reseal-secrets');
      figures.resealLate = { attempts, resealStepS: (reseal.endedAt - reseal.startedAt) / 1000, runS: run.elapsedMs / 1000 };
      expect(reseal.status).toBe('applied');
      // reseal was still waiting when the controller came back, and finished only after.
      expect(reseal.endedAt - takedown.at!).toBeGreaterThanOrEqual(LATE_S * 1000);
      expect(reseal.endedAt - reseal.startedAt).toBeLessThan(WAIT_S * 1000);
      // The product's own supervisor started it again (a new pid), through the held-back start.
      const pid = Number(readFileSync(controllerPidFile(ws, PROD), 'utf8').trim());
      expect(pid).not.toBe(takedown.killedPid);
      allGreen(run);
      expect((await inventory(ws, PROD)).problems).toEqual([]);
    }, 600_000);

    it(`never back: reseal fails within the configured ${WAIT_S} s with a diagnosis naming each SealedSecret and the controller`, async () => {
      const { run, takedown, attempts } = await killControllerAtReseal('never', 'ctl-reseal-never');
      expect(run.code, explain(run)).toBe(1);
      const reseal = stepSpan(run, 'reseal-secrets');
      figures.resealNever = { attempts, resealStepS: (reseal.endedAt - reseal.startedAt) / 1000, missing: reseal.missing };
      expect(reseal.status).toBe('failed');
      expect(reseal.endedAt - takedown.at!).toBeGreaterThanOrEqual(WAIT_S * 1000);
      expect(reseal.endedAt - takedown.at!).toBeLessThan((WAIT_S + 30) * 1000);
      for (const name of SECRETS) expect(run.stderr).toMatch(new RegExp(`NOT VERIFIED reseal-secrets: SealedSecret ${name}: `));
      // ...and why: the controller that should unseal them does not answer.
      expect(run.stderr).toMatch(/NOT VERIFIED reseal-secrets: the sealed-secrets controller does not answer, so nothing unseals them: it serves no certificate \(local controller: /);
      expect(finalStatuses(run.journalPath)).toMatchObject({ apps: 'blocked' });

      const resumed = await hardReset('0', 'ctl-reseal-never-resume', ['--resume', run.runId]);
      expect(resumed.code, explain(resumed)).toBe(0);
      allGreen(resumed);
      expect((await inventory(ws, PROD)).problems).toEqual([]);
    }, 600_000);
  });
});
