// The typed confirmation through readline on a stream that says it is a terminal (the real pseudo-
// terminal is in test/integration/run-safety-pty.test.ts): each way out of the prompt and its code.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { confirmDestruction } from '../../src/safety/confirm.js';

function terminal(): { input: PassThrough & { isTTY: boolean }; output: PassThrough; shown: () => string } {
  const input = Object.assign(new PassThrough(), { isTTY: true });
  const output = new PassThrough();
  let shown = '';
  output.on('data', (d) => (shown += String(d)));
  return { input, output, shown: () => shown };
}

const SCREEN = { blastRadius: { command: 'hard-reset', cluster: 'homelab' } };

async function answer(keys: string | null, yes = false): Promise<{ code: number; message: string; shown: string; data?: unknown }> {
  const t = terminal();
  const pending = confirmDestruction('homelab', { yes, streams: t, shown: SCREEN });
  if (keys === null) t.input.end();
  else t.input.write(keys);
  try {
    await pending;
    return { code: 0, message: '', shown: t.shown() };
  } catch (err) {
    const e = err as { exitCode?: number; message: string; shown?: unknown };
    return { code: e.exitCode ?? -1, message: e.message, shown: t.shown(), data: e.shown };
  }
}

describe('typed confirmation', () => {
  it('the right name goes on', async () => {
    const r = await answer('homelab\r');
    expect(r.code).toBe(0);
    expect(r.shown).toContain('Type the cluster name (homelab) to destroy it: ');
  });

  it('Ctrl-C is an interruption (130) that says nothing was changed', async () => {
    expect(await answer('home\x03')).toMatchObject({ code: 130, message: 'Ctrl-C at the confirmation: nothing was changed, cluster "homelab" is untouched' });
  });

  it('a wrong name and end of input are refused (3), each saying so', async () => {
    expect(await answer('homelab2\r')).toMatchObject({ code: 3, message: 'confirmation did not match "homelab": nothing was changed, cluster "homelab" is untouched' });
    expect(await answer(null)).toMatchObject({ code: 3, message: 'no answer (end of input) at the confirmation: nothing was changed, cluster "homelab" is untouched' });
    expect(await answer('\x04')).toMatchObject({ code: 3, message: /end of input/ });
  });

  it('--yes skips the prompt; without a terminal and without --yes it is refused', async () => {
    expect(await answer(null, true)).toMatchObject({ code: 0, shown: '' });
    const input = new PassThrough();
    await expect(confirmDestruction('homelab', { yes: false, streams: { input, output: new PassThrough() }, shown: SCREEN })).rejects.toMatchObject({ exitCode: 3, shown: SCREEN });
  });

  it('every refusal and the interruption carry the screen the person was shown (for the -o envelope)', async () => {
    for (const keys of ['homelab2\r', null, '\x04', 'home\x03']) expect((await answer(keys)).data).toEqual(SCREEN);
  });
});
