// The one table `npm run bench` writes to bench/results.md (and prints): one row per measurement,
// each with its run count, median, spread, the ratio against a baseline measured in the same run,
// its target and whether that target is met. A missed target says MISSED; a section that could not
// be measured says so too, with the reason, instead of dropping out of the table.

export type Status = 'met' | 'MISSED' | 'baseline' | 'no target' | 'FAILED';

export interface Row {
  /** What was measured. */
  name: string;
  runs: number | string;
  median: string;
  spread: string;
  ratio: string;
  target: string;
  status: Status;
}

export interface Section {
  title: string;
  rows: Row[];
  notes: string[];
}

function cell(text: string | number): string {
  return String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function statusCell(status: Status): string {
  if (status === 'MISSED' || status === 'FAILED') return `**${status}**`;
  return status;
}

export function renderTable(sections: readonly Section[]): string {
  const head = ['measurement', 'runs', 'median', 'spread (min – max)', 'ratio (same run)', 'target', 'met?'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map((h) => (h === 'runs' ? '---:' : '---')).join(' | ')} |`];
  for (const section of sections) {
    for (const r of section.rows) {
      lines.push(`| ${[r.name, r.runs, r.median, r.spread, r.ratio, r.target, statusCell(r.status)].map(cell).join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

export function failedRow(name: string, err: unknown, target: string): Row {
  const message = err instanceof Error ? err.message : String(err);
  return { name, runs: 0, median: 'n/a', spread: 'n/a', ratio: `not measured: ${message.split('\n')[0]!.slice(0, 200)}`, target, status: 'FAILED' };
}
