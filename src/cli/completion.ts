// Shell completion scripts, generated from the flag tables, so a completion never offers a flag the
// command would refuse. zsh reuses the bash function through bashcompinit (one implementation).
import { COMMAND_SPECS, FLAGS, GLOBAL_FLAGS, flagHelp, flagsOf, type Command, type CommandSpec, type FlagName } from './flags.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const COMMAND_NAMES = Object.keys(COMMAND_SPECS) as Command[];

function spelled(name: FlagName): string[] {
  const f = FLAGS[name];
  return 'short' in f ? [`--${name}`, `-${f.short}`] : [`--${name}`];
}

/** What a string flag's value completes to: its fixed values, files, directories, or nothing. */
function valueKind(name: FlagName): { words: readonly string[] } | 'file' | 'dir' | 'none' {
  const f = FLAGS[name];
  if ('values' in f) return { words: f.values };
  if (!('arg' in f)) return 'none';
  if (f.arg === 'DIR') return 'dir';
  return f.arg.startsWith('FILE') ? 'file' : 'none';
}

const quote = (words: readonly string[]) => words.join(' ');

function bashValueCases(): string {
  const stringFlags = (Object.keys(FLAGS) as FlagName[]).filter((f) => FLAGS[f].type === 'string');
  return stringFlags
    .map((f) => {
      const kind = valueKind(f);
      const reply = kind === 'file' ? 'compgen -f -- "$cur"' : kind === 'dir' ? 'compgen -d -- "$cur"' : kind === 'none' ? 'true' : `compgen -W "${quote(kind.words)}" -- "$cur"`;
      return `    ${spelled(f).join('|')}) COMPREPLY=($(${reply})); return ;;`;
    })
    .join('\n');
}

function bashCommandCases(): string {
  return COMMAND_NAMES.map((c) => {
    const spec: CommandSpec = COMMAND_SPECS[c];
    return `    ${c}) flags="${quote(flagsOf(c).flatMap((f) => `--${f}`))}"; words="${quote(spec.positionals ?? [])}" ;;`;
  }).join('\n');
}

export function bashCompletion(): string {
  return `# homelab-dr bash completion: source <(homelab-dr completion bash)
_homelab_dr() {
  local cur prev cmd i flags words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
${bashValueCases()}
  esac
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      ${COMMAND_NAMES.join('|')}) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$cmd" in
    "") flags="${quote(GLOBAL_FLAGS.map((f) => `--${f}`))}"; words="${quote(COMMAND_NAMES)}" ;;
${bashCommandCases()}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  fi
}
complete -F _homelab_dr homelab-dr
`;
}

export function zshCompletion(): string {
  return `#compdef homelab-dr
# homelab-dr zsh completion: source <(homelab-dr completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashCompletion().split('\n').slice(1).join('\n')}`;
}

function fishFlag(condition: string, command: Command | undefined, name: FlagName): string {
  const f = FLAGS[name];
  const kind = valueKind(name);
  const value = f.type === 'boolean' ? '' : kind === 'file' ? ' -r -F' : kind === 'dir' ? " -r -a '(__fish_complete_directories)'" : kind === 'none' ? ' -r -f' : ` -r -f -a '${quote(kind.words)}'`;
  const short = 'short' in f ? ` -s ${f.short}` : '';
  return `complete -c homelab-dr -n '${condition}' -l ${name}${short}${value} -d ${JSON.stringify(flagHelp(command, name))}`;
}

export function fishCompletion(): string {
  const lines = ['# homelab-dr fish completion: homelab-dr completion fish | source', 'complete -c homelab-dr -f'];
  for (const c of COMMAND_NAMES) lines.push(`complete -c homelab-dr -n '__fish_use_subcommand' -a ${c} -d ${JSON.stringify(COMMAND_SPECS[c].summary)}`);
  for (const f of GLOBAL_FLAGS) lines.push(fishFlag('true', undefined, f));
  for (const c of COMMAND_NAMES) {
    const spec: CommandSpec = COMMAND_SPECS[c];
    const condition = `__fish_seen_subcommand_from ${c}`;
    for (const f of spec.flags) lines.push(fishFlag(condition, c, f));
    if (spec.positionals) lines.push(`complete -c homelab-dr -n '${condition}' -a '${quote(spec.positionals)}'`);
  }
  return `${lines.join('\n')}\n`;
}

export function completionScript(shell: Shell): string {
  return shell === 'bash' ? bashCompletion() : shell === 'zsh' ? zshCompletion() : fishCompletion();
}
