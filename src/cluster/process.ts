// Pid-file bookkeeping for processes that outlive the command that started them.
import { readFileSync } from 'node:fs';
import { sleep } from '../util/helpers.js';

export function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is alive and its command line contains `expected`; the check guards against a
 * pid file that outlived its process while the number went to someone else.
 */
export function isOurProcess(pid: number, expected: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z' && cmdline.split('\0').some((arg) => arg.includes(expected));
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(pid: number, expected: string, graceMs = 5000): Promise<void> {
  if (!isOurProcess(pid, expected)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isOurProcess(pid, expected)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      await waitGone(pid, expected, 2000);
      return;
    }
    await sleep(100);
  }
}

async function waitGone(pid: number, expected: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (isOurProcess(pid, expected) && Date.now() < deadline) await sleep(50);
}
