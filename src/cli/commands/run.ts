// hard-reset, dr-test and drill: refuse what cannot run, confirm destruction, then run the DAG with
// the journal, the ledger, JSON logs and live progress; Ctrl-C finishes the current item and exits 130.
// dr-test and drill act on a throwaway cluster, prove the result by verifying every step once more, and
// tear the cluster down in every case unless --keep.
import { createInterface } from 'node:readline/promises';
import { topologicalOrder } from '../../engine/dag.js';
import { Journal, newRunId, type JournalData } from '../../engine/journal.js';
import { Ledger } from '../../engine/ledger.js';
import { runSteps } from '../../engine/runner.js';
import { GREEN, type Step, type StepState } from '../../engine/types.js';
import { errorMessage, InputError, RefusedError } from '../../util/errors.js';
import { selectSteps } from '../../engine/runner.js';
import { assertKubeconfigIsProviderCluster, assertThrowawayNameDiffers } from '../../safety/guards.js';
import { RUN_ID_ENV } from '../../safety/detach.js';
import { createRunLogger } from '../../util/log.js';
import type { RecoveryContext } from '../../../steps/context.js';
import { firewallGuard } from '../../../steps/firewall.js';
import { assertSealingKeyKept } from '../../../steps/key-backup.js';
import type { CliOptions } from '../args.js';
import { loadForCommand, stateDirOf } from '../context.js';
import { Progress } from '../progress.js';
import { summaryTable } from '../summary.js';
import { buildPlanReport } from './plan.js';

type RunMode = 'hard-reset' | 'dr-test' | 'drill';

async function confirmDestruction(cluster: string, opts: CliOptions): Promise<void> {
  if (opts.yes) return;
  if (!process.stdin.isTTY) {
    throw new RefusedError(`destroying cluster "${cluster}" needs a typed confirmation on a terminal, or --yes`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`Type the cluster name (${cluster}) to destroy it: `);
    if (answer.trim() !== cluster) throw new RefusedError(`confirmation did not match "${cluster}"; nothing was touched`);
  } finally {
    rl.close();
  }
}

function previousRun(stateDir: string, opts: CliOptions): JournalData | undefined {
  if (opts.resume === undefined) return undefined;
  const path = Journal.find(stateDir, opts.resume || undefined);
  if (!path) throw new InputError(`--resume: no run journal ${opts.resume ? `named ${opts.resume} ` : ''}in ${stateDir}/runs`);
  return Journal.read(path);
}

/** The proof of a dr-test: every step that ran green still verifies on the finished cluster. */
async function proveGreen(steps: readonly Step<RecoveryContext>[], ctx: RecoveryContext, states: Map<string, StepState>): Promise<string[]> {
  const failures: string[] = [];
  for (const step of steps) {
    const st = states.get(step.id);
    if (!st || !GREEN.has(st.status) || step.destructive) continue;
    try {
      const v = await step.verify(ctx);
      if (!v.ok) failures.push(...v.missing.map((m) => `${step.id}: ${m}`));
    } catch (err) {
      failures.push(`${step.id}: verify failed: ${errorMessage(err)}`);
    }
  }
  return failures;
}

export async function runCommand(mode: RunMode, opts: CliOptions, hooks: { onJournal?(path: string): void } = {}): Promise<number> {
  const abort = new AbortController();
  const stateDir = stateDirOf(opts);
  const previous = previousRun(stateDir, opts);
  // A detached re-execution continues under the run id its parent already told the operator to follow.
  const runId = process.env[RUN_ID_ENV]?.trim() || newRunId();
  const { logger, path: logPath } = createRunLogger({ stateDir, runId, toStdout: opts.json });
  const { steps, ctx, config } = await loadForCommand(opts, mode, { signal: abort.signal, log: logger, recordedCluster: previous?.header.cluster });
  const throwaway = mode !== 'hard-reset';
  // A typo in --only/--from is bad input (exit 2), found before a journal or a cluster exists.
  const selected = selectSteps(steps, opts.only, opts.from);
  // Preflight proves the tools of exactly these steps.
  ctx.selectedSteps = steps.filter((s) => selected.has(s.id));
  ctx.keepsCluster = ctx.providerName === 'existing' || !selected.has('delete-cluster');
  if (ctx.providerName === 'existing' && (throwaway || (!opts.only && !opts.from))) {
    throw new RefusedError(
      `provider existing never deletes or creates a cluster, so ${mode} cannot run the whole plan; restore into it with --only or --from (e.g. --from namespaces)`,
    );
  }
  if (throwaway) assertThrowawayNameDiffers(config.cluster.name, ctx.clusterName, mode);
  if (ctx.providerName === 'existing') await assertExistingContext(ctx, config.cluster.context);

  if (mode !== 'dr-test') {
    const { circular, litmusIncomplete } = await buildPlanReport(opts, mode);
    if (litmusIncomplete) throw new RefusedError(`${mode} refuses: the litmus could not run to the end: ${litmusIncomplete}`);
    if (circular.length > 0) {
      throw new RefusedError(
        `${mode} refuses: ${circular.length} run-time dependenc${circular.length === 1 ? 'y lives' : 'ies live'} inside the cluster being rebuilt`,
        circular.map((c) => `${c.step}: ${c.name} (${c.target}): ${c.reason}`),
      );
    }
  }
  // Before anything is destroyed: a ruleset that would drop this very SSH session is refused (exit 3).
  firewallGuard(ctx);
  // Before anything is destroyed: a live sealing key that no backup keeps is refused (exit 3).
  if (mode === 'hard-reset') await assertSealingKeyKept(ctx);
  await assertKubeconfigIsProviderCluster(await ctx.provider(), ctx.clusterName, async () => (await ctx.kube()).server.href);

  const previouslyGreen = previous
    ? new Set([...previous.steps.values()].filter((s) => GREEN.has(s.status)).map((s) => s.id))
    : undefined;
  const ordered = topologicalOrder(steps);
  const destroys = ordered.some((s) => s.destructive && !previouslyGreen?.has(s.id) && (!opts.only || opts.only.includes(s.id)));
  // A throwaway cluster is ours to delete; production needs a person's typed yes, after the screen
  // that says what the deletion takes with it and whether this very session goes down with it.
  if (destroys && !throwaway) {
    const { blastRadiusScreen } = await import('../../safety/screen.js');
    const screen = await blastRadiusScreen(ctx, config, ordered.map((s) => s.id), mode);
    process.stderr.write(screen.text);
    await confirmDestruction(ctx.clusterName, opts);
    if (screen.throughCluster) {
      const { maybeDetach } = await import('../../safety/detach.js');
      const notice = await maybeDetach({ command: mode, throughCluster: true, runId, stateDir, ...(opts.stateDir ? { stateDirFlag: opts.stateDir } : {}) });
      if (notice) {
        process.stderr.write(`${notice}\n`);
        return 0;
      }
    }
  }

  const journal = Journal.start(stateDir, {
    runId,
    command: mode,
    config: config.source,
    startedAt: new Date().toISOString(),
    steps: ordered.map((s) => s.id),
    cluster: ctx.clusterName,
    ...(previous ? { resumedFrom: previous.header.runId } : {}),
  });
  hooks.onJournal?.(journal.path);
  const ledger = new Ledger();
  ledger.onRecord((item) => {
    journal.append({ t: 'item', ...item });
    logger.info({ step: item.step, kind: item.kind, name: item.name, outcome: item.outcome, error: item.error }, 'item');
  });
  const progress = opts.json ? undefined : new Progress(ordered.map((s) => s.id));
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      process.stderr.write('\ninterrupt: finishing the current item, then stopping (Ctrl-C again to abandon it)\n');
      abort.abort();
    } else {
      journal.append({ t: 'end', exitCode: 130, at: new Date().toISOString() });
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let exitCode: number = 1;
  const notes: string[] = [];
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
        logger.info({ step: state.id, status: state.status, blockedBy: state.blockedBy, missing: state.missing }, 'step');
        progress?.update(state);
      },
    });
    progress?.stop();
    exitCode = outcome.exitCode;
    if (throwaway && exitCode === 0) {
      const failures = await proveGreen(steps, ctx, outcome.states);
      notes.push(failures.length === 0
        ? `proof: every step that ran verifies again on the finished cluster ${ctx.clusterName}`
        : `PROOF FAILED: ${failures.length} problem(s) on the finished cluster:\n${failures.map((f) => `  ${f}`).join('\n')}`);
      for (const f of failures) ledger.record('proof', 'verify', f.split(':')[0]!, 'failed', f);
      if (failures.length > 0) exitCode = 1;
    }
    if (!opts.json) process.stderr.write(`\n${summaryTable(ordered.map((s) => s.id), outcome.states, ledger.items)}`);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    if (throwaway && !opts.keep && !reachedCluster(outcome?.states, previouslyGreen)) {
      notes.push(`teardown: not needed: no step of this run reached cluster ${ctx.clusterName}`);
    } else if (throwaway && !opts.keep) {
      const note = await teardown(ctx, ledger);
      notes.push(note);
      // A throwaway cluster left behind is a failure of the test, even when every step was green.
      if (note.startsWith('TEARDOWN FAILED') && exitCode === 0) exitCode = 1;
    }
    else if (throwaway) notes.push(`--keep: cluster ${ctx.clusterName} is left running`);
    journal.append({ t: 'end', exitCode, at: new Date().toISOString() });
    if (mode === 'drill') exitCode = await (await import('./drill-evidence.js')).reportJournaledDrill(journal.path, exitCode, opts, config, ctx.providerName, notes);
    if (!opts.json) process.stderr.write(`${notes.join('\n')}\njournal: ${journal.path}\nlog: ${logPath}\n`);
  }
  return exitCode;
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
