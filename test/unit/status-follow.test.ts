// `status --follow RUN` after a detached hard-reset: the run may not have written its journal yet when
// the operator reconnects. status waits for it, prints the steps, and answers with the run's exit code.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseCli } from '../../src/cli/args.js';
import { statusCommand } from '../../src/cli/commands/status.js';
import { Journal } from '../../src/engine/journal.js';

let stateDir: string;
let out: string[];

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'hdr-follow-'));
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(stateDir, { recursive: true, force: true });
});

function startRun(runId: string, exitCode: number): void {
  const journal = Journal.start(stateDir, { runId, command: 'hard-reset', config: '/x/homelab.yaml', startedAt: new Date().toISOString(), steps: ['preflight', 'namespaces'], cluster: 'homelab' });
  journal.append({ t: 'step', id: 'preflight', status: 'unchanged' });
  journal.append({ t: 'step', id: 'namespaces', status: 'failed', missing: ['namespace apps does not exist'] });
  journal.append({ t: 'end', exitCode, at: new Date().toISOString() });
}

describe('status --follow RUN', () => {
  it('waits for a journal that does not exist yet, then follows it to the end and returns its exit code', async () => {
    const runId = '20261202-040000-abcd';
    setTimeout(() => startRun(runId, 1), 700);
    const code = await statusCommand(parseCli(['status', '--follow', runId, '--state-dir', stateDir]));
    const text = out.join('');
    expect(code).toBe(1);
    expect(text).toContain(`waiting up to 120 s for run ${runId}`);
    expect(text).toMatch(/namespaces: failed/);
    expect(text).toContain('ended with exit 1');
  });

  it('without --follow, a run id with no journal is bad input at once', async () => {
    await expect(statusCommand(parseCli(['status', 'nope', '--state-dir', stateDir]))).rejects.toThrow(/no run journal in .* named nope/);
  });

  it('without --follow, a finished red run is reported with exit 0 (status itself succeeded)', async () => {
    startRun('r1', 1);
    expect(await statusCommand(parseCli(['status', 'r1', '--state-dir', stateDir]))).toBe(0);
  });
});
