// Issue 14 §6: a run's live event stream (--events FILE) is NDJSON, one versioned object a line for the
// run's start, the blast radius, each step's start and finish, each item and the end; -o adds one
// RunResult envelope on stdout at the end. Secret values are scrubbed from both.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseCli } from '../../src/cli/args.js';
import { OUTPUT_API_VERSION } from '../../src/cli/output.js';
import { RunReport } from '../../src/cli/run-report.js';
import type { LedgerItem, StepState } from '../../src/engine/types.js';
import { clearSecretsForTest, registerSecret } from '../../src/util/secrets-registry.js';

const at = '2026-01-01T00:00:00.000Z';
const run = { runId: 'r1', command: 'dr-test', cluster: 'homelab-dt-1' };

afterEach(() => {
  vi.restoreAllMocks();
  clearSecretsForTest();
});

function feed(report: RunReport): void {
  report.blastRadius({ command: 'hard-reset', live: { reachable: false, reason: 'absent' } });
  const states: StepState[] = [
    { id: 'preflight', status: 'pending' },
    { id: 'preflight', status: 'running', startedAt: at },
    { id: 'preflight', status: 'applied', startedAt: at, endedAt: at },
    { id: 'apps', status: 'failed', error: 'token leaked-value-123 refused' },
  ];
  const item: LedgerItem = { step: 'apps', kind: 'Secret', name: 'apps/db', outcome: 'failed', error: 'apply refused: leaked-value-123', at };
  report.step(states[0]!);
  report.step(states[1]!);
  report.item(item);
  report.step(states[2]!);
  report.step(states[3]!);
  report.end({ exitCode: 1, states: new Map(states.map((s) => [s.id, s])), items: [item], notes: ['teardown: done'], journal: '/j', log: '/l' });
}

describe('RunReport', () => {
  it('--events FILE: one JSON object a line, each with apiVersion and kind RunEvent, secrets scrubbed', () => {
    registerSecret('leaked-value-123');
    const dir = mkdtempSync(join(tmpdir(), 'hdr-events-'));
    try {
      const file = join(dir, 'events.ndjson');
      feed(new RunReport({ events: file }, run));
      const text = readFileSync(file, 'utf8');
      expect(text).not.toContain('leaked-value-123');
      const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.every((l) => l.apiVersion === OUTPUT_API_VERSION && l.kind === 'RunEvent' && typeof l.at === 'string')).toBe(true);
      expect(lines.map((l) => [l.event, l.step ?? ''])).toEqual([
        ['run-start', ''],
        ['blast-radius', ''],
        ['step-start', 'preflight'],
        ['item', 'apps'],
        ['step-finish', 'preflight'],
        ['step-finish', 'apps'],
        ['run-end', ''],
      ]);
      expect(lines[3]).toMatchObject({ item: { kind: 'Secret', name: 'apps/db', outcome: 'failed', error: 'apply refused: [REDACTED]' } });
      expect(lines.at(-1)).toMatchObject({ exitCode: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('-o json: one RunResult envelope at the end with the blast radius, steps, counted items and failures as problems', () => {
    registerSecret('leaked-value-123');
    let out = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    feed(new RunReport({ output: 'json' }, run));
    write.mockRestore();
    expect(out).not.toContain('leaked-value-123');
    const doc = JSON.parse(out);
    expect(doc).toMatchObject({ apiVersion: OUTPUT_API_VERSION, kind: 'RunResult', runId: 'r1', exitCode: 1, blastRadius: { command: 'hard-reset' } });
    expect(doc.items).toEqual({ created: 0, configured: 0, unchanged: 0, deleted: 0, skipped: 0, failed: 1 });
    expect(doc.problems).toEqual([{ step: 'apps', object: 'Secret apps/db', message: 'apply refused: [REDACTED]' }]);
  });

  it('--events - with -o is refused (both on stdout); --events is a flag of the runs only', () => {
    expect(() => new RunReport({ events: '-', output: 'json' }, run)).toThrow(/--events - and -o both write to stdout/);
    expect(() => parseCli(['plan', '--events', 'x'])).toThrow(/--events is not a flag of plan; it is a flag of hard-reset, dr-test, drill/);
    expect(parseCli(['drill', '--events', '-']).events).toBe('-');
  });
});
