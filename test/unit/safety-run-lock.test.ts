// The run lock with real flock(1) and real processes: a second holder is refused naming the first, a
// SIGKILLed holder leaves nothing that blocks, and a detached child that inherited the descriptor keeps
// the lock after its parent exits. Child processes load the compiled module (npm run build first).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLock, clusterLockPath, lockRun, readHolder, stateLockPath } from '../../src/safety/run-lock.js';
import { isOurProcess } from '../../src/cluster/process.js';
import { RefusedError } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'hdr-lock-'));
const strays: number[] = [];
afterAll(() => {
  // Only a child this file started (a pid may have been reused since).
  for (const pid of strays) if (isOurProcess(pid, 'detached-child.mjs')) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
const holder = { pid: process.pid, command: 'dr-test', runId: 'run-a', startedAt: '2026-12-02T11:00:00.000Z' };
const moduleUrl = resolve('dist/src/safety/run-lock.js');

/** A process that takes the lock, says "locked", and then lives until killed (or exits, leaving a child). */
function holderProcess(path: string, mode: 'hold' | 'handover'): Promise<{ pid: number; childPid?: number; wait: Promise<void> }> {
  const script = join(dir, `holder-${mode}.mjs`);
  writeFileSync(script, `
    import { spawn } from 'node:child_process';
    import { acquireLock } from ${JSON.stringify(moduleUrl)};
    const lock = acquireLock(process.argv[2], { what: 'cluster x', holder: { pid: process.pid, command: 'hard-reset', runId: 'run-live', startedAt: 'T0' } });
    if (process.argv[3] === 'handover') {
      // As detach.ts does: a new session that inherits the descriptor as its fd 3, then the parent exits.
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: ['ignore', 'ignore', 'ignore', lock.fd] });
      child.unref();
      console.log('locked ' + child.pid);
      process.exit(0);
    }
    console.log('locked');
    setInterval(() => {}, 1000);
  `);
  const child = spawn(process.execPath, [script, path, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const wait = new Promise<void>((r) => child.on('exit', () => r()));
  return new Promise((resolveStart, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const m = /locked(?: (\d+))?/.exec(String(d));
      if (m) resolveStart({ pid: child.pid!, ...(m[1] ? { childPid: Number(m[1]) } : {}), wait });
    });
    child.on('exit', (code) => reject(new Error(`holder exited ${code} before locking`)));
  });
}

function refusal(fn: () => unknown): RefusedError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RefusedError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('run lock (flock)', () => {
  it('refuses a second holder (exit 3) naming the live run, and is free again once released', () => {
    const path = join(dir, 'a.lock');
    const first = acquireLock(path, { what: 'cluster homelab', holder });
    const err = refusal(() => acquireLock(path, { what: 'cluster homelab', holder: { ...holder, pid: 1, runId: 'run-b' } }));
    expect(err.exitCode).toBe(3);
    expect(err.message).toBe(`cluster homelab is held by pid ${process.pid} (homelab-dr dr-test, run run-a, started 2026-12-02T11:00:00.000Z); nothing was touched`);
    first.release();
    const again = acquireLock(path, { what: 'cluster homelab', holder: { ...holder, runId: 'run-c' } });
    expect(readHolder(path)?.runId).toBe('run-c');
    again.release();
  });

  it('a holder killed with SIGKILL leaves a stale file that does not block', async () => {
    const path = join(dir, 'killed.lock');
    const live = await holderProcess(path, 'hold');
    expect(refusal(() => acquireLock(path, { what: 'cluster x', holder })).message).toContain(`pid ${live.pid} (homelab-dr hard-reset, run run-live, started T0)`);
    process.kill(live.pid, 'SIGKILL');
    await live.wait;
    expect(readHolder(path)?.pid).toBe(live.pid); // the file still names the dead run
    const mine = acquireLock(path, { what: 'cluster x', holder });
    expect(readHolder(path)?.pid).toBe(process.pid);
    mine.release();
  });

  it('a detached child that inherited the descriptor holds the lock after its parent exited, until it dies', async () => {
    const path = join(dir, 'handover.lock');
    const parent = await holderProcess(path, 'handover');
    await parent.wait;
    expect(refusal(() => acquireLock(path, { what: 'cluster x', holder })).exitCode).toBe(3);
    process.kill(parent.childPid!, 'SIGKILL');
    // The kernel drops the lock with the last descriptor: wait for the child to be gone.
    await new Promise<void>((r) => {
      const check = (): void => {
        try {
          process.kill(parent.childPid!, 0);
          setTimeout(check, 20);
        } catch {
          r();
        }
      };
      check();
    });
    acquireLock(path, { what: 'cluster x', holder }).release();
  });

  it("a detached hard-reset's child takes over its parent's locks through the inherited descriptors, and names itself", { timeout: 30_000 }, async () => {
    const stateDir = join(dir, 'handover-state');
    const lockDir = join(dir, 'handover-machine');
    const child = join(dir, 'detached-child.mjs');
    // The re-executed run: it locks as run.ts does, from the descriptors detach.ts handed it.
    writeFileSync(child, `
      import { lockRun } from ${JSON.stringify(moduleUrl)};
      lockRun({ stateDir: ${JSON.stringify(stateDir)}, cluster: 'homelab', clusterHome: undefined, command: 'hard-reset', runId: process.env.HOMELAB_DR_RUN_ID, detached: true, env: process.env });
      console.log('child locked with ' + process.env.HOMELAB_DR_LOCK_FDS);
      setInterval(() => {}, 1000);
    `);
    const parent = join(dir, 'detaching-parent.mjs');
    writeFileSync(parent, `
      import { lockRun } from ${JSON.stringify(moduleUrl)};
      import { reexecDetached } from ${JSON.stringify(resolve('dist/src/safety/detach.js'))};
      const env = { ...process.env, HOMELAB_DR_LOCK_DIR: ${JSON.stringify(lockDir)} };
      const locks = lockRun({ stateDir: ${JSON.stringify(stateDir)}, cluster: 'homelab', clusterHome: undefined, command: 'hard-reset', runId: 'run-h', detached: false, env });
      const d = await reexecDetached([process.execPath, ${JSON.stringify(child)}], { decision: { detach: true, via: 'setsid', reason: 'test' }, runId: 'run-h', outputPath: ${JSON.stringify(join(dir, 'handover.out'))}, env, inheritFds: locks.fds });
      console.log(String(d.pid));
    `);
    const run = spawn(process.execPath, [parent], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    run.stdout.on('data', (d: Buffer) => (out += String(d)));
    const code = await new Promise<number | null>((r) => run.on('exit', r));
    expect(code).toBe(0);
    const childPid = Number(out.trim());
    strays.push(childPid);
    const statePath = stateLockPath(stateDir);
    // The child says so after it has locked and written its name (output only grows: stays true).
    const said = (): string => (existsSync(join(dir, 'handover.out')) ? readFileSync(join(dir, 'handover.out'), 'utf8') : '');
    while (!said().includes('child locked with')) await new Promise((r) => setTimeout(r, 20));
    expect(said()).toContain('child locked with 3,4');
    expect(readHolder(statePath)?.pid).toBe(childPid);
    const env = { HOMELAB_DR_LOCK_DIR: lockDir };
    expect(refusal(() => lockRun({ stateDir, cluster: 'other', clusterHome: undefined, command: 'dr-test', runId: 'r9', detached: false, env })).message).toContain(`pid ${childPid} (homelab-dr hard-reset, run run-h`);
    expect(refusal(() => acquireLock(clusterLockPath('homelab', undefined, env), { what: 'cluster homelab', holder })).message).toContain(`pid ${childPid}`);
    process.kill(childPid, 'SIGKILL');
  });

  it('lockRun takes the state directory first, then the cluster, and gives both back on refusal', () => {
    const stateDir = join(dir, 'state');
    const env = { HOMELAB_DR_LOCK_DIR: join(dir, 'machine') };
    const cluster = clusterLockPath('prod', undefined, env);
    expect(cluster).toBe(join(dir, 'machine', 'cluster-prod.lock'));
    expect(clusterLockPath('prod', join(dir, 'kwok'), env)).toBe(join(dir, 'kwok', '.locks', 'cluster-prod.lock'));
    const other = acquireLock(cluster, { what: 'cluster prod', holder });
    const err = refusal(() => lockRun({ stateDir, cluster: 'prod', clusterHome: undefined, command: 'hard-reset', runId: 'r2', detached: false, env }));
    expect(err.message).toMatch(/^cluster prod is held by pid \d+ \(homelab-dr dr-test/);
    // The state lock it took first was released with the refusal.
    acquireLock(stateLockPath(stateDir), { what: 'state', holder }).release();
    other.release();
    const run = lockRun({ stateDir, cluster: 'prod', clusterHome: undefined, command: 'hard-reset', runId: 'r3', detached: false, env });
    expect(refusal(() => lockRun({ stateDir, cluster: 'other', clusterHome: undefined, command: 'dr-test', runId: 'r4', detached: false, env })).message).toMatch(
      new RegExp(`^state directory ${stateDir} is held by pid ${process.pid} \\(homelab-dr hard-reset, run r3`),
    );
    run.release();
  });
});
