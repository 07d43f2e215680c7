// Entry point: parse flags, dispatch to a command (loaded lazily so --help stays fast), and map
// errors to the documented exit codes.
import { COMMANDS, helpText, parseCli, type Command } from './args.js';
import { VERSION } from '../version.js';
import { InputError } from '../util/errors.js';

function report(err: unknown): number {
  const e = err as { exitCode?: number; message?: string; details?: string[] };
  if (e && (e.exitCode === 2 || e.exitCode === 3 || e.exitCode === 130)) {
    const prefix = e.exitCode === 3 ? 'refused: ' : e.exitCode === 130 ? 'interrupted: ' : '';
    process.stderr.write(`homelab-dr: ${prefix}${e.message}\n`);
    for (const d of e.details ?? []) process.stderr.write(`  ${d}\n`);
    return e.exitCode;
  }
  throw err;
}

async function dispatch(command: Command, opts: ReturnType<typeof parseCli>): Promise<number> {
  switch (command) {
    case 'plan':
      return (await import('./commands/plan.js')).planCommand(opts);
    case 'hard-reset':
    case 'dr-test':
      return (await import('./commands/run.js')).runCommand(command, opts);
    case 'drill': {
      // Every drill leaves evidence, also one refused before its journal starts.
      const { runCommand } = await import('./commands/run.js');
      return (await import('./commands/drill-evidence.js')).drillWithEvidence(opts, (hooks) => runCommand('drill', opts, hooks));
    }
    case 'lint':
      return (await import('./commands/lint.js')).lintCommand(opts);
    case 'status':
      return (await import('./commands/status.js')).statusCommand(opts);
    case 'seal':
      return (await import('./commands/seal.js')).sealCommand(opts);
    case 'verify':
      return (await import('./commands/verify.js')).verifyCommand(opts);
    case 'diagnose':
      return (await import('./commands/diagnose.js')).diagnoseCommand(opts);
    case 'schedule':
      return (await import('./commands/schedule.js')).scheduleCommand(opts);
    case 'teardown':
      return (await import('./commands/teardown.js')).teardownCommand(opts);
    case 'version':
      return (await import('./commands/version.js')).versionCommand(opts);
    case 'completion':
      return (await import('./commands/completion.js')).completionCommand(opts);
  }
}

export async function main(argv: string[]): Promise<number> {
  // No arguments at all: the operator is asking what this tool does.
  if (argv.length === 0) {
    process.stdout.write(helpText());
    return 0;
  }
  try {
    const opts = parseCli(argv);
    if (opts.version) {
      process.stdout.write(`homelab-dr ${VERSION}\n`);
      return 0;
    }
    if (opts.help) {
      process.stdout.write(helpText(opts.command));
      return 0;
    }
    if (!opts.command) {
      throw new InputError('no command given: flags alone do nothing', [`commands: ${Object.keys(COMMANDS).join(', ')}`, 'see homelab-dr --help']);
    }
    return await dispatch(opts.command, opts);
  } catch (err) {
    return report(err);
  }
}
