// report.md: what a person reads first. The verdict and the RTO lead, then one row per step, then
// every failure with its cause, so the fix is on the page without opening the journal.
import { ITEM_OUTCOMES } from '../engine/types.js';
import { formatDuration, formatSeconds, formatUtc, RESULT_WORD } from './format.js';
import type { Counts } from '../util/helpers.js';
import type { DrillSummary, FailureReport, StepReport } from './summary.js';

const RTO_MEANING = {
  'verified-green': 'start → every step verified green',
  failure: 'start → the run stopped on a failure',
  interrupted: 'start → interrupted',
  incomplete: 'start → last journal entry (the run did not finish)',
  refused: 'start → refused, before any step ran',
} as const;

/** A table cell: pipes would split the cell, and newlines would end the row. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** A fence longer than any backtick run inside, so an error quoting code cannot close it early. */
function fenced(text: string): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}text\n${text}\n${fence}`;
}

function itemCounts(counts: Counts): string {
  const parts = ITEM_OUTCOMES.filter((o) => counts[o] > 0).map((o) => `${counts[o]} ${o}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

function summaryLines(s: DrillSummary): string[] {
  const failedSteps = s.failures.map((f) => f.step);
  const blocked = s.counts.steps.blocked ?? 0;
  return [
    `# Drill ${s.runId}: ${RESULT_WORD[s.result]}`,
    '',
    `- **Result:** ${RESULT_WORD[s.result]} (exit ${s.exitCode ?? 'none: the run did not finish'})` +
      (s.refusal ? `: refused before any step ran (${s.refusal.reason})` : ''),
    ...(s.failureReason ? [`- **Failure reason:** ${s.failureReason}`] : []),
    `- **${s.result === 'green' ? 'RTO' : 'Time (no RTO: not green)'}:** ${formatSeconds(s.rto.seconds)} (${RTO_MEANING[s.rto.until]})`,
    `- **Steps:** ${s.counts.green} of ${s.counts.stepsTotal} green` +
      (failedSteps.length > 0 ? `; red: ${failedSteps.join(', ')}` : '') +
      (blocked > 0 ? `; ${blocked} blocked` : ''),
    `- **Items:** ${itemCounts(s.counts.items)}`,
    ...(s.slowestStep ? [`- **Slowest step:** ${s.slowestStep}`] : []),
    `- **Started:** ${formatUtc(s.startedAt)}; **cluster:** ${s.cluster ?? 'n/a'}; **config:** \`${s.config}\``,
    ...(s.tornJournal ? ['- **Warning:** the journal\'s last line was cut short (a crash while writing).'] : []),
    '',
    '![timeline of the steps](timeline.svg)',
  ];
}

function stepRow(step: StepReport): string {
  const status = step.blockedBy ? `${step.status} by ${step.blockedBy}` : step.status + (step.open ? ' (no end recorded)' : '');
  const start = step.startOffsetSeconds === undefined ? '—' : `+${formatSeconds(step.startOffsetSeconds)}`;
  const duration = step.durationSeconds === undefined ? '—' : formatDuration(step.durationSeconds);
  const counts = ITEM_OUTCOMES.map((o) => String(step.items[o]));
  return `| ${[cell(step.id), cell(status), start, duration, ...counts].join(' | ')} |`;
}

function stepTable(steps: readonly StepReport[]): string[] {
  return [
    '## Steps',
    '',
    `| Step | Status | Start | Duration | ${ITEM_OUTCOMES.join(' | ')} |`,
    `|---|---|---:|---:|${ITEM_OUTCOMES.map(() => '---:').join('|')}|`,
    ...steps.map(stepRow),
  ];
}

function failureSection(f: FailureReport): string[] {
  const lines = [`### ${f.step}: ${f.status}${f.error ? ` (${f.error})` : ''}`, ''];
  for (const cause of f.causes) {
    const label = cause.source === 'item' ? `Item ${cause.subject}` : cause.source === 'verify' ? 'Verify finding' : 'Step error';
    lines.push(`${label}:`, '', fenced(cause.text), '');
  }
  if (f.blocked.length > 0) lines.push(`Not run because of it: ${f.blocked.join(', ')}.`, '');
  return lines;
}

function versionTable(versions: Record<string, string>): string[] {
  const entries = Object.entries(versions);
  if (entries.length === 0) return [];
  return ['## Versions', '', '| Component | Version |', '|---|---|', ...entries.map(([k, v]) => `| ${cell(k)} | ${cell(v)} |`), ''];
}

/** A rehearsal proves its pinned versions: said next to the result, not hidden in the version table. */
function fidelitySection(fidelity: readonly string[] | undefined): string[] {
  if (!fidelity) return [];
  return ['## Rehearsal fidelity', '', ...fidelity.map((line) => `- ${line}`), ''];
}

export function renderReportMarkdown(s: DrillSummary): string {
  const failures = s.failures.length === 0 ? ['## Failures', '', 'None.', ''] : ['## Failures', '', ...s.failures.flatMap(failureSection)];
  const housekeeping =
    s.housekeeping.length === 0
      ? []
      : ['## Housekeeping', '', ...s.housekeeping.map((h) => `- ${h.step}: ${h.kind} ${h.name} ${h.outcome}${h.error ? `: ${h.error.split('\n')[0]}` : ''}`), ''];
  const notJudged = s.steps.flatMap((st) => st.notJudged.map((m) => `- ${st.id}: ${m}`));
  const notJudgedSection = notJudged.length === 0 ? [] : ['## Not judged (no health rule, no status: not proven healthy)', '', ...notJudged, ''];
  return [...summaryLines(s), '', ...stepTable(s.steps), '', ...failures, ...notJudgedSection, ...housekeeping, ...fidelitySection(s.fidelity), ...versionTable(s.versions)].join('\n');
}
