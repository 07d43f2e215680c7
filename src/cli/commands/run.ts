// hard-reset, dr-test and drill: refuse what cannot run, confirm destruction, then run the DAG with
// the journal, the ledger, JSON logs and live progress; Ctrl-C finishes the current item and exits 130.
import { createInterface } from 'node:readline/promises';
import { topologicalOrder } from '../../engine/dag.js';
import { Journal, newRunId } from '../../engine/journal.js';
import { Ledger } from '../../engine/ledger.js';
import { runSteps } from '../../engine/runner.js';
import { GREEN } from '../../engine/types.js';
import { InputError, RefusedError } from '../../util/errors.js';
import { createRunLogger } from '../../util/log.js';
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

export async function runCommand(mode: RunMode, opts: CliOptions): Promise<number> {
  const abort = new AbortController();
  const stateDir = stateDirOf(opts);
  const runId = newRunId();
  const { logger, path: logPath } = createRunLogger({ stateDir, runId, toStdout: opts.json });
  const loaded = await loadForCommand(opts, mode, { signal: abort.signal, log: logger });
  const { steps, ctx, config } = loaded;

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

  const missing = unimplementedSteps(steps);
  if (missing.length > 0) {
    throw new RefusedError(
      `${mode} cannot start: ${missing.length} of ${steps.length} steps have no apply/verify yet, and nothing pretends to run`,
      [`not runnable yet: ${missing.join(', ')}`, `runnable: ${steps.filter((s) => !missing.includes(s.id)).map((s) => s.id).join(', ') || '(none)'}`, 'homelab-dr plan shows what each step would do'],
    );
  }
  let previouslyGreen: Set<string> | undefined;
  let resumedFrom: string | undefined;
  if (opts.resume !== undefined) {
    const path = Journal.find(stateDir, opts.resume || undefined);
    if (!path) throw new InputError(`--resume: no run journal ${opts.resume ? `named ${opts.resume} ` : ''}in ${stateDir}/runs`);
    const previous = Journal.read(path);
    resumedFrom = previous.header.runId;
    previouslyGreen = new Set([...previous.steps.values()].filter((s) => GREEN.has(s.status)).map((s) => s.id));
  }

  const ordered = topologicalOrder(steps);
  const destroys = ordered.some((s) => s.destructive && !previouslyGreen?.has(s.id) && (!opts.only || opts.only.includes(s.id)));
  if (destroys) await confirmDestruction(ctx.clusterName, opts);

  const journal = Journal.start(stateDir, {
    runId,
    command: mode,
    config: config.source,
    startedAt: new Date().toISOString(),
    steps: ordered.map((s) => s.id),
    ...(resumedFrom ? { resumedFrom } : {}),
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
    journal.append({ t: 'end', exitCode: outcome.exitCode, at: new Date().toISOString() });
    if (!opts.json) {
      process.stderr.write(`\n${summaryTable(ordered.map((s) => s.id), outcome.states, ledger.items)}`);
      process.stderr.write(`journal: ${journal.path}\nlog: ${logPath}\n`);
    }
    return outcome.exitCode;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
