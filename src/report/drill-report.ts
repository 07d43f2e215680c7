// Writes one drill's evidence into <reportDir>/<runId>/: report.json, report.md and timeline.svg.
// The renderings are pure functions of the summary; this file only puts them on disk.
import { join } from 'node:path';
import type { JournalData } from '../engine/journal.js';
import { scrub } from '../util/secrets-registry.js';
import { writeFileAtomic } from './atomic-write.js';
import { renderReportMarkdown } from './markdown.js';
import { summarizeDrill, type DrillSummary } from './summary.js';
import { renderTimelineSvg } from './timeline-svg.js';

export interface DrillReportInput {
  journal: JournalData;
  reportDir: string;
  versions: Record<string, string>;
  config: string;
  now?: Date;
}

export interface WrittenDrillReport {
  dir: string;
  files: string[];
  /** What history, metrics and the notification are made from. */
  summary: DrillSummary;
}

export function renderReportJson(summary: DrillSummary): string {
  return `${JSON.stringify(summary, null, 2)}\n`;
}

export async function writeDrillReport(input: DrillReportInput): Promise<WrittenDrillReport> {
  return writeSummaryReport(summarizeDrill(input), input.reportDir);
}

/** The renderings of a summary, journaled or refused before its journal, into <reportDir>/<runId>/. */
export async function writeSummaryReport(summary: DrillSummary, reportDir: string): Promise<WrittenDrillReport> {
  const dir = join(reportDir, summary.runId);
  const renderings: Array<[string, string]> = [
    ['report.json', renderReportJson(summary)],
    ['report.md', renderReportMarkdown(summary)],
    ['timeline.svg', renderTimelineSvg(summary)],
  ];
  const files: string[] = [];
  for (const [name, content] of renderings) {
    const path = join(dir, name);
    // The journal is scrubbed already; this guards text that reaches a report by another path.
    await writeFileAtomic(path, scrub(content));
    files.push(path);
  }
  return { dir, files, summary };
}
