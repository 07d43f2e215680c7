// The runner: for each step in DAG order, verify → (apply → verify) → green or red. A red step blocks
// its dependents; independent branches finish. Short on purpose: the steps carry the knowledge.
import { didYouMean } from '../config/suggest.js';
import { InputError, RefusedError, errorMessage } from '../util/errors.js';
import { scrub } from '../util/secrets-registry.js';
import { prerequisites, topologicalOrder, validateDag } from './dag.js';
import type { Ledger } from './ledger.js';
import { GREEN, type Step, type StepContext, type StepState, type StepStatus, type VerifyResult } from './types.js';

export interface RunOptions<C extends StepContext> {
  steps: readonly Step<C>[];
  ctx: C;
  ledger: Ledger;
  concurrency?: number;
  /** Run only these steps (their unselected prerequisites must already verify). */
  only?: readonly string[];
  /** Run this step and every step after it in topological order. */
  from?: string;
  /** Steps that a previous run (being resumed) recorded green. */
  previouslyGreen?: ReadonlySet<string>;
  /** Called on every state change (journal, progress display). */
  onState?: (state: StepState) => void;
}

export interface RunOutcome {
  states: Map<string, StepState>;
  exitCode: 0 | 1 | 130;
}

/** Which steps run; throws InputError for unknown ids. */
export function selectSteps(steps: readonly Step<StepContext>[], only?: readonly string[], from?: string): Set<string> {
  const ordered = topologicalOrder(steps).map((s) => s.id);
  const known = new Set(ordered);
  const named = [...(only ?? []).map((id) => ['--only', id]), ...(from ? [['--from', from]] : [])];
  for (const [flag, id] of named) {
    if (!known.has(id!)) throw new InputError(`${flag}: unknown step "${id}"${didYouMean(id!, ordered)}; steps are: ${ordered.join(', ')}`);
  }
  if (only && only.length === 0) throw new InputError('--only: no step named; steps are: ' + ordered.join(', '));
  let selected = new Set(ordered);
  if (only && only.length > 0) selected = new Set(only);
  if (from) {
    const start = ordered.indexOf(from);
    selected = new Set([...selected].filter((id) => ordered.indexOf(id) >= start));
  }
  return selected;
}

/**
 * The unselected steps that must already verify before `selected` may run, in DAG order. An unselected
 * destructive step that only an unselected step needs is never a precondition: its verify (the thing is
 * gone) is the opposite of what the steps after it build. A selected step that needs it directly
 * (--only create-cluster) runs only where it holds, so there it is checked like any need.
 */
export function mustAlreadyVerify(steps: readonly Step<StepContext>[], selected: ReadonlySet<string>): string[] {
  const ordered = topologicalOrder(steps);
  const needed = prerequisites(steps, selected);
  const directNeeds = new Set(ordered.filter((s) => selected.has(s.id)).flatMap((s) => s.needs));
  return ordered.filter((s) => needed.has(s.id) && !selected.has(s.id) && (!s.destructive || directNeeds.has(s.id))).map((s) => s.id);
}

async function safeVerify<C extends StepContext>(step: Step<C>, ctx: C): Promise<VerifyResult> {
  try {
    return await step.verify(ctx);
  } catch (err) {
    return { ok: false, missing: [`verify failed: ${scrub(errorMessage(err))}`] };
  }
}

/** The one verify-all: each step's verify in the order given, one at a time; a throw is a scrubbed failure. */
export async function verifyAll<C extends StepContext>(steps: readonly Step<C>[], ctx: C): Promise<Array<{ step: Step<C>; result: VerifyResult }>> {
  const verdicts: Array<{ step: Step<C>; result: VerifyResult }> = [];
  for (const step of steps) verdicts.push({ step, result: await safeVerify(step, ctx) });
  return verdicts;
}

export async function runSteps<C extends StepContext>(opts: RunOptions<C>): Promise<RunOutcome> {
  const { steps, ctx, ledger } = opts;
  validateDag(steps);
  const ordered = topologicalOrder(steps);
  const selected = selectSteps(steps, opts.only, opts.from);
  const states = new Map<string, StepState>();
  const set = (state: StepState): void => {
    states.set(state.id, state);
    opts.onState?.(state);
  };

  // Unselected prerequisites must already hold, or nothing runs.
  const unmet: string[] = [];
  const needed = new Set(mustAlreadyVerify(steps, selected));
  for (const { step, result } of await verifyAll(ordered.filter((s) => needed.has(s.id)), ctx)) {
    if (result.ok) set({ id: step.id, status: 'verified-only', endedAt: new Date().toISOString() });
    else unmet.push(`${step.id}: ${result.missing.join('; ') || 'does not verify'}`);
  }
  if (unmet.length > 0) {
    throw new RefusedError(
      `refusing to run: ${unmet.length} needed step(s) are not selected and do not verify`,
      unmet,
    );
  }
  for (const s of ordered) if (!selected.has(s.id) && !states.has(s.id)) set({ id: s.id, status: 'not-selected' });

  const pending = ordered.filter((s) => selected.has(s.id));
  const running = new Map<string, Promise<void>>();
  const limit = Math.max(1, opts.concurrency ?? 4);

  const runOne = async (step: Step<C>): Promise<void> => {
    const startedAt = new Date().toISOString();
    set({ id: step.id, status: 'running', startedAt });
    const finish = (status: StepStatus, extra: Partial<StepState> = {}): void =>
      set({ id: step.id, status, startedAt, endedAt: new Date().toISOString(), ...extra });

    // A destructive step that a resumed run already completed is not repeated.
    if (step.destructive && opts.previouslyGreen?.has(step.id)) return finish('verified-only', { missing: [] });
    const before = await safeVerify(step, ctx);
    if (before.ok) {
      // Nothing to apply: what verify checked is what the ledger counts, each one unchanged.
      for (const item of before.checked ?? []) ledger.record(step.id, item.kind, item.name, 'unchanged');
      return finish('unchanged', notJudgedOf(before));
    }
    if (ctx.signal.aborted) return finish('interrupted');
    try {
      await step.apply(ctx, ledger.forStep(step.id));
    } catch (err) {
      ledger.record(step.id, 'step', step.id, 'failed', errorMessage(err));
    }
    const after = await safeVerify(step, ctx);
    const failedItems = ledger.failed(step.id).length;
    if (failedItems === 0 && after.ok) return finish('applied', notJudgedOf(after));
    if (ctx.signal.aborted) return finish('interrupted', { missing: after.missing });
    const why = [
      ...(failedItems > 0 ? [`${failedItems} item(s) failed`] : []),
      ...(after.ok ? [] : [`verify: ${after.missing.length} problem(s)`]),
    ].join('; ');
    finish('failed', { missing: after.missing, error: why, ...notJudgedOf(after) });
  };

  const rootCause = (id: string): string => {
    const s = states.get(id);
    return s?.status === 'blocked' && s.blockedBy ? s.blockedBy : id;
  };

  while (pending.length > 0 || running.size > 0) {
    for (let i = 0; i < pending.length; ) {
      const step = pending[i]!;
      const needStates = step.needs.map((n) => states.get(n)?.status);
      const badNeed = step.needs.find((n) => {
        const st = states.get(n)?.status;
        return st === 'failed' || st === 'blocked' || st === 'interrupted';
      });
      if (badNeed || ctx.signal.aborted) {
        pending.splice(i, 1);
        if (ctx.signal.aborted) set({ id: step.id, status: 'interrupted' });
        else set({ id: step.id, status: 'blocked', blockedBy: rootCause(badNeed!) });
        continue;
      }
      const ready = needStates.every((st) => st !== undefined && GREEN.has(st));
      if (ready && running.size < limit) {
        pending.splice(i, 1);
        running.set(step.id, runOne(step).finally(() => running.delete(step.id)));
        continue;
      }
      i += 1;
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  // Unreachable with a validated DAG; kept loud rather than silently dropping a step.
  for (const step of pending) set({ id: step.id, status: 'blocked', blockedBy: 'an unmet need' });

  const statuses = [...states.values()].map((s) => s.status);
  const exitCode = statuses.includes('interrupted') || ctx.signal.aborted
    ? 130
    : statuses.some((s) => s === 'failed' || s === 'blocked')
      ? 1
      : 0;
  return { states, exitCode };
}

function notJudgedOf(result: VerifyResult): Partial<StepState> {
  return result.notJudged?.length ? { notJudged: result.notJudged } : {};
}
