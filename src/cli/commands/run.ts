// hard-reset, dr-test and drill: refuse what cannot run, confirm destruction, then run the DAG with
// the journal, the ledger, JSON logs and live progress; Ctrl-C finishes the current item and exits 130.
// dr-test and drill act on a throwaway cluster, prove the result by verifying every step once more, and
// tear the cluster down in every case unless --keep.
import { topologicalOrder } from '../../engine/dag.js';
import { Journal, newRunId, type JournalData } from '../../engine/journal.js';
import { Ledger } from '../../engine/ledger.js';
import { runSteps, selectSteps, verifyAll } from '../../engine/runner.js';
import { GREEN, type StepState } from '../../engine/types.js';
import { errorMessage, InputError, RefusedError } from '../../util/errors.js';
import { assertThrowawayNameDiffers } from '../../safety/guards.js';
import { confirmDestruction } from '../../safety/confirm.js';
import { DETACHED_ENV, RUN_ID_ENV } from '../../safety/detach.js';
import { lockRun, type LockHolder } from '../../safety/run-lock.js';
import { sweepOldThrowaways } from '../../safety/teardown.js';
import { createRunLogger, type Logger } from '../../util/log.js';
import type { Screen } from '../../safety/screen.js';
import { providerKind, type RecoveryContext } from '../../../steps/context.js';
import { firewallGuard } from '../../../steps/firewall.js';
import { assertSealingKeyKept } from '../../../steps/key-backup.js';
import type { CliOptions } from '../args.js';
import { assertTargetIsProviderCluster, loadForCommand, stateDirOf, type Loaded } from '../context.js';
import { Progress } from '../progress.js';
import { RunReport } from '../run-report.js';
import { interruptHandler, survivesHangup } from '../run-signals.js';
import { summaryTable } from '../summary.js';
import { buildPlanReport } from './plan.js';

type RunMode = 'hard-reset' | 'dr-test' | 'drill';

function previousRun(stateDir: string, opts: CliOptions): JournalData | undefined {
  if (opts.resume === undefined) return undefined;
  const path = Journal.find(stateDir, opts.resume || undefined);
  if (!path) throw new InputError(`--resume: no run journal ${opts.resume ? `named ${opts.resume} ` : ''}in ${stateDir}/runs`);
  return Journal.read(path);
}

/** drill-evidence.ts learns when the journal exists, so that a refusal before it gets evidence of its own. */
export interface RunHooks {
  onJournal?(path: string): void;
}

/** Everything a run's phases share: made once, from the one config load. */
interface Run extends Loaded {
  mode: RunMode;
  opts: CliOptions;
  hooks: RunHooks;
  abort: AbortController;
  stateDir: string;
  previous: JournalData | undefined;
  runId: string;
  logger: Logger;
  logPath: string;
  throwaway: boolean;
  /** -o and --events: the run as one result document and a live event stream. */
  report: RunReport;
}

/** A run's phases, in order: refuse, lock, guard, confirm (or detach), journal, run, prove, tear down, report. */
export async function runCommand(mode: RunMode, opts: CliOptions, hooks: RunHooks = {}): Promise<number> {
  const stateDir = stateDirOf(opts);
  const previous = previousRun(stateDir, opts);
  // A detached re-execution continues under the run id its parent already told the operator to follow.
  const runId = process.env[RUN_ID_ENV]?.trim() || newRunId();
  const { logger, path: logPath } = createRunLogger({ stateDir, runId });
  // SIGHUP (the SSH session dropping) never stops a run; its output goes on to the log and journal.
  const hangup = survivesHangup(logger);
  try {
    const abort = new AbortController();
    const loaded = await loadForCommand(opts, mode, { signal: abort.signal, log: logger, recordedCluster: previous?.header.cluster });
    const run: Run = { ...loaded, mode, opts, hooks, abort, stateDir, previous, runId, logger, logPath, throwaway: mode !== 'hard-reset', report: new RunReport(opts, { runId, command: mode, cluster: loaded.ctx.clusterName }) };
    refuseWhatCannotRun(run);
    // One run per state directory and per cluster, for the whole run (teardown and report included).
    const locks = lockRun({
      stateDir,
      cluster: run.ctx.clusterName,
      clusterHome: (await run.ctx.provider()).clusterHome,
      command: `${mode}${opts.resume !== undefined ? ' --resume' : ''}`,
      runId,
      detached: process.env[DETACHED_ENV] === '1',
    });
    try {
      const previouslyGreen = previous ? new Set([...previous.steps.values()].filter((s) => GREEN.has(s.status)).map((s) => s.id)) : undefined;
      // The screen only reads, so it is gathered while the guards run; it is shown only once they pass.
      const screen = await guard(run, () => screenOf(run, previouslyGreen));
      if (await confirmOrDetach(run, screen, locks.fds)) return 0;
      return await execute(run, previouslyGreen);
    } finally {
      locks.release();
    }
  } finally {
    hangup();
  }
}

/** Bad selection (exit 2) and what this provider or mode can never do (exit 3), before a lock or a journal exists. */
function refuseWhatCannotRun(run: Run): void {
  const { mode, opts, ctx, steps, config, throwaway } = run;
  // A typo in --only/--from is bad input (exit 2), found before a journal or a cluster exists.
  const selected = selectSteps(steps, opts.only, opts.from);
  // Preflight proves the tools of exactly these steps.
  ctx.selectedSteps = steps.filter((s) => selected.has(s.id));
  // A throwaway cluster is always made afresh; production is kept when delete-cluster does not run.
  const kind = providerKind(ctx);
  ctx.keepsCluster = !throwaway && (!kind.ownsCluster || !selected.has('delete-cluster'));
  if (!kind.ownsCluster && (throwaway || (!opts.only && !opts.from))) {
    throw new RefusedError(
      `provider ${kind.name} never deletes or creates a cluster, so ${mode} cannot run the whole plan; restore into it with --only or --from (e.g. --from namespaces)`,
    );
  }
  if (throwaway) assertThrowawayNameDiffers(config.cluster.name, ctx.clusterName, mode);
}

/**
 * A read started now and awaited later, in its turn: its rejection is handled by whoever awaits it, and
 * never reported as unhandled when an earlier refusal ends the run first.
 */
function inTurn<T>(work: Promise<T>): Promise<T> {
  work.catch(() => undefined);
  return work;
}

/**
 * The guards (exit 3) that must refuse before anything is destroyed. `alongside` (a read of its own) runs
 * with them once the kubeconfig is known to mean the cluster; its result is returned when they all pass.
 */
async function guard<T>(run: Run, alongside: () => Promise<T>): Promise<T> {
  const { mode, opts, ctx, config } = run;
  if (!providerKind(ctx).ownsCluster) await assertExistingContext(ctx, config.cluster.context);
  const read = inTurn(alongside());
  // The guards only read: they run at once, and refuse in the order below.
  const sealingKey = inTurn(mode === 'hard-reset' ? assertSealingKeyKept(ctx) : Promise.resolve());
  const target = inTurn(assertTargetIsProviderCluster(ctx));
  if (mode !== 'dr-test') {
    // The run's own load: the plan report renders nothing a second time.
    const report = await buildPlanReport(opts, mode, run);
    const { circular, litmusIncomplete } = report;
    if (litmusIncomplete) throw new RefusedError(`${mode} refuses: the litmus could not run to the end: ${litmusIncomplete}`, [], 'litmus');
    const unjudged = report.litmus.flatMap((r) => (r.problem ? [r.problem.message] : []));
    if (unjudged.length > 0) throw new RefusedError(`${mode} refuses: the litmus could not judge every run-time dependency`, unjudged, 'litmus');
    if (circular.length > 0) {
      throw new RefusedError(
        `${mode} refuses: ${circular.length} run-time dependenc${circular.length === 1 ? 'y lives' : 'ies live'} inside the cluster being rebuilt`,
        circular.map((c) => `${c.step}: ${c.name} (${c.target}): ${c.reason}`),
        'litmus',
      );
    }
  }
  // A ruleset that would drop this very SSH session is refused.
  firewallGuard(ctx);
  // A live sealing key that no backup keeps is refused.
  await sealingKey;
  await target;
  return read;
}

/**
 * A throwaway cluster is ours to delete; production needs a person's typed yes, after the screen that
 * says what the deletion takes with it and whether this very session goes down with it. True when the
 * run went on detached (this process then exits 0).
 */
async function confirmOrDetach(run: Run, screen: Screen | undefined, inheritFds: number[]): Promise<boolean> {
  const { mode, opts, ctx } = run;
  if (!screen) return false;
  process.stderr.write(screen.text);
  run.report.blastRadius(screen.data);
  await confirmDestruction(ctx.clusterName, { yes: opts.yes, shown: { blastRadius: screen.data } });
  if (!screen.throughCluster) return false;
  const { maybeDetach } = await import('../../safety/detach.js');
  // The detached run inherits this run's locks, so no other run can slip in while this one exits.
  const notice = await maybeDetach({ command: mode, throughCluster: true, runId: run.runId, stateDir: run.stateDir, inheritFds, ...(opts.stateDir ? { stateDirFlag: opts.stateDir } : {}) });
  if (!notice) return false;
  process.stderr.write(`${notice}\n`);
  return true;
}

/** The blast-radius screen of a run that destroys production (read-only); undefined when it destroys nothing of it. */
async function screenOf(run: Run, previouslyGreen: Set<string> | undefined): Promise<Screen | undefined> {
  const { mode, opts, ctx, config, steps } = run;
  const ordered = topologicalOrder(steps);
  const destroys = ordered.some((s) => s.destructive && !previouslyGreen?.has(s.id) && (!opts.only || opts.only.includes(s.id)));
  if (!destroys || run.throwaway) return undefined;
  const { blastRadiusScreen } = await import('../../safety/screen.js');
  return blastRadiusScreen(ctx, config, ordered.map((s) => s.id), mode);
}

/** The journaled run: the steps, the proof, the teardown and the report; Ctrl-C finishes the current item. */
async function execute(run: Run, previouslyGreen: Set<string> | undefined): Promise<number> {
  const { mode, opts, ctx, config, steps, throwaway, logger, report } = run;
  const ordered = topologicalOrder(steps);
  const journal = Journal.start(run.stateDir, {
    runId: run.runId,
    command: mode,
    config: config.source,
    startedAt: new Date().toISOString(),
    steps: ordered.map((s) => s.id),
    cluster: ctx.clusterName,
    ...(run.previous ? { resumedFrom: run.previous.header.runId } : {}),
  });
  run.hooks.onJournal?.(journal.path);
  const ledger = new Ledger();
  ledger.onRecord((item) => {
    journal.append({ t: 'item', ...item });
    report.item(item);
    logger.info({ step: item.step, kind: item.kind, name: item.name, outcome: item.outcome, error: item.error }, 'item');
  });
  const notes: string[] = [];
  if (mode === 'drill') notes.push(...(await sweepBeforeDrill(ctx, config, ledger, { pid: process.pid, command: mode, runId: run.runId, startedAt: new Date().toISOString() })));
  const progress = new Progress(ordered.map((s) => s.id));
  const interrupts = interruptHandler({
    abort: run.abort,
    throwaway,
    cluster: ctx.clusterName,
    teardownCommand: teardownCommand(ctx.clusterName, opts),
    onAbandon: () => journal.append({ t: 'end', exitCode: 130, at: new Date().toISOString() }),
  });
  let exitCode: number = 1;
  let outcome: Awaited<ReturnType<typeof runSteps>> | undefined;
  try {
    outcome = await runSteps({
      steps,
      ctx,
      ledger,
      concurrency: opts.concurrency,
      only: opts.only,
      from: opts.from,
      previouslyGreen,
      onState: (state) => {
        journal.append({ t: 'step', ...state });
        report.step(state);
        logger.info({ step: state.id, status: state.status, blockedBy: state.blockedBy, missing: state.missing }, 'step');
        progress?.update(state);
      },
    });
    progress?.stop();
    exitCode = outcome.exitCode;
    if (throwaway && exitCode === 0) exitCode = await prove(run, outcome.states, ledger, notes);
    process.stderr.write(`\n${summaryTable(ordered.map((s) => s.id), outcome.states, ledger.items)}`);
  } catch (err) {
    // A refusal inside the run (an unselected need that does not verify) ends it with its own code.
    progress?.stop();
    exitCode = (err as { exitCode?: number }).exitCode ?? 1;
    throw err;
  } finally {
    if (throwaway) exitCode = await tearDownThrowaway(run, reachedCluster(outcome?.states, previouslyGreen), { ledger, notes, interrupts }, exitCode);
    interrupts.remove();
    journal.append({ t: 'end', exitCode, at: new Date().toISOString() });
    if (mode === 'drill') exitCode = await (await import('./drill-evidence.js')).reportJournaledDrill(journal.path, exitCode, opts, config, ctx.providerName, notes);
    process.stderr.write(`${notes.join('\n')}\njournal: ${journal.path}\nlog: ${run.logPath}\n`);
    report.end({ exitCode, states: outcome?.states, items: ledger.items, notes, journal: journal.path, log: run.logPath });
  }
  return exitCode;
}

/** The proof of a green throwaway run: every step that ran green still verifies on the finished cluster, counted in the ledger. */
async function prove(run: Run, states: Map<string, StepState>, ledger: Ledger, notes: string[]): Promise<number> {
  const ran = run.steps.filter((step) => GREEN.has(states.get(step.id)?.status ?? 'pending') && !step.destructive);
  const failures = (await verifyAll(ran, run.ctx)).flatMap(({ step, result }) => (result.ok ? [] : result.missing.map((m) => `${step.id}: ${m}`)));
  notes.push(failures.length === 0
    ? `proof: every step that ran verifies again on the finished cluster ${run.ctx.clusterName}`
    : `PROOF FAILED: ${failures.length} problem(s) on the finished cluster:\n${failures.map((f) => `  ${f}`).join('\n')}`);
  for (const f of failures) ledger.record('proof', 'verify', f.split(':')[0]!, 'failed', f);
  return failures.length > 0 ? 1 : 0;
}

/** A throwaway cluster goes unless --keep; one left behind is a failure of the test, even when every step was green. */
async function tearDownThrowaway(
  run: Run,
  reached: boolean,
  { ledger, notes, interrupts }: { ledger: Ledger; notes: string[]; interrupts: { tearingDown(): void } },
  exitCode: number,
): Promise<number> {
  const { ctx, opts } = run;
  if (opts.keep) {
    notes.push(`--keep: cluster ${ctx.clusterName} is left running; remove it with: ${teardownCommand(ctx.clusterName, opts)}`);
    return exitCode;
  }
  if (!reached) {
    notes.push(`teardown: not needed: no step of this run reached cluster ${ctx.clusterName}`);
    return exitCode;
  }
  interrupts.tearingDown();
  const note = await teardown(ctx, ledger);
  notes.push(note);
  return note.startsWith('TEARDOWN FAILED') && exitCode === 0 ? 1 : exitCode;
}

/** Whether any step that acts on the cluster started in this run (or a resumed one got that far). */
function reachedCluster(states: Map<string, StepState> | undefined, previouslyGreen: Set<string> | undefined): boolean {
  if (previouslyGreen && [...previouslyGreen].some((id) => id !== 'preflight')) return true;
  if (!states) return true; // unknown: tear down to be safe
  const idle = new Set(['pending', 'blocked', 'not-selected']);
  return [...states.values()].some((st) => st.id !== 'preflight' && !idle.has(st.status));
}

/**
 * provider existing acts on whatever the kubeconfig names. Without an explicit cluster.context the
 * current-context must be recognisably the configured cluster, or the run would restore into another one.
 */
async function assertExistingContext(ctx: RecoveryContext, configured: string | undefined): Promise<void> {
  const provider = (await ctx.provider()) as { kubeconfig(name: string): Promise<string>; context?: string };
  await provider.kubeconfig(ctx.clusterName); // InputError (exit 2) when the context or file is wrong
  if (configured) return;
  const current = provider.context ?? '';
  const name = ctx.clusterName;
  if (current === name || current === `k3d-${name}`) return;
  throw new RefusedError(`the kubeconfig's current-context is context "${current}", not cluster "${name}"; nothing was touched`, [
    `set cluster.context: <the context of ${name}> in the config, so that a run can never restore into another cluster`,
  ]);
}

async function teardown(ctx: RecoveryContext, ledger: Ledger): Promise<string> {
  try {
    const provider = await ctx.provider();
    if (!(await provider.exists(ctx.clusterName))) return `teardown: cluster ${ctx.clusterName} does not exist`;
    (await ctx.kube().catch(() => undefined))?.close();
    await provider.delete(ctx.clusterName);
    ledger.record('teardown', 'Cluster', ctx.clusterName, 'deleted');
    return `teardown: cluster ${ctx.clusterName} deleted`;
  } catch (err) {
    ledger.record('teardown', 'Cluster', ctx.clusterName, 'failed', errorMessage(err));
    return `TEARDOWN FAILED: cluster ${ctx.clusterName} may still exist: ${errorMessage(err)}`;
  }
}

/** The one command that removes a throwaway cluster this run leaves behind. */
function teardownCommand(cluster: string, opts: CliOptions): string {
  return `homelab-dr teardown ${cluster} --config ${opts.config}${opts.provider ? ` --provider ${opts.provider}` : ''}${opts.stateDir ? ` --state-dir ${opts.stateDir}` : ''}`;
}

/** Before a drill: this config's throwaway clusters older than drill.throwawayMaxAge go, each in the ledger (the report's housekeeping). */
async function sweepBeforeDrill(ctx: RecoveryContext, config: RecoveryContext['config'], ledger: Ledger, holder: LockHolder): Promise<string[]> {
  const maxAgeMs = config.drill.throwawayMaxAgeMs;
  try {
    const { outcomes, kept } = await sweepOldThrowaways({ provider: await ctx.provider(), production: config.cluster.name, maxAgeMs, current: ctx.clusterName, holder });
    for (const o of outcomes) ledger.record('sweep', 'Cluster', o.name, o.outcome, o.outcome === 'skipped' ? o.message : o.error);
    const age = `${Math.round(maxAgeMs / 3_600_000)}h`;
    return [`sweep: ${outcomes.filter((o) => o.outcome === 'deleted').length} throwaway cluster(s) older than ${age} removed, ${kept} younger kept${outcomes.length ? `: ${outcomes.map((o) => o.message).join('; ')}` : ''}`];
  } catch (err) {
    ledger.record('sweep', 'Cluster', '*', 'failed', errorMessage(err));
    return [`SWEEP FAILED: ${errorMessage(err)}`];
  }
}
