// One run per cluster and per state directory. Node has no flock(2), so util-linux `flock` takes the
// lock on a file descriptor this process opened and hands to it: a flock belongs to the open file
// description, so it stays held after `flock` exits, exactly as long as this process (or a detached
// child that inherited the descriptor) keeps it open, and the kernel releases it on any death, even
// SIGKILL. The file's content only names the holder, for the refusal; a stale content never blocks.
import { spawnSync } from 'node:child_process';
import { closeSync, constants, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, RefusedError } from '../util/errors.js';
import { childEnv } from '../util/secrets-registry.js';

/** Set in a detached child: the descriptors of the locks its parent holds, inherited (comma-separated). */
export const LOCK_FDS_ENV = 'HOMELAB_DR_LOCK_FDS';
/** flock's exit code when the lock is taken (-E), distinct from its own failures. */
const HELD = 75;

export interface LockHolder {
  pid: number;
  command: string;
  runId: string;
  startedAt: string;
}

export interface HeldLock {
  path: string;
  fd: number;
  release(): void;
}

/** The lock of a cluster: under the provider's own directory when its names are unique only there. */
export function clusterLockPath(cluster: string, clusterHome: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return join(clusterHome ? join(clusterHome, '.locks') : machineLockDir(env), `cluster-${cluster}.lock`);
}

export function stateLockPath(stateDir: string): string {
  return join(stateDir, 'run.lock');
}

/** Machine-wide locks (k3d's Docker and a kubeconfig's clusters are one per machine, whatever the state dir). */
function machineLockDir(env: NodeJS.ProcessEnv): string {
  if (env.HOMELAB_DR_LOCK_DIR) return env.HOMELAB_DR_LOCK_DIR;
  return join(process.getuid?.() === 0 ? '/run/lock' : env.XDG_RUNTIME_DIR || tmpdir(), 'homelab-dr');
}

function flockOn(fd: number, waitSeconds: number | undefined): number | null {
  // The descriptor goes to flock as its fd 3; spawnSync, because run() in util/exec cannot pass one.
  const wait = waitSeconds === undefined ? ['-n'] : ['-w', String(waitSeconds)];
  // childEnv: flock gets none of the secret values homelab-dr's own environment may hold.
  const r = spawnSync('flock', [...wait, '-E', String(HELD), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd], env: childEnv() });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new InputError('flock (util-linux) is not installed, and a run needs it for its locks: apt-get install util-linux');
  }
  if (r.error) throw new Error(`cannot run flock (util-linux) to lock a run: ${r.error.message}`);
  if (r.status !== 0 && r.status !== HELD) throw new Error(`flock failed (exit ${r.status}): ${String(r.stderr).trim()}`);
  return r.status;
}

export function readHolder(path: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    return typeof parsed.pid === 'number' ? (parsed as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

function writeHolder(fd: number, holder: LockHolder): void {
  const text = Buffer.from(`${JSON.stringify(holder)}\n`);
  ftruncateSync(fd, 0);
  writeSync(fd, text, 0, text.length, 0);
}

export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'another homelab-dr run (it has not written its name yet)';
  return `pid ${holder.pid} (homelab-dr ${holder.command}, run ${holder.runId}, started ${holder.startedAt})`;
}

export interface AcquireOptions {
  /** What the refusal says is locked: "cluster homelab", "state directory /x". */
  what: string;
  holder: LockHolder;
  /** A descriptor inherited from the parent run that already holds this lock (detached child). */
  inheritedFd?: number;
  /** Wait this long for the lock instead of refusing at once (a detached child whose parent is letting go). */
  waitSeconds?: number;
}

/** Takes the lock or refuses (exit 3) naming the live run that holds it. */
export function acquireLock(path: string, opts: AcquireOptions): HeldLock {
  mkdirSync(join(path, '..'), { recursive: true });
  const fd = opts.inheritedFd ?? openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
  const status = flockOn(fd, opts.waitSeconds);
  if (status === HELD) {
    closeSync(fd);
    throw new RefusedError(`${opts.what} is held by ${describeHolder(readHolder(path))}; nothing was touched`, [
      'wait for that run to end (homelab-dr status --follow), or stop it; a run that died leaves no lock behind',
    ], 'lock');
  }
  writeHolder(fd, opts.holder);
  let open = true;
  return {
    path,
    fd,
    release: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** The descriptors a detached child inherits, in the order they were passed (fd 3, 4, ...). */
export function inheritedLockFds(env: NodeJS.ProcessEnv = process.env): number[] {
  return (env[LOCK_FDS_ENV] ?? '').split(',').filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 2);
}

export interface RunLocks {
  /** The descriptors, state directory's first: a detached child inherits them in this order. */
  fds: number[];
  release(): void;
}

/**
 * The locks of one run: its state directory, then its cluster. A detached child takes them over from
 * the descriptors its parent passed (same open file description, so flock succeeds at once); a child
 * systemd started cannot inherit them and waits a moment for its exiting parent to let go.
 */
export function lockRun(opts: {
  stateDir: string;
  cluster: string;
  clusterHome: string | undefined;
  command: string;
  runId: string;
  /** This run is the detached re-execution of a hard-reset. */
  detached: boolean;
  env?: NodeJS.ProcessEnv;
}): RunLocks {
  const env = opts.env ?? process.env;
  const holder: LockHolder = { pid: process.pid, command: opts.command, runId: opts.runId, startedAt: new Date().toISOString() };
  const inherited = inheritedLockFds(env);
  const wanted = [
    { path: stateLockPath(opts.stateDir), what: `state directory ${opts.stateDir}` },
    { path: clusterLockPath(opts.cluster, opts.clusterHome, env), what: `cluster ${opts.cluster}` },
  ];
  const held: HeldLock[] = [];
  try {
    wanted.forEach((w, i) => {
      const fd = inherited[i];
      held.push(acquireLock(w.path, { what: w.what, holder, ...(fd !== undefined ? { inheritedFd: fd } : opts.detached ? { waitSeconds: 60 } : {}) }));
    });
  } catch (err) {
    for (const lock of held) lock.release();
    throw err;
  }
  return { fds: held.map((l) => l.fd), release: () => held.forEach((l) => l.release()) };
}
