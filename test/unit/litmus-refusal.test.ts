// A litmus row that could not be judged (a step whose run-time dependencies cannot be listed) is not "no
// circular dependency": hard-reset and drill refuse before anything is touched, exit 3, and name the step.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseCli } from '../../src/cli/args.js';
import { runCommand } from '../../src/cli/commands/run.js';
import { RefusedError } from '../../src/util/errors.js';

// reseal-secrets cannot say what it uses (as when this host's interfaces cannot be read): its litmus row
// becomes a problem record.
vi.mock('../../steps/index.js', async (original) => {
  const actual = await original<typeof import('../../steps/index.js')>();
  return {
    ...actual,
    buildSteps: (...args: Parameters<typeof actual.buildSteps>) =>
      actual.buildSteps(...args).map((s) => (s.id === 'reseal-secrets' ? { ...s, uses: () => Promise.reject(new Error('resolver exploded')) } : s)),
  };
});

const example = resolve('config/example/homelab.yaml');
const root = mkdtempSync(join(tmpdir(), 'hdr-litmus-refusal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('hard-reset and drill with a litmus row that could not be judged', { timeout: 60_000 }, () => {
  it.each(['hard-reset', 'drill'] as const)('%s refuses (exit 3) before any step, naming the step', async (mode) => {
    const stateDir = join(root, mode);
    const opts = parseCli([mode, '-c', example, '--provider', 'kwok', '--state-dir', stateDir, '--yes']);
    const refused = await runCommand(mode, opts).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(RefusedError);
    expect((refused as RefusedError).exitCode).toBe(3);
    expect((refused as RefusedError).message).toBe(`${mode} refuses: the litmus could not judge every run-time dependency`);
    expect((refused as RefusedError).details).toEqual(['cannot list the run-time dependencies of step reseal-secrets: resolver exploded']);
    expect((refused as RefusedError).kind).toBe('litmus');
    // Nothing ran: no journal of a run, no cluster.
    const runs = join(stateDir, 'runs');
    expect(existsSync(runs) ? readdirSync(runs).filter((f) => f.endsWith('.jsonl')) : []).toEqual([]);
    const kwok = join(stateDir, 'kwok');
    expect(existsSync(kwok) ? readdirSync(kwok).filter((name) => !name.startsWith('.')) : []).toEqual([]); // .locks: the run's lock
  });
});
