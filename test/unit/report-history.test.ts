// History across drills: history.json and index.md, newest first, with the RTO and failure trends.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/engine/journal.js';
import { addToHistory, historyEntry, lastSuccessSeconds, parseHistory, renderHistoryIndex, sparkline, updateHistory, type HistoryEntry } from '../../src/report/history.js';
import { summarizeDrill } from '../../src/report/summary.js';

const fixture = (name: string) => Journal.read(join(import.meta.dirname, '../fixtures/report', name));
const summaryOf = (name: string) => summarizeDrill({ journal: fixture(name), versions: {}, config: 'c.yaml' });

function entry(runId: string, startedAt: string, result: HistoryEntry['result'], seconds: number): HistoryEntry {
  const green = result === 'green';
  return { runId, startedAt, result, exitCode: green ? 0 : 1, durationSeconds: seconds, ...(green ? { rtoSeconds: seconds } : { failureReason: 'step:apps' }), failedSteps: result === 'green' ? [] : ['apps'], failedItems: result === 'green' ? 0 : 2, report: `${runId}/report.md` };
}

describe('history', () => {
  it('appends each drill to history.json and index.md, newest first, and a second drill extends it', async () => {
    const reportDir = mkdtempSync(join(tmpdir(), 'drill-history-'));
    const first = await updateHistory(reportDir, summaryOf('green-kwok.jsonl'));
    expect(first.files).toEqual([join(reportDir, 'history.json'), join(reportDir, 'index.md')]);
    expect(first.history.drills.map((d) => d.runId)).toEqual(['2026-11-25T19-28-01-281Z-03mi']);
    const second = await updateHistory(reportDir, summaryOf('missing-secret.jsonl'));
    expect(second.warnings).toEqual([]);
    const onDisk = parseHistory(readFileSync(join(reportDir, 'history.json'), 'utf8'));
    expect(onDisk).toEqual(second.history);
    expect(onDisk.drills.map((d) => [d.runId, d.result, d.rtoSeconds, d.durationSeconds, d.failedSteps])).toEqual([
      ['2026-11-25T19-28-32-215Z-vkbc', 'red', undefined, 0.687, ['preflight']],
      ['2026-11-25T19-28-01-281Z-03mi', 'green', 12.278, 12.278, []],
    ]);
    expect(lastSuccessSeconds(onDisk)).toBe(Date.parse('2026-11-25T19:28:16.095Z') / 1000);
    const index = readFileSync(join(reportDir, 'index.md'), 'utf8');
    expect(index).toContain('Latest: **RED** on 2026-11-25 19:28:33 UTC, failed after 0.7 s (preflight). 2 drill(s) recorded, 1 not green.');
    // A red drill lists no RTO: how long it ran has its own column.
    expect(index).toContain('| 2026-11-25 19:28:33 UTC | RED | none (not green) | 0.7 s | — | preflight | preflight | 1 | [report](2026-11-25T19-28-32-215Z-vkbc/report.md) |');
    expect(index).toContain('| 2026-11-25 19:28:03 UTC | GREEN | 12.3 s | 12.3 s | — | — | — | 0 |');
    expect(index.indexOf('19:28:33 UTC | RED')).toBeLessThan(index.indexOf('19:28:03 UTC | GREEN'));
    expect(index).toContain('- Results: `✓✗` (1 not green)');
    expect(readdirSync(reportDir).sort()).toEqual(['history.json', 'index.md']);
  });

  it('reporting the same drill twice keeps one entry', async () => {
    const reportDir = mkdtempSync(join(tmpdir(), 'drill-history-'));
    await updateHistory(reportDir, summaryOf('green-kwok.jsonl'));
    const again = await updateHistory(reportDir, summaryOf('green-kwok.jsonl'));
    expect(again.history.drills).toHaveLength(1);
  });

  it('sets an unreadable history.json aside, says so, and starts a new one instead of failing every drill', async () => {
    const reportDir = mkdtempSync(join(tmpdir(), 'drill-history-'));
    writeFileSync(join(reportDir, 'history.json'), '{"schemaVersion": 1, "drills": [');
    const now = new Date('2026-12-01T00:00:00.000Z');
    const update = await updateHistory(reportDir, summaryOf('green-kwok.jsonl'), now);
    expect(update.history.drills).toHaveLength(1);
    expect(update.warnings).toHaveLength(1);
    expect(update.warnings[0]).toContain('history.json.unreadable-2026-12-01T00-00-00-000Z');
    expect(readdirSync(reportDir).sort()).toEqual(['history.json', 'history.json.unreadable-2026-12-01T00-00-00-000Z', 'index.md']);
  });

  it('refuses a history of another schema version', () => {
    expect(() => parseHistory('{"schemaVersion": 2, "drills": []}')).toThrow('schemaVersion is 2, expected 1');
    expect(() => parseHistory('{"schemaVersion": 1, "drills": [{"runId": 3}]}')).toThrow('drills is not a list');
  });

  it('shows the RTO trend of green drills oldest → newest, and the change from the previous green drill', () => {
    let history = { schemaVersion: 1 as const, drills: [] as HistoryEntry[] };
    history = addToHistory(history, entry('b', '2026-02-01T00:10:00Z', 'red', 40));
    history = addToHistory(history, entry('a', '2026-01-01T00:10:00Z', 'green', 80));
    history = addToHistory(history, entry('d', '2026-04-01T00:10:00Z', 'green', 60));
    history = addToHistory(history, entry('c', '2026-03-01T00:10:00Z', 'green', 70));
    expect(history.drills.map((d) => d.runId)).toEqual(['d', 'c', 'b', 'a']);
    const index = renderHistoryIndex(history);
    expect(index).toContain('- RTO of the green drills: `█▅▁` 1 min 20 s → 1 min 00 s (best 1 min 00 s, worst 1 min 20 s)');
    expect(index).toContain('- Results: `✓✗✓✓` (1 not green)');
    // d is compared with c, c with a (b was red: its time to failure is no RTO).
    expect(index).toContain('| 2026-04-01 00:10:00 UTC | GREEN | 1 min 00 s | 1 min 00 s | −10.0 s |');
    expect(index).toContain('| 2026-03-01 00:10:00 UTC | GREEN | 1 min 10 s | 1 min 10 s | −10.0 s |');
    expect(index).toContain('| 2026-02-01 00:10:00 UTC | RED | none (not green) | 40.0 s | — | step:apps | apps | 2 |');
    expect(index).toContain('| 2026-01-01 00:10:00 UTC | GREEN | 1 min 20 s | 1 min 20 s | — |');
  });

  it('reads a history written before durationSeconds: a red entry keeps its time as a duration, never as an RTO', () => {
    const old = { schemaVersion: 1, drills: [
      { runId: 'r', startedAt: '2026-02-01T00:10:00Z', result: 'red', exitCode: 1, rtoSeconds: 0.7, failedSteps: ['preflight'], failedItems: 1, report: 'r/report.md' },
      { runId: 'g', startedAt: '2026-01-01T00:10:00Z', result: 'green', exitCode: 0, rtoSeconds: 80, failedSteps: [], failedItems: 0, report: 'g/report.md' },
    ] };
    const history = parseHistory(JSON.stringify(old));
    expect(history.drills.map((d) => [d.rtoSeconds, d.durationSeconds])).toEqual([[undefined, 0.7], [80, 80]]);
    expect(lastSuccessSeconds(history)).toBe(Date.parse('2026-01-01T00:10:00Z') / 1000);
    expect(lastSuccessSeconds({ schemaVersion: 1, drills: [history.drills[0]!] })).toBe(0);
    expect(renderHistoryIndex(history)).toContain('| RED | none (not green) | 0.7 s |');
  });

  it('sparkline spans the blocks from the smallest value to the largest', () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([5, 5])).toBe('▄▄');
  });

  it('an entry links to the drill report relative to the report dir', () => {
    expect(historyEntry(summaryOf('green-kwok.jsonl')).report).toBe('2026-11-25T19-28-01-281Z-03mi/report.md');
  });
});
