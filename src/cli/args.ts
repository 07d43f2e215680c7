// Command-line parsing with node:util parseArgs (no dependency, fast cold start).
import { parseArgs } from 'node:util';
import type { ProviderName } from '../config/types.js';
import { InputError } from '../util/errors.js';

export const COMMANDS = {
  plan: 'print the steps in order, what each would do, and the litmus table (read-only)',
  'hard-reset': 'destroy and rebuild the production cluster (blast-radius screen, typed confirmation)',
  'dr-test': 'run the whole DAG against a throwaway cluster, then tear it down',
  drill: 'the scheduled, unattended dr-test, with a report',
  schedule: 'install the monthly drill schedule',
  verify: "run every step's verify against the live cluster (read-only)",
  diagnose: 'walk the diagnosis ladder for pods that are not running',
  lint: 'validate the config and every manifest offline (exit 1 on a problem)',
  seal: 'seal a Secret from stdin or a configured secret (kubeseal-compatible)',
  status: 'show the last run (or --resume RUN) from the journal',
  teardown: "remove throwaway clusters left behind: NAME, or --all-throwaway (never the production cluster)",
} as const;

/** The commands that take --only and --from (each validates them: an unknown step is exit 2). */
export const STEP_SELECTING: readonly Command[] = ['plan', 'verify', 'hard-reset', 'dr-test', 'drill'];

export type Command = keyof typeof COMMANDS;

/** The commands that run the DAG, and so have a live event stream (--events). */
const RUNS: readonly Command[] = ['hard-reset', 'dr-test', 'drill'];

export interface CliOptions {
  command?: Command;
  positionals: string[];
  config: string;
  provider?: ProviderName;
  only?: string[];
  from?: string;
  /** undefined: not resuming; '' : resume the latest run; otherwise a run id. */
  resume?: string;
  yes: boolean;
  keep: boolean;
  stateDir?: string;
  reportDir?: string;
  /** -o json|yaml: the result as one versioned envelope on stdout (--json: -o json). */
  output?: 'json' | 'yaml';
  /** -v: log each external command, retry and API error to stderr (the debug level). */
  verbose: boolean;
  /** --log-level: the level of those stderr logs (default: none, or debug with -v). */
  logLevel?: string;
  /** --events FILE: the run's live event stream as NDJSON to FILE ('-': stdout). */
  events?: string;
  help: boolean;
  version: boolean;
  concurrency: number;
  cert?: string;
  scope?: string;
  secret?: string;
  insecureFilePerms: boolean;
  /** The cluster to act on instead of the derived one (dr-test's throwaway name, or verify's target). */
  name?: string;
  /** status: keep printing the run's progress until it ends. */
  follow: boolean;
  /** schedule: a systemd OnCalendar expression (default: the config's drill.schedule, else monthly). */
  calendar?: string;
  /** schedule: install for the invoking user (systemd --user, or a user crontab) instead of system-wide. */
  user?: boolean;
  /** drill: hold this flock(1) lock for the whole drill; a drill that finds it held is refused, with evidence. */
  lockFile?: string;
  /** teardown: every throwaway cluster of this config. */
  allThrowaway: boolean;
}

const PROVIDERS: readonly ProviderName[] = ['k3d', 'kwok', 'existing'];
const LOG_LEVELS: readonly string[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** -o json|yaml, or --json (kept as the old spelling of -o json). */
function outputFlag(output: string | undefined, json: boolean | undefined): 'json' | 'yaml' | undefined {
  if (output !== undefined && output !== 'json' && output !== 'yaml') throw new InputError(`-o/--output must be json or yaml, not "${output}"`);
  if (json && output === 'yaml') throw new InputError('--json and -o yaml contradict each other; give one');
  return (output as 'json' | 'yaml' | undefined) ?? (json ? 'json' : undefined);
}

export function parseCli(argv: readonly string[]): CliOptions {
  // --resume takes an optional value, which parseArgs cannot express: split it out first.
  const rest: string[] = [];
  let resume: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--resume') {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('-') && !(next in COMMANDS)) {
        resume = next;
        i++;
      } else resume = '';
    } else if (arg.startsWith('--resume=')) resume = arg.slice('--resume='.length);
    else rest.push(arg);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        provider: { type: 'string' },
        only: { type: 'string' },
        from: { type: 'string' },
        yes: { type: 'boolean', short: 'y' },
        keep: { type: 'boolean' },
        'state-dir': { type: 'string' },
        'report-dir': { type: 'string' },
        json: { type: 'boolean' },
        output: { type: 'string', short: 'o' },
        verbose: { type: 'boolean', short: 'v' },
        'log-level': { type: 'string' },
        events: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
        concurrency: { type: 'string' },
        cert: { type: 'string' },
        scope: { type: 'string' },
        secret: { type: 'string' },
        name: { type: 'string' },
        follow: { type: 'boolean', short: 'f' },
        'insecure-file-perms': { type: 'boolean' },
        calendar: { type: 'string' },
        user: { type: 'boolean' },
        'lock-file': { type: 'string' },
        'all-throwaway': { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new InputError(`${(err as Error).message} (see homelab-dr --help)`);
  }
  const v = parsed.values;
  const [first, ...positionals] = parsed.positionals;
  if (first !== undefined && !(first in COMMANDS)) {
    throw new InputError(`unknown command "${first}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
  }
  if ((v.only !== undefined || v.from !== undefined) && first !== undefined && !STEP_SELECTING.includes(first as Command)) {
    throw new InputError(`${v.only !== undefined ? '--only' : '--from'} is not a flag of ${first}; it selects steps of ${STEP_SELECTING.join(', ')}`);
  }
  if (v.events !== undefined && first !== undefined && !RUNS.includes(first as Command)) {
    throw new InputError(`--events is not a flag of ${first}; it streams the run of ${RUNS.join(', ')}`);
  }
  if (v.provider !== undefined && !PROVIDERS.includes(v.provider as ProviderName)) {
    throw new InputError(`--provider must be one of ${PROVIDERS.join(', ')}, not "${v.provider}"`);
  }
  const concurrency = v.concurrency === undefined ? 4 : Number(v.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InputError(`--concurrency must be a whole number >= 1`);
  const output = outputFlag(v.output, v.json);
  if (v['log-level'] !== undefined && !LOG_LEVELS.includes(v['log-level'])) {
    throw new InputError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not "${v['log-level']}"`);
  }
  const list = (s: string | undefined) => s?.split(',').map((x) => x.trim()).filter(Boolean);
  return {
    command: first as Command | undefined,
    positionals,
    config: v.config ?? './homelab-dr.yaml',
    provider: v.provider as ProviderName | undefined,
    only: list(v.only),
    from: v.from,
    resume,
    yes: v.yes ?? false,
    keep: v.keep ?? false,
    stateDir: v['state-dir'],
    reportDir: v['report-dir'],
    ...(output ? { output } : {}),
    verbose: v.verbose ?? false,
    ...(v['log-level'] !== undefined ? { logLevel: v['log-level'] } : {}),
    ...(v.events !== undefined ? { events: v.events } : {}),
    help: v.help ?? false,
    version: v.version ?? false,
    concurrency,
    cert: v.cert,
    scope: v.scope,
    secret: v.secret,
    insecureFilePerms: v['insecure-file-perms'] ?? false,
    name: v.name,
    follow: v.follow ?? false,
    ...(v.calendar !== undefined ? { calendar: v.calendar } : {}),
    ...(v.user !== undefined ? { user: v.user } : {}),
    ...(v['lock-file'] !== undefined ? { lockFile: v['lock-file'] } : {}),
    allThrowaway: v['all-throwaway'] ?? false,
  };
}

const COMMON = `Common flags:
  --config, -c FILE      config file (default ./homelab-dr.yaml)
  --provider NAME        k3d | kwok | existing (overrides the config)
  --only STEP[,STEP]     plan, verify, hard-reset, dr-test, drill: only these steps (unselected needs must already verify, else exit 3)
  --from STEP            the same commands: this step and every later one (an unknown step is exit 2)
  --resume [RUN]         resume the latest run, or RUN: re-verify green steps, continue from the first that is not
  --yes, -y              no confirmation prompt (never overrides a guard)
  --keep                 dr-test: keep the throwaway cluster
  --name NAME            dr-test: the throwaway cluster's name; verify: the cluster to check
  --follow, -f           status: follow a run (e.g. a detached hard-reset) until it ends
  --state-dir DIR        journal and logs (default $XDG_STATE_HOME/homelab-dr)
  --report-dir DIR       drill reports
  --concurrency N        steps that may run at the same time (default 4)
  --insecure-file-perms  accept secret files (file store, age identity, sops key) readable by group or others
  -o, --output json|yaml plan, lint, verify, status, diagnose, runs: the result as one versioned envelope on stdout
                         (apiVersion homelab-dr.io/v1alpha1; a config error too, kind Error); --json is -o json
  --events FILE          hard-reset, dr-test, drill: the live event stream as NDJSON to FILE ("-": stdout)
  -v, --verbose          log every external command (secrets scrubbed), retry and API error to stderr
  --log-level LEVEL      the level of that log: trace, debug (-v), info, warn, error, silent
  --help, -h             this help; "homelab-dr COMMAND --help" for one command

Exit codes: 0 green, 1 a step failed, 2 bad input or config, 3 refused (guard, confirmation, lock held by a live run, unmet need), 70 internal error (a bug: please report it), 130 interrupted.`;

export function helpText(command?: Command): string {
  if (command) {
    const extra =
      command === 'seal'
        ? '\n  --cert FILE|URL        sealing certificate\n  --scope SCOPE          strict | namespace-wide | cluster-wide\n  --secret NS/NAME       seal a configured secret from its store instead of stdin\n'
        : command === 'schedule'
          ? '\n  homelab-dr schedule print|install [flags]\n  --calendar EXPR        systemd OnCalendar (default: drill.schedule in the config, else monthly)\n  --user                 a user timer (systemd --user or crontab) instead of a system-wide one\n'
          : command === 'drill'
            ? '\n  --lock-file FILE       hold this flock(1) lock for the whole drill (the schedule passes it); held by another drill: refused, with red evidence\n'
          : command === 'teardown'
            ? '\n  homelab-dr teardown NAME | --all-throwaway\n  --all-throwaway        every throwaway cluster of this config (<name>-dt-<stamp>-<id>); never the production one\n  A cluster that a live run holds is left to that run. Exit 3 for the production name or another config\'s cluster.\n'
            : command === 'diagnose'
            ? '\n  homelab-dr diagnose [NAMESPACE]   read-only; exit 1 when it names a problem\n'
            : '';
    return `homelab-dr ${command}: ${COMMANDS[command]}\n\nUsage: homelab-dr ${command} [flags]\n${extra}\n${COMMON}\n`;
  }
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([c, d]) => `  ${c.padEnd(width)}  ${d}`);
  return `homelab-dr: disaster recovery for k3d/k3s homelab clusters, as an ordered DAG of verified steps.

Usage: homelab-dr COMMAND [flags]

Commands:
${lines.join('\n')}

${COMMON}
`;
}
