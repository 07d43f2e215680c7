// The scheduled drill's lock (one drill at a time, whoever started it: systemd, cron or a person),
// taken by the drill itself so that a drill refused by it still writes its red evidence. flock(1)
// holds the lock for as long as its child reads our stdin: when this process ends, however it ends,
// the pipe closes, the child exits and the lock is free.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { childEnv } from '../../util/secrets-registry.js';
import { InputError, RefusedError } from '../../util/errors.js';

/** flock's exit code when the lock is taken; anything else is flock's or the holder's own failure. */
const CONFLICT_EXIT_CODE = 75;

export interface HeldLock {
  release(): void;
}

export function holdDrillLock(lockFile: string): Promise<HeldLock> {
  mkdirSync(dirname(lockFile), { recursive: true });
  // Its own process group: a Ctrl-C at the terminal must not free the lock while the drill tears down.
  const holder = spawn('flock', ['--nonblock', '--conflict-exit-code', String(CONFLICT_EXIT_CODE), lockFile, 'sh', '-c', 'echo held; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    env: childEnv(),
  });
  let stderr = '';
  holder.stderr.on('data', (d) => (stderr += String(d)));
  return new Promise((resolve, reject) => {
    holder.stdout.once('data', () => resolve({ release: () => holder.stdin.end() }));
    holder.once('error', (err) => {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      reject(missing ? new InputError('flock (util-linux) is not installed, and the drill needs it for --lock-file') : err);
    });
    holder.once('exit', (code) => {
      if (code === CONFLICT_EXIT_CODE) reject(new RefusedError(`the drill lock ${lockFile} is held by another drill; this one did not start`));
      else reject(new Error(`flock ${lockFile} ended with exit ${code}${stderr ? `: ${stderr.trim()}` : ''}`));
    });
  });
}
