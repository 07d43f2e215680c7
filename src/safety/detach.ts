// Surviving the drop: when the SSH session carrying a hard-reset runs through the cluster it deletes,
// the run re-executes itself outside that session (a systemd unit, else a new session via setsid), so
// the recovery finishes while the operator reconnects.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run } from '../util/exec.js';
import { LOCK_FDS_ENV } from './run-lock.js';

/** Set in the re-executed run, so that it never detaches again. */
export const DETACHED_ENV = 'HOMELAB_DR_DETACHED';
/** The run id the detached child continues under (journal, log and unit share it). */
export const RUN_ID_ENV = 'HOMELAB_DR_RUN_ID';

/** How systemd-run can start a unit that outlives this login: a system unit (root), or a user unit of a lingering user. */
export type SystemdScope = 'system' | 'user';

export interface DetachInputs {
  env: NodeJS.ProcessEnv;
  command: string;
  /** From the access-path verdict (true also when it cannot be ruled out). */
  throughCluster: boolean;
  systemd: SystemdScope | undefined;
}

export type DetachDecision =
  | { detach: false; reason: string }
  | { detach: true; via: 'systemd-run'; scope: SystemdScope; reason: string }
  | { detach: true; via: 'setsid'; reason: string };

export function decideDetach(inputs: DetachInputs): DetachDecision {
  const { env } = inputs;
  if (env[DETACHED_ENV] === '1') return { detach: false, reason: 'already running detached' };
  if (inputs.command !== 'hard-reset') return { detach: false, reason: `${inputs.command} does not delete the cluster this session may run through` };
  if (!env.SSH_CONNECTION?.trim()) return { detach: false, reason: 'not an SSH session' };
  if (env.TMUX) return { detach: false, reason: 'inside tmux: the run survives the SSH session' };
  if (env.STY) return { detach: false, reason: 'inside screen: the run survives the SSH session' };
  if (env.INVOCATION_ID) return { detach: false, reason: 'inside a systemd unit: the run survives the SSH session' };
  if (!inputs.throughCluster) return { detach: false, reason: 'the SSH session does not run through the cluster' };
  const reason = 'the SSH session runs through the cluster and will drop when it is deleted';
  return inputs.systemd ? { detach: true, via: 'systemd-run', scope: inputs.systemd, reason } : { detach: true, via: 'setsid', reason };
}

/** Pure part of the systemd probe: a booted systemd, a working systemd-run, and a unit that outlives the login. */
export function systemdScopeOf(probe: { versionOk: boolean; booted: boolean; uid: number; lingering: boolean }): SystemdScope | undefined {
  if (!probe.versionOk || !probe.booted) return undefined;
  if (probe.uid === 0) return 'system';
  // A user unit dies with the user's last session unless the user lingers.
  return probe.lingering ? 'user' : undefined;
}

export async function probeSystemd(): Promise<SystemdScope | undefined> {
  const versionOk = await run('systemd-run', ['--version'], { timeoutMs: 5_000 }).then(() => true, () => false);
  const uid = process.getuid?.() ?? -1;
  const user = process.env.USER ?? process.env.LOGNAME ?? '';
  return systemdScopeOf({ versionOk, booted: existsSync('/run/systemd/system'), uid, lingering: user !== '' && existsSync(`/var/lib/systemd/linger/${user}`) });
}

/** Unit names take [A-Za-z0-9:_.-]; a run id already does, anything else is replaced. */
export function unitName(runId: string): string {
  return `homelab-dr-${runId.replace(/[^A-Za-z0-9:_.-]/g, '_')}`;
}

/** The re-executed command: the same argv, with --yes because the person already confirmed (stdin is /dev/null). */
export function detachedArgv(execPath: string, processArgv: readonly string[]): string[] {
  const args = processArgv.slice(1);
  return [execPath, ...args, ...(args.includes('--yes') ? [] : ['--yes'])];
}

export function systemdRunArgs(opts: { unit: string; scope: SystemdScope; outputPath: string; envFile: string; cwd: string; argv: readonly string[] }): string[] {
  return [
    ...(opts.scope === 'user' ? ['--user'] : []),
    '--unit', opts.unit,
    '--collect',
    '--quiet',
    // Type=exec: systemd-run returns only after the process started, so the env file has been read.
    '--property=Type=exec',
    `--property=EnvironmentFile=${opts.envFile}`,
    `--property=StandardOutput=append:${opts.outputPath}`,
    `--property=StandardError=append:${opts.outputPath}`,
    `--working-directory=${opts.cwd}`,
    '--',
    ...opts.argv,
  ];
}

/**
 * An EnvironmentFile for systemd (shell-style double quotes). It carries the environment to the unit
 * without putting values into systemd-run's argv or the unit's Environment= property, which other
 * users can read; it is deleted as soon as the unit has started.
 */
export function environmentFile(env: NodeJS.ProcessEnv): string {
  return Object.entries(env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(entry[0]))
    .map(([key, value]) => `${key}="${value.replace(/[\\"`$]/g, (c) => `\\${c}`)}"`)
    .join('\n')
    .concat('\n');
}

export interface ReexecOptions {
  decision: Extract<DetachDecision, { detach: true }>;
  runId: string;
  /** Where the detached run's stdout and stderr go. */
  outputPath: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The run's lock descriptors: a setsid child inherits them (as fd 3, 4, ...), so it holds the locks. */
  inheritFds?: readonly number[];
}

export interface Detached {
  /** setsid: the child's pid. */
  pid?: number;
  /** systemd-run: the unit's name. */
  unit?: string;
  outputPath: string;
}

/** Starts `argv` (executable first) outside this session and returns once it is running. */
export async function reexecDetached(argv: readonly string[], opts: ReexecOptions): Promise<Detached> {
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env), [DETACHED_ENV]: '1', [RUN_ID_ENV]: opts.runId };
  delete env[LOCK_FDS_ENV];
  const cwd = opts.cwd ?? process.cwd();
  mkdirSync(dirname(opts.outputPath), { recursive: true });
  if (opts.decision.via === 'systemd-run') {
    const unit = unitName(opts.runId);
    const envFile = join(dirname(opts.outputPath), `.${unit}.env`);
    writeFileSync(envFile, environmentFile(env), { mode: 0o600 });
    try {
      await run('systemd-run', systemdRunArgs({ unit, scope: opts.decision.scope, outputPath: opts.outputPath, envFile, cwd, argv }), { timeoutMs: 30_000 });
    } finally {
      rmSync(envFile, { force: true });
    }
    return { unit, outputPath: opts.outputPath };
  }
  const output = openSync(opts.outputPath, 'a', 0o600);
  try {
    // detached: the child calls setsid(2), so it has no controlling terminal and no SIGHUP reaches it.
    const fds = opts.inheritFds ?? [];
    if (fds.length > 0) env[LOCK_FDS_ENV] = fds.map((_, i) => 3 + i).join(',');
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', output, output, ...fds], env, cwd });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    return { pid: child.pid!, outputPath: opts.outputPath };
  } finally {
    closeSync(output);
  }
}

/** The one command to follow the detached run after reconnecting (the run id: its journal may not exist yet). */
export function followCommand(runId: string, opts: { stateDir?: string } = {}): string {
  return `homelab-dr status --follow ${runId}${opts.stateDir ? ` --state-dir ${opts.stateDir}` : ''}`;
}

export function detachedNotice(detached: Detached, follow: string): string {
  const where = detached.unit ? `systemd unit ${detached.unit}` : `a session of its own (pid ${detached.pid})`;
  return [
    `The run continues detached in ${where}: it finishes even when this SSH session drops.`,
    `Its output: ${detached.outputPath}`,
    `After reconnecting, follow it with: ${follow}`,
  ].join('\n');
}

export interface MaybeDetachOptions {
  command: string;
  throughCluster: boolean;
  runId: string;
  /** The run's state dir: the detached output goes to <stateDir>/logs/<run>.out. */
  stateDir: string;
  /** --state-dir as the person typed it, repeated in the follow command; absent for the default. */
  stateDirFlag?: string;
  env?: NodeJS.ProcessEnv;
  argv?: readonly string[];
  /** The run's lock descriptors, handed to a setsid child (a systemd unit waits for them instead). */
  inheritFds?: readonly number[];
  /** Default probeSystemd(); a test injects one that never starts a real unit. */
  systemd?: () => Promise<SystemdScope | undefined>;
}

/**
 * Re-executes the run detached when the session would otherwise take it down. Resolves with the
 * notice to print (then the caller returns without starting the run), or undefined to go on here.
 * systemd is probed only when a detach is needed.
 */
export async function maybeDetach(opts: MaybeDetachOptions): Promise<string | undefined> {
  const base = { env: opts.env ?? process.env, command: opts.command, throughCluster: opts.throughCluster };
  if (!decideDetach({ ...base, systemd: undefined }).detach) return undefined;
  const decision = decideDetach({ ...base, systemd: await (opts.systemd ?? probeSystemd)() });
  if (!decision.detach) return undefined;
  const outputPath = join(opts.stateDir, 'logs', `${opts.runId}.out`);
  const detached = await reexecDetached(detachedArgv(process.execPath, opts.argv ?? process.argv), { decision, runId: opts.runId, outputPath, env: base.env, ...(opts.inheritFds ? { inheritFds: opts.inheritFds } : {}) });
  return detachedNotice(detached, followCommand(opts.runId, { stateDir: opts.stateDirFlag }));
}
