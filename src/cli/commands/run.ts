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
import { createRunLogger } from '../../util/log.js';
import type { RecoveryContext } from '../../../steps/context.js';
import { firewallGuard } from '../../../steps/firewall.js';
import { unimplementedSteps } from '../../../steps/index.js';
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
    if (!st || !GREEN.has(st.status) || !step.verify || step.destructive) continue;
    try {
      const v = await step.verify(ctx);
      if (!v.ok) failures.push(...v.missing.map((m) => `${step.id}: ${m}`));
    } catch (err) {
      failures.push(`${step.id}: verify failed: ${errorMessage(err)}`);
    }
  }
  return failures;
}

export async function runCommand(mode: RunMode, opts: CliOptions): Promise<number> {
  const abort = new AbortController();
  const stateDir = stateDirOf(opts);
  const previous = previousRun(stateDir, opts);
  const runId = newRunId();
  const { logger, path: logPath } = createRunLogger({ stateDir, runId, toStdout: opts.json });
  const { steps, ctx, config } = await loadForCommand(opts, mode, { signal: abort.signal, log: logger, recordedCluster: previous?.header.cluster });
  const throwaway = mode !== 'hard-reset';
  if (ctx.providerName === 'existing' && (throwaway || (!opts.only && !opts.from))) {
    throw new RefusedError(
      `provider existing never deletes or creates a cluster, so ${mode} cannot run the whole plan; restore into it with --only or --from (e.g. --from namespaces)`,
    );
  }
  if (throwaway && ctx.clusterName === config.cluster.name) {
    throw new RefusedError(`${mode} refuses to act on the production cluster "${config.cluster.name}"`);
  }

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
  const missing = unimplementedSteps(steps);
  if (missing.length > 0) {
    throw new RefusedError(
      `${mode} cannot start: ${missing.length} of ${steps.length} steps have no apply/verify yet, and nothing pretends to run`,
      [`not runnable yet: ${missing.join(', ')}`, `runnable: ${steps.filter((s) => !missing.includes(s.id)).map((s) => s.id).join(', ') || '(none)'}`, 'homelab-dr plan shows what each step would do'],
    );
  }
  await ctx.provider();

  const previouslyGreen = previous
    ? new Set([...previous.steps.values()].filter((s) => GREEN.has(s.status)).map((s) => s.id))
    : undefined;
  const ordered = topologicalOrder(steps);
  const destroys = ordered.some((s) => s.destructive && !previouslyGreen?.has(s.id) && (!opts.only || opts.only.includes(s.id)));
  // A throwaway cluster is ours to delete; production needs a person's typed yes.
  if (destroys && !throwaway) await confirmDestruction(ctx.clusterName, opts);

  const journal = Journal.start(stateDir, {
    runId,
    command: mode,
    config: config.source,
    startedAt: new Date().toISOString(),
    steps: ordered.map((s) => s.id),
    cluster: ctx.clusterName,
    ...(previous ? { resumedFrom: previous.header.runId } : {}),
  });
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
  try {
    const outcome = await runSteps({
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
    if (throwaway && !opts.keep) {
      const note = await teardown(ctx, ledger);
      notes.push(note);
      // A throwaway cluster left behind is a failure of the test, even when every step was green.
      if (note.startsWith('TEARDOWN FAILED') && exitCode === 0) exitCode = 1;
    }
    else if (throwaway) notes.push(`--keep: cluster ${ctx.clusterName} is left running`);
    journal.append({ t: 'end', exitCode, at: new Date().toISOString() });
    if (!opts.json) process.stderr.write(`${notes.join('\n')}\njournal: ${journal.path}\nlog: ${logPath}\n`);
  }
  return exitCode;
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
