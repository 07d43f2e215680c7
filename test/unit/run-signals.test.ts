// The run's answers to Ctrl-C, counted: the signals are emitted on this process, and exit is injected.
import { describe, expect, it } from 'vitest';
import { interruptHandler } from '../../src/cli/run-signals.js';

function harness(throwaway: boolean) {
  const abort = new AbortController();
  const said: string[] = [];
  const exits: number[] = [];
  let abandoned = 0;
  const handler = interruptHandler({
    abort,
    throwaway,
    cluster: 'homelab-dt-2612021138-00abc',
    teardownCommand: 'homelab-dr teardown homelab-dt-2612021138-00abc --config homelab.yaml',
    onAbandon: () => (abandoned += 1),
    write: (t) => void said.push(t.trim()),
    exit: (code) => void exits.push(code),
  });
  return { abort, said, exits, handler, abandoned: () => abandoned };
}

describe('interrupts', () => {
  it('dr-test: the second Ctrl-C still tears down, the third abandons naming what is left and how to remove it', () => {
    const h = harness(true);
    try {
      process.emit('SIGINT', 'SIGINT');
      expect(h.abort.signal.aborted).toBe(true);
      expect(h.said[0]).toMatch(/then tearing down homelab-dt-2612021138-00abc/);
      process.emit('SIGINT', 'SIGINT');
      expect(h.exits).toEqual([]);
      expect(h.said[1]).toMatch(/teardown of homelab-dt-2612021138-00abc still happens/);
      h.handler.tearingDown();
      process.emit('SIGTERM', 'SIGTERM');
      expect(h.exits).toEqual([130]);
      expect(h.abandoned()).toBe(1);
      expect(h.said[2]).toContain('homelab-dt-2612021138-00abc is LEFT BEHIND');
      expect(h.said[2]).toContain('homelab-dr teardown homelab-dt-2612021138-00abc --config homelab.yaml');
    } finally {
      h.handler.remove();
    }
  });

  it('hard-reset: the second Ctrl-C abandons the current item (nothing to tear down)', () => {
    const h = harness(false);
    try {
      process.emit('SIGINT', 'SIGINT');
      process.emit('SIGINT', 'SIGINT');
      expect(h.exits).toEqual([130]);
    } finally {
      h.handler.remove();
    }
    process.emit('SIGINT', 'SIGINT');
    expect(h.exits).toEqual([130]); // removed: a later Ctrl-C is no longer this run's
  });
});
