// The drill's evidence, computed once from the journal. Every rendering (report.json, report.md,
// timeline.svg, history, metrics, notification) reads this summary and never the journal itself, so
// no two of them can disagree about what happened.
import type { JournalData } from '../engine/journal.js';
import { GREEN, type ItemOutcome, type LedgerItem, type StepState, type StepStatus } from '../engine/types.js';
import { countOutcomes, emptyCounts, type Counts } from '../util/helpers.js';
import { stepFailureReason, type FailureReason, type RefusalReason } from './failure-reason.js';

export const REPORT_SCHEMA_VERSION = 1;

export type DrillResult = 'green' | 'red' | 'interrupted' | 'incomplete';

export interface StepReport {
  id: string;
  status: StepStatus;
  green: boolean;
  startedAt?: string;
  endedAt?: string;
  /** Seconds from the drill's start to this step's start; absent when the step never started. */
  startOffsetSeconds?: number;
  durationSeconds?: number;
  /** Started but never ended in the journal: the run stopped (or crashed) while it ran. */
  open: boolean;
  items: Counts;
  /** Verify's findings. */
  missing: string[];
  /** Objects verify found but could not judge (no health rule, no status). */
  notJudged: string[];
  error?: string;
  blockedBy?: string;
}

export interface FailureCause {
  /** A failed ledger item, a verify finding, or (when neither exists) the step's own error. */
  source: 'item' | 'verify' | 'step';
  /** For items: the object, e.g. "values value demo/GITLAB_AGENT_TOKEN". */
  subject?: string;
  text: string;
}

export interface FailureReport {
  step: string;
  status: StepStatus;
  error?: string;
  causes: FailureCause[];
  /** Steps that never ran because of this one. */
  blocked: string[];
}

/** Items recorded outside the DAG's steps, e.g. the throwaway cluster's teardown. */
export interface HousekeepingItem {
  step: string;
  kind: string;
  name: string;
  outcome: ItemOutcome;
  error?: string;
}

export type RtoEnd = 'verified-green' | 'failure' | 'interrupted' | 'incomplete' | 'refused';

/** A drill stopped before its journal started: no step ran, and this is why. */
export interface Refusal {
  /** interrupted: Ctrl-C or SIGTERM before the journal started. */
  reason: RefusalReason | 'interrupted' | 'internal';
  /** The error as the CLI printed it (secret values are scrubbed from every rendering). */
  message: string;
  details: string[];
  exitCode: number;
}

export interface DrillSummary {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  runId: string;
  command: string;
  config: string;
  cluster?: string;
  resumedFrom?: string;
  startedAt: string;
  /** When the last step ended: the end of the RTO. */
  endedAt: string;
  generatedAt: string;
  result: DrillResult;
  exitCode: number | null;
  /** Wall time from the start to the last step's end: verified green, or the failure. */
  rto: { seconds: number; until: RtoEnd };
  slowestStep?: string;
  counts: { steps: Partial<Record<StepStatus, number>>; stepsTotal: number; green: number; items: Counts };
  steps: StepReport[];
  housekeeping: HousekeepingItem[];
  failures: FailureReport[];
  versions: Record<string, string>;
  /** A kwok rehearsal: its pinned versions against production's (src/fidelity.ts), one line per component. */
  fidelity?: string[];
  /** The journal's last line was cut short by a crash. */
  tornJournal: boolean;
  /** Why the drill is not green, from a fixed set (the metrics' reason label); absent when green. */
  failureReason?: FailureReason;
  /** Set when the drill was refused before its journal started. */
  refusal?: Refusal;
}

const seconds = (fromMs: number, toMs: number) => Math.round(toMs - fromMs) / 1000;

/** The latest moment the journal speaks of: where a step with no end is drawn to. */
function lastRecordedMs(journal: JournalData): number {
  const stamps = [journal.header.startedAt, ...journal.items.map((i) => i.at)];
  for (const s of journal.steps.values()) stamps.push(...[s.startedAt, s.endedAt].filter((x): x is string => !!x));
  return Math.max(...stamps.map((s) => Date.parse(s)));
}

function stepReport(id: string, state: StepState | undefined, items: readonly LedgerItem[], startMs: number, lastMs: number): StepReport {
  const status: StepStatus = state?.status ?? 'pending';
  const report: StepReport = {
    id,
    status,
    green: GREEN.has(status),
    open: false,
    items: countOutcomes(items),
    missing: state?.missing ?? [],
    notJudged: state?.notJudged ?? [],
  };
  if (state?.error) report.error = state.error;
  if (state?.blockedBy) report.blockedBy = state.blockedBy;
  if (state?.startedAt) {
    const begin = Date.parse(state.startedAt);
    const end = state.endedAt ? Date.parse(state.endedAt) : lastMs;
    report.startedAt = state.startedAt;
    if (state.endedAt) report.endedAt = state.endedAt;
    report.open = !state.endedAt;
    report.startOffsetSeconds = seconds(startMs, begin);
    report.durationSeconds = seconds(begin, end);
  }
  return report;
}

/**
 * Why a step is red. Preflight repeats a failed item's error as a verify finding ("values: <error>"),
 * so a finding that quotes an item's error adds nothing and is left out.
 */
function causesOf(step: StepReport, failedItems: readonly LedgerItem[]): FailureCause[] {
  const causes: FailureCause[] = failedItems.map((i) => ({
    source: 'item',
    subject: `${i.kind} ${i.name}`,
    text: i.error ?? 'failed (no error recorded)',
  }));
  const itemErrors = failedItems.map((i) => i.error).filter((e): e is string => !!e);
  for (const finding of step.missing) {
    if (!itemErrors.some((e) => finding.includes(e))) causes.push({ source: 'verify', text: finding });
  }
  if (causes.length === 0) causes.push({ source: 'step', text: step.error ?? `${step.status} with no recorded cause` });
  return causes;
}

function failuresOf(steps: readonly StepReport[], items: readonly LedgerItem[], housekeeping: readonly HousekeepingItem[]): FailureReport[] {
  const red = steps.filter((s) => s.status === 'failed' || s.status === 'interrupted');
  const failures: FailureReport[] = red.map((s) => ({
    step: s.id,
    status: s.status,
    ...(s.error ? { error: s.error } : {}),
    causes: causesOf(s, items.filter((i) => i.step === s.id && i.outcome === 'failed')),
    blocked: steps.filter((b) => b.blockedBy === s.id).map((b) => b.id),
  }));
  for (const h of housekeeping.filter((i) => i.outcome === 'failed')) {
    failures.push({
      step: h.step,
      status: 'failed',
      causes: [{ source: 'item', subject: `${h.kind} ${h.name}`, text: h.error ?? 'failed (no error recorded)' }],
      blocked: [],
    });
  }
  return failures;
}

function resultOf(exitCode: number | undefined, steps: readonly StepReport[]): DrillResult {
  if (exitCode === undefined) return 'incomplete';
  if (exitCode === 130 || steps.some((s) => s.status === 'interrupted')) return 'interrupted';
  if (exitCode === 0 && !steps.some((s) => s.status === 'failed')) return 'green';
  return 'red';
}

const RTO_END: Record<DrillResult, RtoEnd> = {
  green: 'verified-green',
  red: 'failure',
  interrupted: 'interrupted',
  incomplete: 'incomplete',
};

export interface SummaryInput {
  journal: JournalData;
  versions: Record<string, string>;
  fidelity?: string[];
  /** The config the drill ran, as the operator named it (the journal holds the resolved path). */
  config: string;
  now?: Date;
}

export function summarizeDrill({ journal, versions, fidelity, config, now = new Date() }: SummaryInput): DrillSummary {
  const { header } = journal;
  const startMs = Date.parse(header.startedAt);
  const lastMs = lastRecordedMs(journal);
  const dagSteps = new Set(header.steps);
  const steps = header.steps.map((id) =>
    stepReport(id, journal.steps.get(id), journal.items.filter((i) => i.step === id), startMs, lastMs),
  );
  const housekeeping = journal.items
    .filter((i) => !dagSteps.has(i.step))
    .map(({ step, kind, name, outcome, error }) => ({ step, kind, name, outcome, ...(error ? { error } : {}) }));
  const ran = steps.filter((s) => s.durationSeconds !== undefined);
  const endMs = Math.max(startMs, ...ran.map((s) => startMs + (s.startOffsetSeconds! + s.durationSeconds!) * 1000));
  const slowest = ran.reduce<StepReport | undefined>((a, s) => (!a || s.durationSeconds! > a.durationSeconds! ? s : a), undefined);
  const result = resultOf(journal.exitCode, steps);
  const stepCounts: Partial<Record<StepStatus, number>> = {};
  for (const s of steps) stepCounts[s.status] = (stepCounts[s.status] ?? 0) + 1;
  const failures = failuresOf(steps, journal.items, housekeeping);
  const failureReason = failureReasonOf(result, failures);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    runId: header.runId,
    command: header.command,
    config,
    ...(header.cluster ? { cluster: header.cluster } : {}),
    ...(header.resumedFrom ? { resumedFrom: header.resumedFrom } : {}),
    startedAt: header.startedAt,
    endedAt: new Date(endMs).toISOString(),
    generatedAt: now.toISOString(),
    result,
    exitCode: journal.exitCode ?? null,
    rto: { seconds: seconds(startMs, endMs), until: RTO_END[result] },
    ...(slowest ? { slowestStep: slowest.id } : {}),
    counts: {
      steps: stepCounts,
      stepsTotal: steps.length,
      green: steps.filter((s) => s.green).length,
      items: countOutcomes(journal.items.filter((i) => dagSteps.has(i.step))),
    },
    steps,
    housekeeping,
    failures,
    versions,
    ...(fidelity ? { fidelity } : {}),
    tornJournal: journal.torn,
    ...(failureReason ? { failureReason } : {}),
  };
}

function failureReasonOf(result: DrillResult, failures: readonly FailureReport[]): FailureReason | undefined {
  if (result === 'green') return undefined;
  if (result === 'interrupted') return 'interrupted';
  const first = failures[0];
  return result === 'red' && first ? stepFailureReason(first.step) : 'internal';
}

/** The step name a refusal is reported under in failures, history and the notification. */
export const REFUSED_STEP = 'refused before start';

export interface RefusalInput {
  runId: string;
  command: string;
  config: string;
  startedAt: Date;
  refusal: Refusal;
  versions: Record<string, string>;
  now?: Date;
}

/**
 * The evidence of a drill that never started: red, no step, no RTO, and the refusal as its one
 * failure, so every rendering names the cause the way it names a failed step's.
 */
export function summarizeRefusal({ runId, command, config, startedAt, refusal, versions, now = new Date() }: RefusalInput): DrillSummary {
  const text = [refusal.message, ...refusal.details].join('\n');
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    runId,
    command,
    config,
    startedAt: startedAt.toISOString(),
    endedAt: now.toISOString(),
    generatedAt: now.toISOString(),
    result: 'red',
    exitCode: refusal.exitCode,
    rto: { seconds: seconds(startedAt.getTime(), now.getTime()), until: 'refused' },
    counts: { steps: {}, stepsTotal: 0, green: 0, items: emptyCounts() },
    steps: [],
    housekeeping: [],
    failures: [{ step: REFUSED_STEP, status: 'failed', error: refusal.reason, causes: [{ source: 'step', text }], blocked: [] }],
    versions,
    tornJournal: false,
    failureReason: refusal.reason,
    refusal,
  };
}
