// timeline.svg: a Gantt chart of the drill. One row per step in DAG order, one bar per step that ran,
// on a shared time axis, so parallel branches show as bars side by side in time and the slowest
// step carries a mark. Colour is never the only signal: each row also names its status in words.
import type { StepStatus } from '../engine/types.js';
import { formatDuration, formatSeconds, formatUtc, RESULT_WORD, timeLabel } from './format.js';
import type { DrillSummary, StepReport } from './summary.js';

const WIDTH = 1000;
const LABEL_WIDTH = 300;
const PLOT_LEFT = LABEL_WIDTH + 10;
const PLOT_RIGHT = WIDTH - 30;
const HEADER_HEIGHT = 86;
const ROW_HEIGHT = 30;
const BAR_HEIGHT = 18;
const FOOTER_HEIGHT = 58;
/** Average glyph width of the 12px sans-serif labels, to decide whether a label fits inside its bar. */
const CHAR_WIDTH = 7;

const BAR_FILL: Partial<Record<StepStatus, string>> = {
  applied: '#2e7d32',
  unchanged: '#81c784',
  'verified-only': '#4db6ac',
  failed: '#c62828',
  interrupted: '#ef6c00',
  running: '#f9a825',
};
const DARK_LABEL: ReadonlySet<string> = new Set(['unchanged', 'verified-only', 'running']);
const RESULT_COLOUR = { green: '#2e7d32', red: '#c62828', interrupted: '#ef6c00', incomplete: '#6d4c41' } as const;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Whole minutes for long drills; otherwise 1, 2 or 5 times a power of ten. About six ticks either way. */
export function tickStep(totalSeconds: number): number {
  const rough = Math.max(totalSeconds, 0.001) / 6;
  if (rough > 20) return [30, 60, 120, 300, 600, 900, 1800, 3600, 7200].find((s) => s >= rough) ?? 7200 * Math.ceil(rough / 7200);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough)!;
}

function tickLabel(value: number, step: number): string {
  if (step >= 60) return `${value / 60} min`;
  const decimals = step >= 1 ? 0 : Math.ceil(-Math.log10(step));
  return `${value.toFixed(decimals)} s`;
}

interface Scale {
  x(seconds: number): number;
  total: number;
}

function scaleFor(total: number): Scale {
  const span = Math.max(total, 0.001);
  return { total: span, x: (s) => PLOT_LEFT + (s / span) * (PLOT_RIGHT - PLOT_LEFT) };
}

function axis(scale: Scale, top: number, bottom: number): string[] {
  const step = tickStep(scale.total);
  const out: string[] = [];
  for (let i = 0; i * step <= scale.total + 1e-9; i++) {
    const value = Number((i * step).toFixed(6));
    const x = scale.x(value).toFixed(1);
    out.push(`<line class="grid" x1="${x}" y1="${top}" x2="${x}" y2="${bottom}"/>`);
    out.push(`<text class="tick" x="${x}" y="${bottom + 16}" text-anchor="middle">${esc(tickLabel(value, step))}</text>`);
  }
  out.push(`<line class="axis" x1="${PLOT_LEFT}" y1="${bottom}" x2="${PLOT_RIGHT}" y2="${bottom}"/>`);
  return out;
}

function notRunNote(step: StepReport): string {
  if (step.blockedBy) return `not run: blocked by ${step.blockedBy}`;
  if (step.status === 'not-selected') return 'not selected';
  return `not started (${step.status})`;
}

function stepRow(step: StepReport, index: number, scale: Scale, slowest: string | undefined, rowsTop: number): string[] {
  const top = rowsTop + index * ROW_HEIGHT;
  const mid = top + ROW_HEIGHT / 2;
  const out = [`<g class="step" data-step="${esc(step.id)}" data-status="${esc(step.status)}">`];
  out.push(`<text class="name" x="14" y="${mid + 4.5}">${esc(step.id)}</text>`);
  const statusClass = step.status === 'failed' || step.status === 'interrupted' ? 'status red' : 'status';
  out.push(`<text class="${statusClass}" x="${LABEL_WIDTH - 6}" y="${mid + 4}" text-anchor="end">${esc(step.status)}</text>`);
  if (step.startOffsetSeconds === undefined || step.durationSeconds === undefined) {
    out.push(`<text class="note" x="${PLOT_LEFT + 6}" y="${mid + 4}">${esc(notRunNote(step))}</text>`, '</g>');
    return out;
  }
  const x = scale.x(step.startOffsetSeconds);
  // A step of a millisecond still gets a visible sliver.
  const width = Math.max(3, scale.x(step.startOffsetSeconds + step.durationSeconds) - x);
  const isSlowest = step.id === slowest;
  const fill = BAR_FILL[step.status] ?? '#9e9e9e';
  const classes = ['bar', ...(step.open ? ['open'] : []), ...(isSlowest ? ['slowest'] : [])].join(' ');
  const tooltip = `${step.id}: ${step.status}, from +${formatSeconds(step.startOffsetSeconds)} for ${formatDuration(step.durationSeconds)}`;
  out.push(
    `<rect class="${classes}" x="${x.toFixed(1)}" y="${mid - BAR_HEIGHT / 2}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" rx="3" fill="${fill}"><title>${esc(tooltip)}</title></rect>`,
  );
  const label = formatDuration(step.durationSeconds) + (step.open ? ' (no end)' : '') + (isSlowest ? ' · slowest' : '');
  const fitsInside = width >= label.length * CHAR_WIDTH + 12;
  const fitsRight = x + width + 6 + label.length * CHAR_WIDTH <= WIDTH - 4;
  if (fitsInside) {
    const colour = DARK_LABEL.has(step.status) ? 'dark' : 'light';
    out.push(`<text class="duration ${colour}${isSlowest ? ' strong' : ''}" x="${(x + width - 6).toFixed(1)}" y="${mid + 4}" text-anchor="end">${esc(label)}</text>`);
  } else if (fitsRight) {
    out.push(`<text class="duration${isSlowest ? ' strong' : ''}" x="${(x + width + 6).toFixed(1)}" y="${mid + 4}">${esc(label)}</text>`);
  } else {
    out.push(`<text class="duration${isSlowest ? ' strong' : ''}" x="${(x - 6).toFixed(1)}" y="${mid + 4}" text-anchor="end">${esc(label)}</text>`);
  }
  out.push('</g>');
  return out;
}

function stepRows(s: DrillSummary, scale: Scale, rowsTop: number, rowsBottom: number): string[] {
  return [
    `<text class="status" x="14" y="${rowsTop - 8}">step</text>`,
    `<text class="status" x="${LABEL_WIDTH - 6}" y="${rowsTop - 8}" text-anchor="end">status</text>`,
    `<text class="status" x="${PLOT_LEFT}" y="${rowsTop - 8}">time since the drill started</text>`,
    // Stripes first, then the grid over them, then the bars over both.
    ...s.steps.flatMap((_, i) => (i % 2 === 1 ? [`<rect class="stripe" x="0" y="${rowsTop + i * ROW_HEIGHT}" width="${WIDTH}" height="${ROW_HEIGHT}"/>`] : [])),
    ...axis(scale, rowsTop, rowsBottom),
    ...s.steps.flatMap((step, i) => stepRow(step, i, scale, s.slowestStep, rowsTop)),
  ];
}

function legend(steps: readonly StepReport[], y: number): string[] {
  const shown = [...new Set(steps.filter((s) => s.durationSeconds !== undefined).map((s) => s.status))];
  const out: string[] = [];
  let x = PLOT_LEFT;
  for (const status of shown) {
    out.push(`<rect x="${x}" y="${y - 10}" width="14" height="12" rx="2" fill="${BAR_FILL[status] ?? '#9e9e9e'}"/>`);
    out.push(`<text class="legend" x="${x + 19}" y="${y}">${esc(status)}</text>`);
    x += 19 + status.length * CHAR_WIDTH + 22;
  }
  out.push(`<rect class="slowest-key" x="${x}" y="${y - 10}" width="14" height="12" rx="2" fill="#ffffff"/>`);
  out.push(`<text class="legend" x="${x + 19}" y="${y}">slowest step (outlined)</text>`);
  return out;
}

const STYLE = `
text { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; fill: #212121; }
.title { font-size: 20px; font-weight: bold; }
.subtitle { font-size: 13px; fill: #424242; }
.name { font-size: 14px; }
.status { font-size: 12px; fill: #616161; }
.status.red { fill: #c62828; font-weight: bold; }
.note { font-size: 12px; fill: #757575; font-style: italic; }
.tick, .legend { font-size: 12px; fill: #424242; }
.duration { font-size: 12px; }
.duration.light { fill: #ffffff; }
.duration.dark { fill: #1b1b1b; }
.strong { font-weight: bold; }
.grid { stroke: #e0e0e0; stroke-width: 1; }
.axis { stroke: #9e9e9e; stroke-width: 1; }
.stripe { fill: #f5f5f5; }
.failure-heading { font-size: 15px; font-weight: bold; fill: #b71c1c; }
.failure-cause { font-size: 12px; fill: #212121; }
.slowest, .slowest-key { stroke: #000000; stroke-width: 2.5; }
.open { stroke-dasharray: 4 3; stroke: #5d4037; stroke-width: 1.5; }
`;

/** Lines of at most `width` characters, broken at spaces; past `maxLines` the last one ends in "…". */
export function wrapText(text: string, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (next.length <= width) {
      line = next;
      continue;
    }
    if (line) lines.push(line);
    line = word.length > width ? `${word.slice(0, width - 1)}…` : word;
  }
  if (line) lines.push(line);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = `${kept[maxLines - 1]!.slice(0, width - 1)}…`;
  return kept;
}

const CAUSE_CHARS = Math.floor((WIDTH - 40) / CHAR_WIDTH);
const CAUSE_LINES = 3;
const CAUSE_LINE_HEIGHT = 17;

/** What the picture says about a failure: the failed step (or the refusal) and its first cause. */
export function failureHeadline(s: DrillSummary): { heading: string; cause: string[] } | undefined {
  const first = s.failures[0];
  if (s.result === 'green' || !first) return undefined;
  const heading = s.refusal
    ? `Refused before any step ran (${s.refusal.reason})`
    : `Failed step: ${first.step} (${first.status})${s.failures.length > 1 ? `, and ${s.failures.length - 1} more` : ''}`;
  const cause = first.causes[0];
  // A refusal's details are its why (the circular dependency, the lock's holder): all of them, on one line.
  const said = cause && (s.refusal ? cause.text.split('\n').join(' · ') : cause.text.split('\n')[0]);
  const text = cause ? `${cause.subject ? `${cause.subject}: ` : ''}${said}` : first.error ?? first.status;
  return { heading, cause: wrapText(`First cause: ${text}`, CAUSE_CHARS, CAUSE_LINES) };
}

function failurePanel(s: DrillSummary, top: number): { svg: string[]; height: number } {
  const headline = failureHeadline(s);
  if (!headline) return { svg: [], height: 0 };
  const height = 30 + headline.cause.length * CAUSE_LINE_HEIGHT + 8;
  const step = s.refusal ? 'refused' : s.failures[0]!.step;
  return {
    height: height + 10,
    svg: [
      `<g class="failure" data-step="${esc(step)}">`,
      `<rect x="10" y="${top}" width="${WIDTH - 20}" height="${height}" rx="4" fill="#ffebee" stroke="#c62828" stroke-width="1.5"/>`,
      `<text class="failure-heading" x="20" y="${top + 21}">${esc(headline.heading)}</text>`,
      ...headline.cause.map((line, i) => `<text class="failure-cause" x="20" y="${top + 40 + i * CAUSE_LINE_HEIGHT}">${esc(line)}</text>`),
      '</g>',
    ],
  };
}

export function renderTimelineSvg(s: DrillSummary): string {
  const panel = failurePanel(s, HEADER_HEIGHT - 20);
  const rowsTop = HEADER_HEIGHT + panel.height;
  const rowsBottom = rowsTop + s.steps.length * ROW_HEIGHT;
  const height = rowsBottom + (s.steps.length > 0 ? FOOTER_HEIGHT : 10);
  const scale = scaleFor(s.rto.seconds);
  const subtitle = `run ${s.runId} · started ${formatUtc(s.startedAt)} · ${s.counts.green} of ${s.counts.stepsTotal} steps green`;
  const title = `homelab-dr ${s.command}: ${RESULT_WORD[s.result]} · ${s.refusal ? 'refused, no step ran' : timeLabel(s.result, s.rto.seconds)}`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${esc(title)}">`,
    `<style>${STYLE}</style>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text class="title" x="14" y="30" fill="${RESULT_COLOUR[s.result]}" style="fill: ${RESULT_COLOUR[s.result]}">${esc(title)}</text>`,
    `<text class="subtitle" x="14" y="52">${esc(subtitle)}</text>`,
    ...panel.svg,
    ...(s.steps.length === 0 ? [] : stepRows(s, scale, rowsTop, rowsBottom)),
    ...(s.steps.length === 0 ? [] : legend(s.steps, rowsBottom + 46)),
    '</svg>',
    '',
  ].join('\n');
}
