// The drills over time: <reportDir>/history.json (the data) and <reportDir>/index.md (the page a
// person opens), newest first, with the trend of the RTO and of the failures.
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { formatSeconds, formatUtc, RESULT_WORD, timeLabel } from './format.js';
import type { DrillResult, DrillSummary } from './summary.js';

export const HISTORY_SCHEMA_VERSION = 1;
/** How many drills the trend lines show: two years of monthly drills. */
const TREND_LENGTH = 24;

export interface HistoryEntry {
  runId: string;
  startedAt: string;
  result: DrillResult;
  exitCode: number | null;
  /** When the drill ended; older entries lack it. */
  endedAt?: string;
  /** How long it ran, green or not. */
  durationSeconds: number;
  /** Green drills only: a red drill has no recovery time. */
  rtoSeconds?: number;
  failureReason?: string;
  failedSteps: string[];
  failedItems: number;
  /** Relative to the report dir. */
  report: string;
}

export interface DrillHistory {
  schemaVersion: typeof HISTORY_SCHEMA_VERSION;
  /** Newest first. */
  drills: HistoryEntry[];
}

export function historyEntry(s: DrillSummary): HistoryEntry {
  return {
    runId: s.runId,
    startedAt: s.startedAt,
    result: s.result,
    exitCode: s.exitCode,
    endedAt: s.endedAt,
    durationSeconds: s.rto.seconds,
    ...(s.result === 'green' ? { rtoSeconds: s.rto.seconds } : {}),
    ...(s.failureReason ? { failureReason: s.failureReason } : {}),
    failedSteps: s.failures.map((f) => f.step),
    failedItems: s.counts.items.failed,
    report: `${s.runId}/report.md`,
  };
}

/** Adds a drill; reporting the same run again replaces its entry instead of counting it twice. */
export function addToHistory(history: DrillHistory, entry: HistoryEntry): DrillHistory {
  const drills = [entry, ...history.drills.filter((d) => d.runId !== entry.runId)];
  drills.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  return { schemaVersion: HISTORY_SCHEMA_VERSION, drills };
}

/** Entries written before durationSeconds existed kept every drill's time as rtoSeconds. */
type StoredEntry = Omit<HistoryEntry, 'durationSeconds'> & { durationSeconds?: number };

function isEntry(x: unknown): x is StoredEntry {
  const e = x as StoredEntry;
  return (
    typeof e === 'object' && e !== null &&
    typeof e.runId === 'string' && typeof e.startedAt === 'string' && typeof e.result === 'string' &&
    (typeof e.durationSeconds === 'number' || typeof e.rtoSeconds === 'number') && Array.isArray(e.failedSteps) && typeof e.report === 'string'
  );
}

/** An older entry read as a current one: its time is a duration, and an RTO only if it was green. */
function currentEntry({ rtoSeconds, durationSeconds, ...rest }: StoredEntry): HistoryEntry {
  const duration = durationSeconds ?? rtoSeconds!;
  return { ...rest, durationSeconds: duration, ...(rest.result === 'green' ? { rtoSeconds: rtoSeconds ?? duration } : {}) };
}

/** Unix seconds at which the newest green drill ended (its start, for entries without an end); 0: never. */
export function lastSuccessSeconds(history: DrillHistory): number {
  const green = history.drills.find((d) => d.result === 'green');
  return green ? Date.parse(green.endedAt ?? green.startedAt) / 1000 : 0;
}

/** Throws with the reason when the text is not a history this version understands. */
export function parseHistory(text: string): DrillHistory {
  const data = JSON.parse(text) as Partial<DrillHistory>;
  if (data.schemaVersion !== HISTORY_SCHEMA_VERSION) throw new Error(`schemaVersion is ${String(data.schemaVersion)}, expected ${HISTORY_SCHEMA_VERSION}`);
  if (!Array.isArray(data.drills) || !data.drills.every(isEntry)) throw new Error('drills is not a list of drill entries');
  return { schemaVersion: HISTORY_SCHEMA_VERSION, drills: data.drills.map(currentEntry) };
}

const BLOCKS = '▁▂▃▄▅▆▇█';

/** One block per value, scaled between the smallest and the largest. */
export function sparkline(values: readonly number[]): string {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return values.map((v) => BLOCKS[max === min ? 3 : Math.round(((v - min) / (max - min)) * (BLOCKS.length - 1))]).join('');
}

function signedSeconds(delta: number): string {
  if (Math.abs(delta) < 0.05) return '±0.0 s';
  return `${delta > 0 ? '+' : '−'}${formatSeconds(Math.abs(delta))}`;
}

function trendLines(drills: readonly HistoryEntry[]): string[] {
  const recent = drills.slice(0, TREND_LENGTH).reverse();
  const green = recent.filter((d) => d.result === 'green');
  const lines = [`Trend over the last ${recent.length} drill(s), oldest → newest:`, ''];
  if (green.length > 0) {
    const rtos = green.map((d) => d.rtoSeconds ?? d.durationSeconds);
    lines.push(
      `- RTO of the green drills: \`${sparkline(rtos)}\` ${formatSeconds(rtos[0]!)} → ${formatSeconds(rtos[rtos.length - 1]!)} ` +
        `(best ${formatSeconds(Math.min(...rtos))}, worst ${formatSeconds(Math.max(...rtos))})`,
    );
  }
  const marks = recent.map((d) => (d.result === 'green' ? '✓' : '✗')).join('');
  lines.push(`- Results: \`${marks}\` (${recent.length - green.length} not green)`);
  return lines;
}

function tableRow(d: HistoryEntry, previousGreen: HistoryEntry | undefined): string {
  const rto = d.result === 'green' && d.rtoSeconds !== undefined ? d.rtoSeconds : undefined;
  const vsPrevious = rto !== undefined && previousGreen?.rtoSeconds !== undefined ? signedSeconds(rto - previousGreen.rtoSeconds) : '—';
  const failed = d.failedSteps.length > 0 ? d.failedSteps.join(', ') : '—';
  // A red drill has no RTO: its column says so, and how long it ran goes in its own column.
  const rtoCell = rto !== undefined ? formatSeconds(rto) : 'none (not green)';
  return `| ${formatUtc(d.startedAt)} | ${RESULT_WORD[d.result]} | ${rtoCell} | ${formatSeconds(d.durationSeconds)} | ${vsPrevious} | ${d.failureReason ?? '—'} | ${failed} | ${d.failedItems} | [report](${d.report}) |`;
}

export function renderHistoryIndex(history: DrillHistory): string {
  const { drills } = history;
  const latest = drills[0];
  if (!latest) return '# homelab-dr drills\n\nNo drill has run yet.\n';
  const red = drills.filter((d) => d.result !== 'green').length;
  const rows = drills.map((d, i) => tableRow(d, drills.slice(i + 1).find((p) => p.result === 'green')));
  return [
    '# homelab-dr drills',
    '',
    `Latest: **${RESULT_WORD[latest.result]}** on ${formatUtc(latest.startedAt)}, ${timeLabel(latest.result, latest.durationSeconds)}` +
      `${latest.failureReason ? ` (${latest.failureReason})` : ''}. ` +
      `${drills.length} drill(s) recorded, ${red} not green.`,
    '',
    ...trendLines(drills),
    '',
    '| Started | Result | RTO | Ran for | RTO vs previous green | Reason | Failed steps | Failed items | Report |',
    '|---|---|---:|---:|---:|---|---|---:|---|',
    ...rows,
    '',
  ].join('\n');
}

export interface HistoryUpdate {
  history: DrillHistory;
  files: string[];
  /** E.g. an unreadable history.json that was set aside; the drill's result does not depend on it. */
  warnings: string[];
}

async function loadHistory(path: string, now: Date): Promise<{ history: DrillHistory; warnings: string[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { history: { schemaVersion: HISTORY_SCHEMA_VERSION, drills: [] }, warnings: [] };
    throw err;
  }
  try {
    return { history: parseHistory(text), warnings: [] };
  } catch (err) {
    // An unattended monthly drill must not fail forever on one damaged file: keep it aside, start anew.
    const aside = `${path}.unreadable-${now.toISOString().replace(/[:.]/g, '-')}`;
    await rename(path, aside);
    return {
      history: { schemaVersion: HISTORY_SCHEMA_VERSION, drills: [] },
      warnings: [`${path} could not be read (${(err as Error).message}); moved to ${aside} and started a new history`],
    };
  }
}

export async function updateHistory(reportDir: string, summary: DrillSummary, now = new Date()): Promise<HistoryUpdate> {
  const jsonPath = join(reportDir, 'history.json');
  const indexPath = join(reportDir, 'index.md');
  const { history: previous, warnings } = await loadHistory(jsonPath, now);
  const history = addToHistory(previous, historyEntry(summary));
  await writeFileAtomic(jsonPath, `${JSON.stringify(history, null, 2)}\n`);
  await writeFileAtomic(indexPath, renderHistoryIndex(history));
  return { history, files: [jsonPath, indexPath], warnings };
}
