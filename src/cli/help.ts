// The help, generated from the flag tables: the overview lists the commands and the global flags;
// a command's help lists only the flags that command takes, and its examples.
import { COMMAND_SPECS, FLAGS, GLOBAL_FLAGS, flagHelp, type Command, type CommandSpec, type FlagName } from './flags.js';

const EXIT_CODES = 'Exit codes: 0 green, 1 a step failed, 2 bad input or config, 3 refused (guard, confirmation, lock held by a live run, unmet need), 70 internal error (a bug: please report it), 130 interrupted.';

function flagLine(command: Command | undefined, name: FlagName): string {
  const f = FLAGS[name];
  const left = `${'short' in f ? `-${f.short}, ` : '    '}--${name}${'arg' in f ? ` ${f.arg}` : ''}`;
  return `  ${left.padEnd(32)} ${flagHelp(command, name)}`;
}

function globalSection(): string {
  return `Global flags:\n${GLOBAL_FLAGS.map((f) => flagLine(undefined, f)).join('\n')}`;
}

function commandHelp(command: Command): string {
  const spec: CommandSpec = COMMAND_SPECS[command];
  const flags = spec.flags.length > 0 ? `Flags:\n${spec.flags.map((f) => flagLine(command, f)).join('\n')}\n\n` : '';
  const notes = spec.notes ? `${spec.notes}\n\n` : '';
  const examples = `Examples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}`;
  return `homelab-dr ${command}: ${spec.summary}\n\nUsage: homelab-dr ${command} ${spec.usage}\n\n${notes}${flags}${examples}\n\n${globalSection()}\n\n${EXIT_CODES}\n`;
}

export function helpText(command?: Command): string {
  if (command) return commandHelp(command);
  const names = Object.keys(COMMAND_SPECS) as Command[];
  const width = Math.max(...names.map((c) => c.length));
  const lines = names.map((c) => `  ${c.padEnd(width)}  ${COMMAND_SPECS[c].summary}`);
  return `homelab-dr: disaster recovery for k3d/k3s homelab clusters, as an ordered DAG of verified steps.

Usage: homelab-dr COMMAND [flags]      "homelab-dr COMMAND --help" lists the flags of one command

Commands:
${lines.join('\n')}

${globalSection()}

The config is --config FILE, else $HOMELAB_DR_CONFIG, else ./homelab.yaml.

Examples:
  homelab-dr plan
  homelab-dr dr-test --provider kwok --yes
  homelab-dr verify --only apps

${EXIT_CODES}
`;
}
