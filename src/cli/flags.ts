// The flag tables: every flag once (name, type, help), every command with the flags it takes and
// examples. The parser, the help and the shell completions are all generated from these tables, so a
// command never accepts or offers a flag it does not use.

export interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in the help, for string flags. */
  arg?: string;
  help: string;
  /** The values a completion offers for this flag. */
  values?: readonly string[];
}

export const FLAGS = {
  // Global: every command takes these.
  config: { type: 'string', short: 'c', arg: 'FILE', help: 'config file (default $HOMELAB_DR_CONFIG, else ./homelab.yaml)' },
  output: { type: 'string', short: 'o', arg: 'FORMAT', help: 'machine-readable output: json | yaml', values: ['json', 'yaml'] },
  verbose: { type: 'boolean', short: 'v', help: 'more detail, and the stack of an internal error' },
  'log-level': { type: 'string', arg: 'LEVEL', help: 'level of the stderr log (commands, retries, API errors): trace | debug (-v) | info | warn | error | fatal | silent', values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] },
  events: { type: 'string', arg: 'FILE', help: 'the run\'s live event stream as NDJSON to FILE ("-": stdout)' },
  json: { type: 'boolean', help: 'deprecated: the same as -o json' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
  version: { type: 'boolean', help: 'print the version (see the version command for more)' },
  // Per command.
  provider: { type: 'string', arg: 'NAME', help: 'k3d | kwok | existing (overrides the config)', values: ['k3d', 'kwok', 'existing'] },
  only: { type: 'string', arg: 'STEP[,STEP]', help: 'only these steps (an unselected need must already verify, else exit 3)' },
  from: { type: 'string', arg: 'STEP', help: 'this step and every later one (an unknown step is exit 2)' },
  resume: { type: 'string', arg: '[RUN]', help: 'resume the latest run, or RUN: re-verify green steps, continue from the first that is not' },
  yes: { type: 'boolean', short: 'y', help: 'no confirmation prompt (never overrides a guard)' },
  keep: { type: 'boolean', help: 'keep the throwaway cluster afterwards' },
  name: { type: 'string', arg: 'NAME', help: 'the cluster to act on instead of the derived one' },
  follow: { type: 'boolean', short: 'f', help: 'follow a run (e.g. a detached hard-reset) until it ends; exit with its exit code' },
  'state-dir': { type: 'string', arg: 'DIR', help: 'journal, logs and provider files (default $XDG_STATE_HOME/homelab-dr)' },
  'report-dir': { type: 'string', arg: 'DIR', help: 'where drill reports go' },
  concurrency: { type: 'string', arg: 'N', help: 'steps that may run at the same time (default 4)' },
  'insecure-file-perms': { type: 'boolean', help: 'accept secret files (file store, age identity, sops key) readable by group or others' },
  cert: { type: 'string', arg: 'FILE|URL', help: 'sealing certificate (default: fetched through the kubeconfig, as kubeseal does)' },
  scope: { type: 'string', arg: 'SCOPE', help: 'strict | namespace-wide | cluster-wide', values: ['strict', 'namespace-wide', 'cluster-wide'] },
  secret: { type: 'string', arg: 'NS/NAME', help: 'seal a configured secret from its store instead of stdin' },
  calendar: { type: 'string', arg: 'EXPR', help: 'systemd OnCalendar (default: drill.schedule in the config, else monthly)' },
  user: { type: 'boolean', help: 'a user timer (systemd --user or crontab) instead of a system-wide one' },
  'lock-file': { type: 'string', arg: 'FILE', help: 'hold this flock(1) lock for the whole drill; held by another drill: refused, with evidence' },
  'all-throwaway': { type: 'boolean', help: 'every throwaway cluster of this config (<name>-dt-<stamp>-<id>); never the production one' },
  kubeconfig: { type: 'string', arg: 'FILE', help: 'read the cluster through this kubeconfig (provider existing; default $KUBECONFIG, else ~/.kube/config)' },
  context: { type: 'string', arg: 'NAME', help: 'the kubeconfig context to use (provider existing; default its current-context)' },
  namespace: { type: 'string', short: 'n', arg: 'NS', help: 'only this namespace' },
  'controller-namespace': { type: 'string', arg: 'NS', help: 'namespace of the sealed-secrets controller (default: the config\'s, else kube-system)' },
  'controller-name': { type: 'string', arg: 'NAME', help: 'name of the sealed-secrets controller (default: the config\'s, else sealed-secrets-controller)' },
  format: { type: 'string', arg: 'FORMAT', help: 'output format of the SealedSecret: yaml | json (default yaml)', values: ['yaml', 'json'] },
  raw: { type: 'boolean', help: 'encrypt one value read from stdin for --name/--namespace/--scope and print only the ciphertext' },
} as const satisfies Record<string, Flag>;

export type FlagName = keyof typeof FLAGS;

export const GLOBAL_FLAGS: readonly FlagName[] = ['config', 'output', 'verbose', 'log-level', 'json', 'help', 'version'];

export interface CommandSpec {
  summary: string;
  /** What follows the command name in the usage line. */
  usage: string;
  flags: readonly FlagName[];
  /** Help text for a flag that means something more specific here. */
  flagHelp?: Partial<Record<FlagName, string>>;
  /** The values a completion offers for the first positional. */
  positionals?: readonly string[];
  examples: readonly string[];
  notes?: string;
}

const RUN_FLAGS: readonly FlagName[] = ['provider', 'only', 'from', 'resume', 'yes', 'state-dir', 'concurrency', 'insecure-file-perms', 'events'];
const CLUSTER_READ: readonly FlagName[] = ['kubeconfig', 'context'];

export const COMMAND_SPECS = {
  plan: {
    summary: 'print the steps in order, what each would do, and the litmus table (read-only)',
    usage: '[flags]',
    flags: ['provider', 'only', 'from', 'state-dir', 'insecure-file-perms'],
    examples: ['homelab-dr plan', 'homelab-dr plan --only apps -o json', 'homelab-dr plan --provider kwok --from namespaces'],
  },
  'hard-reset': {
    summary: 'destroy and rebuild the production cluster (blast-radius screen, typed confirmation)',
    usage: '[flags]',
    flags: [...RUN_FLAGS, ...CLUSTER_READ],
    examples: ['homelab-dr hard-reset', 'homelab-dr hard-reset --resume', 'homelab-dr hard-reset --provider existing --context prod --from namespaces'],
  },
  'dr-test': {
    summary: 'run the whole DAG against a throwaway cluster, then tear it down',
    usage: '[flags]',
    flags: [...RUN_FLAGS, 'keep', 'name'],
    flagHelp: { name: "the throwaway cluster's name" },
    examples: ['homelab-dr dr-test --provider kwok --yes', 'homelab-dr dr-test --keep --name rehearsal', 'homelab-dr dr-test --resume --yes'],
  },
  drill: {
    summary: 'the scheduled, unattended dr-test, with a report',
    usage: '[flags]',
    flags: [...RUN_FLAGS, 'keep', 'name', 'report-dir', 'lock-file'],
    flagHelp: { name: "the throwaway cluster's name" },
    examples: ['homelab-dr drill --yes --report-dir /var/lib/homelab-dr/reports', 'homelab-dr drill --provider kwok --yes'],
  },
  schedule: {
    summary: 'install the monthly drill schedule',
    usage: 'print|install [flags]',
    flags: ['provider', 'state-dir', 'report-dir', 'calendar', 'user'],
    positionals: ['print', 'install'],
    examples: ['homelab-dr schedule print', 'homelab-dr schedule install --user --calendar weekly'],
  },
  verify: {
    summary: "run every step's verify against the live cluster (read-only)",
    usage: '[flags]',
    flags: ['provider', 'only', 'from', 'name', 'state-dir', 'insecure-file-perms', ...CLUSTER_READ],
    flagHelp: { name: 'the cluster to check (e.g. a kept throwaway)' },
    examples: ['homelab-dr verify', 'homelab-dr verify --only storage,apps -o json', 'homelab-dr verify --kubeconfig ~/.kube/config --context homelab'],
  },
  diagnose: {
    summary: 'walk the diagnosis ladder for pods that are not running',
    usage: '[-n NAMESPACE] [flags]',
    flags: ['namespace', 'provider', 'name', 'state-dir', ...CLUSTER_READ],
    flagHelp: { name: 'the cluster to diagnose', namespace: 'only this namespace (default: all)' },
    examples: ['homelab-dr diagnose', 'homelab-dr diagnose -n networking', 'homelab-dr diagnose --context homelab -o json'],
    notes: 'Read-only; exit 1 when it names a problem.',
  },
  lint: {
    summary: 'validate the config and every manifest offline (exit 1 on a problem)',
    usage: '[flags]',
    flags: ['provider'],
    examples: ['homelab-dr lint', 'homelab-dr lint -c config/example/homelab.yaml -o json'],
  },
  seal: {
    summary: 'seal a Secret from stdin or a configured secret (kubeseal-compatible)',
    usage: '[flags] < secret.yaml',
    flags: ['cert', 'scope', 'secret', 'format', 'raw', 'name', 'namespace', 'controller-namespace', 'controller-name', ...CLUSTER_READ, 'provider', 'state-dir', 'insecure-file-perms'],
    flagHelp: { name: 'with --raw: the Secret the value belongs to', namespace: 'with --raw: the namespace of that Secret' },
    examples: [
      'homelab-dr seal < secret.yaml > sealed.yaml',
      'homelab-dr seal --secret networking/cloudflared --format json',
      'printf %s "$TOKEN" | homelab-dr seal --raw --name cloudflared -n networking --cert cert.pem',
    ],
    notes: 'Without --cert the certificate is fetched like kubeseal: through the apiserver\'s service proxy to the controller\'s /v1/cert.pem\n(the kwok rehearsal\'s local controller: its own address), falling back to the active sealing key\'s certificate.',
  },
  status: {
    summary: 'show the last run (or RUN) from the journal',
    usage: '[RUN] [flags]',
    flags: ['resume', 'follow', 'state-dir'],
    flagHelp: { resume: 'the run to show (the same as RUN)' },
    examples: ['homelab-dr status', 'homelab-dr status --follow 20260101-0200-ab12', 'homelab-dr status -o json'],
  },
  teardown: {
    summary: 'remove throwaway clusters left behind: NAME, or --all-throwaway (never the production cluster)',
    usage: 'NAME | --all-throwaway [flags]',
    flags: ['all-throwaway', 'provider', 'state-dir', 'yes'],
    flagHelp: { yes: 'accepted for scripts: teardown never asks, and never removes the production cluster' },
    examples: ['homelab-dr teardown homelab-dt-20260101-ab12', 'homelab-dr teardown --all-throwaway'],
    notes: "A cluster that a live run holds is left to that run. Exit 3 for the production name or another config's cluster.",
  },
  version: {
    summary: 'the version, the pinned rehearsal components, and whether the rehearsal cache is built',
    usage: '[flags]',
    flags: [],
    examples: ['homelab-dr version', 'homelab-dr version -o json'],
  },
  completion: {
    summary: 'print a shell completion script: bash | zsh | fish',
    usage: 'bash|zsh|fish',
    flags: [],
    positionals: ['bash', 'zsh', 'fish'],
    examples: ['source <(homelab-dr completion bash)', 'homelab-dr completion fish > ~/.config/fish/completions/homelab-dr.fish'],
  },
} as const satisfies Record<string, CommandSpec>;

export type Command = keyof typeof COMMAND_SPECS;

export function isCommand(word: string): word is Command {
  return Object.prototype.hasOwnProperty.call(COMMAND_SPECS, word);
}

/** The flags a command takes: its own and the global ones. */
export function flagsOf(command: Command): FlagName[] {
  return [...(COMMAND_SPECS[command].flags as readonly FlagName[]), ...GLOBAL_FLAGS];
}

/** The commands that take a flag (for "--keep is a flag of dr-test, drill"). */
export function commandsTaking(flag: FlagName): Command[] {
  return (Object.keys(COMMAND_SPECS) as Command[]).filter((c) => (COMMAND_SPECS[c].flags as readonly FlagName[]).includes(flag));
}

export function flagHelp(command: Command | undefined, flag: FlagName): string {
  const own = command ? (COMMAND_SPECS[command] as CommandSpec).flagHelp?.[flag] : undefined;
  return own ?? FLAGS[flag].help;
}
