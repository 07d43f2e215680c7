// Command-line parsing from the flag tables (flags.ts), with node:util parseArgs (no dependency, fast
// cold start). Each command takes only its own flags and the global ones; a flag it does not take, an
// unknown flag or an unknown command is exit 2 with a did-you-mean, never Node's raw parser message.
import { parseArgs } from 'node:util';
import type { ProviderName } from '../config/types.js';
import { closestMatch } from '../config/suggest.js';
import { InputError } from '../util/errors.js';
import { COMMAND_SPECS, FLAGS, GLOBAL_FLAGS, commandsTaking, flagsOf, isCommand, type Command, type FlagName } from './flags.js';

export { helpText } from './help.js';
export type { Command } from './flags.js';

/** Each command's one-line summary, in the order the help lists them. */
export const COMMANDS = Object.fromEntries(Object.entries(COMMAND_SPECS).map(([c, s]) => [c, s.summary])) as Record<Command, string>;

/** The commands that take --only and --from (each validates them: an unknown step is exit 2). */
export const STEP_SELECTING: readonly Command[] = commandsTaking('only');

/** The config file when neither --config nor HOMELAB_DR_CONFIG names one: the bundled example's name. */
export const DEFAULT_CONFIG = './homelab.yaml';

export interface CliOptions {
  command?: Command;
  positionals: string[];
  config: string;
  /** Where `config` came from: a missing default file is explained by naming both ways to give one. */
  configFrom: '--config' | 'HOMELAB_DR_CONFIG' | 'default';
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
  /** The cluster to act on instead of the derived one (dr-test's throwaway name, or verify's target); seal --raw: the Secret's name. */
  name?: string;
  /** diagnose: only this namespace; seal --raw: the Secret's namespace. */
  namespace?: string;
  /** The kubeconfig and context through which a live cluster is read (provider existing). */
  kubeconfig?: string;
  context?: string;
  /** seal: where the controller runs, to fetch its certificate. */
  controllerNamespace?: string;
  controllerName?: string;
  /** seal: the SealedSecret's format. */
  format?: 'yaml' | 'json';
  /** seal: encrypt one value and print only the ciphertext. */
  raw: boolean;
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


/** --resume takes an optional value, which parseArgs cannot express: split it out first. */
function splitResume(argv: readonly string[]): { rest: string[]; resume?: string; given: boolean } {
  const rest: string[] = [];
  let resume: string | undefined;
  let given = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--resume') {
      given = true;
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('-') && !isCommand(next)) {
        resume = next;
        i++;
      } else resume = '';
    } else if (arg.startsWith('--resume=')) {
      given = true;
      resume = arg.slice('--resume='.length);
    } else rest.push(arg);
  }
  return { rest, given, ...(resume !== undefined ? { resume } : {}) };
}

const ALL_OPTIONS = Object.fromEntries(
  (Object.entries(FLAGS) as Array<[FlagName, (typeof FLAGS)[FlagName]]>)
    .filter(([name]) => name !== 'resume')
    .map(([name, f]) => [name, { type: f.type, ...('short' in f ? { short: f.short } : {}) }]),
);

function shownName(name: FlagName): string {
  const f = FLAGS[name];
  return 'short' in f ? `--${name} (-${f.short})` : `--${name}`;
}

function unknownCommand(word: string): InputError {
  const match = closestMatch(word, Object.keys(COMMAND_SPECS));
  return new InputError(`unknown command "${word}"${match ? `; did you mean "${match}"?` : ''}`, [`commands: ${Object.keys(COMMAND_SPECS).join(', ')}`, 'see homelab-dr --help']);
}

/** A flag this command does not take: unknown (did-you-mean among its own), or another command's. */
function foreignFlag(raw: string, name: string, command: Command | undefined): InputError {
  const where = command ? `homelab-dr ${command} --help` : 'homelab-dr --help';
  const own = command ? flagsOf(command) : [...GLOBAL_FLAGS];
  if (name in FLAGS && command) {
    const takers = commandsTaking(name as FlagName);
    return new InputError(`${raw} is not a flag of ${command}; it is a flag of ${takers.join(', ')}`, [`see ${where}`]);
  }
  const match = raw.startsWith('--') ? closestMatch(name, own) : undefined;
  return new InputError(`unknown flag ${raw}${command ? ` for ${command}` : ''}${match ? `; did you mean --${match}?` : ''}`, [`see ${where}`]);
}

interface Token {
  kind: string;
  name?: string;
  rawName?: string;
  value?: string;
  inlineValue?: boolean;
  index: number;
}

/** Every option token checked against the command's table, and its value against its type. */
function checkTokens(tokens: readonly Token[], command: Command | undefined): void {
  const allowed = new Set<string>(command ? flagsOf(command) : GLOBAL_FLAGS);
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const raw = t.rawName!;
    const name = t.name!;
    if (!allowed.has(name)) throw foreignFlag(raw, name, command);
    const flag = FLAGS[name as FlagName];
    if (flag.type === 'boolean' && t.value !== undefined) throw new InputError(`${raw} takes no value (given "${t.value}")`);
    if (flag.type === 'string' && (t.value === undefined || (!t.inlineValue && t.value.startsWith('-') && t.value !== '-'))) {
      throw new InputError(`${raw} needs a value: ${shownName(name as FlagName)} ${'arg' in flag ? flag.arg : 'VALUE'}`, [`see ${command ? `homelab-dr ${command} --help` : 'homelab-dr --help'}`]);
    }
  }
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) {
    const match = closestMatch(value, allowed);
    throw new InputError(`${flag} must be one of ${allowed.join(', ')}, not "${value}"${match ? `; did you mean "${match}"?` : ''}`);
  }
  return value as T;
}

type Values = Record<string, string | boolean | undefined>;

function commandOf(positionals: string[]): Command | undefined {
  const first = positionals[0];
  if (first === undefined) return undefined;
  if (!isCommand(first)) throw unknownCommand(first);
  return first;
}

/** --kubeconfig and --context reach a cluster the way kubectl does: that is provider existing. */
function providerOf(v: Values): ProviderName | undefined {
  const provider = oneOf('--provider', v.provider as string | undefined, PROVIDERS);
  const through = v.kubeconfig !== undefined ? '--kubeconfig' : v.context !== undefined ? '--context' : undefined;
  if (!through) return provider;
  if (provider !== undefined && provider !== 'existing') {
    throw new InputError(`${through} reads the cluster through a kubeconfig, which is provider existing; it cannot be combined with --provider ${provider}`);
  }
  return 'existing';
}

function configOf(v: Values, env: NodeJS.ProcessEnv): Pick<CliOptions, 'config' | 'configFrom'> {
  if (typeof v.config === 'string') return { config: v.config, configFrom: '--config' };
  if (env.HOMELAB_DR_CONFIG) return { config: env.HOMELAB_DR_CONFIG, configFrom: 'HOMELAB_DR_CONFIG' };
  return { config: DEFAULT_CONFIG, configFrom: 'default' };
}

function outputOf(v: Values): 'json' | 'yaml' | undefined {
  const output = oneOf('--output', v.output as string | undefined, ['json', 'yaml'] as const);
  if (v.json && output === 'yaml') throw new InputError('--json and -o yaml contradict each other; give one (--json is the same as -o json)');
  return output ?? (v.json ? 'json' : undefined);
}

export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const { rest, resume, given } = splitResume(argv);
  // First pass, lenient: find the command and every option token, so each is judged against that
  // command's own table (parseArgs' strict mode would only say "Unknown option").
  const { positionals, tokens } = parseArgs({ args: rest, allowPositionals: true, strict: false, tokens: true, options: ALL_OPTIONS });
  const command = commandOf(positionals);
  checkTokens(tokens as Token[], command);
  if (given && !(command ? flagsOf(command) : GLOBAL_FLAGS).includes('resume')) throw foreignFlag('--resume', 'resume', command);
  const v = parseArgs({ args: rest, allowPositionals: true, strict: false, options: ALL_OPTIONS }).values as Values;
  const concurrency = v.concurrency === undefined ? 4 : Number(v.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InputError(`--concurrency must be a whole number >= 1`);
  const list = (s: unknown) => (typeof s === 'string' ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);
  const str = (k: FlagName) => v[k] as string | undefined;
  const output = outputOf(v);
  const format = oneOf('--format', str('format'), ['yaml', 'json'] as const);
  return {
    ...(command !== undefined ? { command } : {}),
    positionals: positionals.slice(1),
    ...configOf(v, env),
    provider: providerOf(v),
    only: list(v.only),
    from: str('from'),
    resume,
    yes: v.yes === true,
    keep: v.keep === true,
    stateDir: str('state-dir'),
    reportDir: str('report-dir'),
    ...(output !== undefined ? { output } : {}),
    verbose: v.verbose === true,
    ...(v['log-level'] !== undefined ? { logLevel: oneOf('--log-level', str('log-level'), LOG_LEVELS) } : {}),
    ...(v.events !== undefined ? { events: str('events') } : {}),
    help: v.help === true,
    version: v.version === true,
    concurrency,
    cert: str('cert'),
    scope: str('scope'),
    secret: str('secret'),
    insecureFilePerms: v['insecure-file-perms'] === true,
    name: str('name'),
    ...(v.namespace !== undefined ? { namespace: str('namespace') } : {}),
    ...(v.kubeconfig !== undefined ? { kubeconfig: str('kubeconfig') } : {}),
    ...(v.context !== undefined ? { context: str('context') } : {}),
    ...(v['controller-namespace'] !== undefined ? { controllerNamespace: str('controller-namespace') } : {}),
    ...(v['controller-name'] !== undefined ? { controllerName: str('controller-name') } : {}),
    ...(format !== undefined ? { format } : {}),
    raw: v.raw === true,
    follow: v.follow === true,
    ...(v.calendar !== undefined ? { calendar: str('calendar') } : {}),
    ...(v.user !== undefined ? { user: v.user === true } : {}),
    ...(v['lock-file'] !== undefined ? { lockFile: str('lock-file') } : {}),
    allThrowaway: v['all-throwaway'] === true,
  };
}
