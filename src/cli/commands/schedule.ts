// `homelab-dr schedule print|install`: the monthly drill as a systemd service and timer, or a cron
// line where systemd is absent. The unit text is rendered by pure functions; the command only decides
// where it goes and says how to enable it.
import { existsSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../report/atomic-write.js';
import { InputError } from '../../util/errors.js';
import { which } from '../../util/helpers.js';
import type { CliOptions } from '../args.js';
import { stateDirOf } from '../context.js';
import { defaultEnvFile, describeVariables, drillVariables, envFileValues, readEnvFile, renderEnvFile } from './schedule-env.js';

export const UNIT_NAME = 'homelab-dr-drill';
const CRON_MARKER = `# ${UNIT_NAME}`;

export interface ScheduleFlags {
  calendar?: string;
  user?: boolean;
}

export interface DrillSchedule {
  calendar: string;
  user: boolean;
  /** argv of the drill itself, absolute paths only: a timer has no working directory to lean on. */
  drillArgv: string[];
  lockFile: string;
  /** PATH for the drill: the tools it runs (kubectl, k3d, helm...) as the operator found them. */
  pathEnv?: string;
  /** The EnvironmentFile with the variables the drill's stores read; absent when they read none. */
  envFile?: string;
  randomizedDelay: string;
}

/** One ExecStart word: systemd expands % specifiers and $VARIABLES, so both are doubled. */
export function systemdWord(arg: string): string {
  const escaped = arg.replace(/\\/g, '\\\\').replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /[\s"']/.test(escaped) || escaped === '' ? `"${escaped.replace(/"/g, '\\"')}"` : escaped;
}

/** One shell word for cron. Cron turns a bare % into a newline, even inside quotes, and reads \% as %. */
export function cronWord(arg: string): string {
  const quoted = /^[\w@+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
  return quoted.replace(/%/g, '\\%');
}

/** The drill takes the lock itself (flock(1), see acquireLock in src/safety/run-lock.ts), so a drill refused by it still leaves evidence. */
function lockedCommand(s: DrillSchedule): string[] {
  return [...s.drillArgv, '--lock-file', s.lockFile];
}

export function renderService(s: DrillSchedule): string {
  return [
    '# Written by `homelab-dr schedule install`: run it again rather than editing this file.',
    '[Unit]',
    'Description=homelab-dr DR drill: rebuild the homelab on a throwaway cluster and report',
    // A user manager has no network-online.target; a system one should wait for the network.
    ...(s.user ? [] : ['Wants=network-online.target', 'After=network-online.target']),
    '',
    '[Service]',
    // oneshot: the unit is "activating" for the whole drill, so the timer cannot start a second one.
    'Type=oneshot',
    ...(s.pathEnv ? [`Environment=${systemdWord(`PATH=${s.pathEnv}`)}`] : []),
    // "-": a missing file does not stop the unit, so the drill still runs and reports the missing value.
    ...(s.envFile ? [`EnvironmentFile=-${s.envFile.replace(/%/g, '%%')}`] : []),
    // The lock also keeps out a drill started by hand, by cron or by the other (user/system) manager.
    `ExecStart=${lockedCommand(s).map(systemdWord).join(' ')}`,
    // SIGTERM on timeout: the drill treats it as an interruption and still tears its cluster down.
    'TimeoutStartSec=2h',
    'Nice=10',
    'IOSchedulingClass=idle',
    '',
  ].join('\n');
}

export function renderTimer(s: DrillSchedule): string {
  return [
    '# Written by `homelab-dr schedule install`: run it again rather than editing this file.',
    '[Unit]',
    `Description=Run the homelab-dr DR drill (${s.calendar})`,
    '',
    '[Timer]',
    `OnCalendar=${s.calendar}`,
    // A drill missed while the machine was off runs at the next boot.
    'Persistent=true',
    // Spreads the load, and keeps the drill away from other jobs that fire at midnight.
    `RandomizedDelaySec=${s.randomizedDelay}`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

const CRON_CALENDARS: Record<string, string> = { daily: '* * *', weekly: '* * 1', monthly: '1 * *' };

/** A stable minute in the first hour, in place of systemd's randomized delay. */
function cronMinute(seed: string): number {
  let hash = 0;
  for (const ch of seed) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return hash % 60;
}

export function cronTimeFields(calendar: string, seed: string): string {
  if (calendar in CRON_CALENDARS) return `${cronMinute(seed)} 0 ${CRON_CALENDARS[calendar]}`;
  if (/^\S+(\s+\S+){4}$/.test(calendar.trim())) return calendar.trim().split(/\s+/).join(' ');
  throw new InputError(
    `--calendar "${calendar}" cannot be written as a cron schedule: use daily, weekly, monthly or five cron fields (e.g. "30 2 1 * *")`,
  );
}

/** A crontab line; system lines (/etc/cron.d) name the user, a user's crontab does not. */
export function renderCronLine(s: DrillSchedule, logFile: string): string {
  const when = cronTimeFields(s.calendar, s.drillArgv.join(' '));
  // PATH as a prefix of this command only: a PATH= line would change every job of a user's crontab.
  const path = s.pathEnv ? `PATH=${cronWord(s.pathEnv)} ` : '';
  // set -a exports what the file assigns; a missing file is skipped, as systemd's "-" does.
  const envFile = s.envFile ? `set -a; [ ! -r ${cronWord(s.envFile)} ] || . ${cronWord(s.envFile)}; set +a; ` : '';
  const command = `${envFile}${path}${lockedCommand(s).map(cronWord).join(' ')} >> ${cronWord(logFile)} 2>&1`;
  return `${when}${s.user ? '' : ' root'} ${command} ${CRON_MARKER}`;
}

export function renderCronFile(s: DrillSchedule, logFile: string): string {
  return [
    '# Written by `homelab-dr schedule install`: run it again rather than editing this file.',
    renderCronLine(s, logFile),
    '',
  ].join('\n');
}

export interface ScheduleEnvironment {
  /** Where systemd units go (tests point it at a temporary directory). */
  unitDir?: string;
  /** Where the cron file goes when systemd is absent. */
  cronDir?: string;
  systemd: boolean;
  nodePath: string;
  /** The homelab-dr entry script. */
  scriptPath: string;
  pathEnv?: string;
  home: string;
  /** Where the drill's variables go (default /etc/homelab-dr/drill.env, or ~/.config/homelab-dr/drill.env). */
  envFile?: string;
  /** Where the variables' values are read from at install time. */
  processEnv: NodeJS.ProcessEnv;
  out(text: string): void;
}

function defaultEnvironment(): ScheduleEnvironment {
  return {
    systemd: existsSync('/run/systemd/system'),
    nodePath: process.execPath,
    scriptPath: realpathSync(process.argv[1] ?? 'bin/homelab-dr.js'),
    pathEnv: process.env.PATH,
    home: homedir(),
    processEnv: process.env,
    out: (text) => process.stdout.write(text),
  };
}

/** The drill exactly as the operator would type it, with every path made absolute. */
function drillArgv(opts: CliOptions, env: ScheduleEnvironment, stateDir: string): string[] {
  return [
    env.nodePath,
    env.scriptPath,
    'drill',
    '--config',
    resolve(opts.config),
    '--yes',
    '--state-dir',
    stateDir,
    ...(opts.reportDir ? ['--report-dir', resolve(opts.reportDir)] : []),
    ...(opts.provider ? ['--provider', opts.provider] : []),
  ];
}

interface ScheduleFile {
  path: string;
  content: string;
}

function systemdFiles(s: DrillSchedule, dir: string): ScheduleFile[] {
  return [
    { path: join(dir, `${UNIT_NAME}.service`), content: renderService(s) },
    { path: join(dir, `${UNIT_NAME}.timer`), content: renderTimer(s) },
  ];
}

function enableHint(s: DrillSchedule, systemd: boolean, files: ScheduleFile[]): string[] {
  if (systemd) {
    const ctl = s.user ? 'systemctl --user' : 'systemctl';
    return [
      `${ctl} daemon-reload && ${ctl} enable --now ${UNIT_NAME}.timer`,
      ...(s.user ? ['loginctl enable-linger "$USER"   # so the timer runs while you are logged out'] : []),
    ];
  }
  if (!s.user) return ['cron reads /etc/cron.d by itself; nothing to enable'];
  return [`(crontab -l 2>/dev/null | grep -v '${CRON_MARKER}'; grep -v '^#' ${files[0]!.path}) | crontab -`];
}

export async function scheduleCommand(
  opts: CliOptions,
  flags: ScheduleFlags = opts as CliOptions & ScheduleFlags,
  environment: Partial<ScheduleEnvironment> = {},
): Promise<number> {
  const action = opts.positionals[0];
  if (action !== 'print' && action !== 'install') throw new InputError('usage: homelab-dr schedule print|install [--calendar monthly] [--user]');
  const env: ScheduleEnvironment = { ...defaultEnvironment(), ...environment };
  const { loadConfig } = await import('../../config/load.js');
  const config = await loadConfig(resolve(opts.config));
  const calendar = flags.calendar ?? config.drill.schedule ?? 'monthly';
  if (calendar.trim() === '' || /[\n\r]/.test(calendar)) throw new InputError('--calendar must be one line, e.g. monthly');
  const user = flags.user ?? false;
  const stateDir = stateDirOf(opts);
  if (!which('flock', env.pathEnv)) throw new InputError('flock (util-linux) is not on PATH; the schedule needs it so that two drills never overlap');
  const variables = drillVariables(config);
  const envFile = env.envFile ?? defaultEnvFile(user, env.home);
  const schedule: DrillSchedule = {
    calendar,
    user,
    drillArgv: drillArgv(opts, env, stateDir),
    lockFile: join(stateDir, 'drill.lock'),
    ...(env.pathEnv ? { pathEnv: env.pathEnv } : {}),
    ...(variables.length > 0 ? { envFile } : {}),
    randomizedDelay: '1h',
  };
  const files = env.systemd
    ? systemdFiles(schedule, env.unitDir ?? (user ? join(env.home, '.config', 'systemd', 'user') : '/etc/systemd/system'))
    : user
      ? [{ path: join(env.cronDir ?? join(env.home, '.config', 'homelab-dr'), `${UNIT_NAME}.crontab`), content: renderCronFile(schedule, join(stateDir, 'drill-cron.log')) }]
      : [{ path: join(env.cronDir ?? '/etc/cron.d', UNIT_NAME), content: renderCronFile(schedule, join(stateDir, 'drill-cron.log')) }];
  const existing = variables.length > 0 ? readEnvFile(envFile) : new Map<string, string>();
  if (action === 'print') {
    for (const f of files) env.out(`# ${f.path}\n${f.content}\n`);
    env.out(`# environment the drill reads:\n# ${describeVariables(variables, new Set(existing.keys()), envFile).join('\n# ')}\n`);
    env.out(`# to enable, after install:\n# ${enableHint(schedule, env.systemd, files).join('\n# ')}\n`);
    return 0;
  }
  for (const f of files) {
    await writeFileAtomic(f.path, f.content);
    env.out(`wrote ${f.path}\n`);
  }
  let provided = new Set(existing.keys());
  if (variables.length > 0) {
    const values = envFileValues(variables, env.processEnv, existing);
    await writeFileAtomic(envFile, renderEnvFile(values), 0o600);
    provided = new Set(values.keys());
    env.out(`wrote ${envFile} (mode 0600; ${values.size} of ${variables.length} variable(s); values not shown)\n`);
  }
  env.out(`environment the drill reads:\n  ${describeVariables(variables, provided, envFile).join('\n  ')}\n`);
  env.out(`${env.systemd ? 'enable it with' : 'then'}:\n  ${enableHint(schedule, env.systemd, files).join('\n  ')}\n`);
  return 0;
}
