// The summary table: counts per step and in total, computed from ledger items only.
import { alignColumns, countOutcomes } from '../util/helpers.js';
import { ITEM_OUTCOMES, type LedgerItem, type StepState } from '../engine/types.js';

function statusText(state: StepState | undefined): string {
  if (!state) return 'not run';
  switch (state.status) {
    case 'blocked':
      return `not run: blocked by ${state.blockedBy}`;
    case 'applied':
      return 'green (applied, verified)';
    case 'unchanged':
      return 'green (already verified, nothing applied)';
    case 'verified-only':
      return 'green (verified, not run)';
    case 'failed':
      return `RED${state.error ? `: ${state.error}` : ''}`;
    case 'interrupted':
      return 'interrupted';
    case 'not-selected':
      return 'not selected';
    default:
      return state.status;
  }
}

export function summaryTable(stepIds: readonly string[], states: ReadonlyMap<string, StepState>, items: readonly LedgerItem[]): string {
  const per = [...new Set([...stepIds, ...items.map((i) => i.step)])].map((id) => [id, countOutcomes(items.filter((i) => i.step === id))] as const);
  const total = countOutcomes(items);
  const head = ['STEP', ...ITEM_OUTCOMES.map((o) => o.toUpperCase()), 'RESULT'];
  // Rows that are not steps (teardown, proof) happen after the DAG: their counts say what happened.
  const result = (id: string) => (stepIds.includes(id) ? statusText(states.get(id)) : 'after the run');
  const rows = per.map(([id, c]) => [id, ...ITEM_OUTCOMES.map((o) => String(c[o])), result(id)]);
  rows.push(['TOTAL', ...ITEM_OUTCOMES.map((o) => String(total[o])), '']);
  const lines = alignColumns([head, ...rows]);
  const failures = items.filter((i) => i.outcome === 'failed').map((i) => `  FAILED ${i.step}: ${i.kind} ${i.name}: ${i.error}`);
  // A verify finding that repeats a failed item's error is said once, as the failure.
  const said = (step: string, line: string) => items.some((i) => i.step === step && i.outcome === 'failed' && i.error && line.endsWith(i.error));
  const missing = [...states.values()]
    .filter((s) => s.status === 'failed' && s.missing?.length)
    .flatMap((s) => s.missing!.filter((m) => !said(s.id, m)).map((m) => `  NOT VERIFIED ${s.id}: ${m}`));
  // Listed whatever the result: an object nothing could judge was not proven healthy.
  const notJudged = [...states.values()].flatMap((s) => (s.notJudged ?? []).map((m) => `  NOT JUDGED ${s.id}: ${m}`));
  return `${[...lines, ...failures, ...missing, ...notJudged].join('\n')}\n`;
}
