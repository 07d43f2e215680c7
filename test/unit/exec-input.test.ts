// A child that exits without reading its input: the write to its stdin fails with EPIPE, which must end
// in the run's result (its exit code decides), never as an unhandled error that kills homelab-dr.
import { describe, expect, it } from 'vitest';
import { run } from '../../src/util/exec.js';

// Far more than a pipe buffers, so the write cannot complete before the child exits.
const INPUT = 'x'.repeat(4 * 1024 * 1024);

describe('run() with input the child does not read', () => {
  it('a failing child keeps its own exit code and stderr', async () => {
    const result = await run('sh', ['-c', 'echo "Error: Could not process rule" >&2; exit 1'], { input: INPUT, allowFailure: true });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Could not process rule');
  });

  it('a child exiting 0 without reading its input is a failure, not a success', async () => {
    await expect(run('sh', ['-c', 'exit 0'], { input: INPUT })).rejects.toThrow(/exited 0 without reading all of its input \(.*EPIPE/);
  });

  it('a child that reads its input is unaffected', async () => {
    const result = await run('wc', ['-c'], { input: INPUT });
    expect(result.stdout.trim()).toBe(String(INPUT.length));
  });
});
