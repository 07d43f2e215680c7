// Entry point: parse flags, dispatch to a command (loaded lazily so --help stays fast), and map
// errors to the documented exit codes.
import { COMMANDS, helpText, parseCli, type Command } from './args.js';
import { VERSION } from '../version.js';
import { InputError } from '../util/errors.js';
import { exitCodeForError, stdoutDocument } from './exit.js';

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
  let opts: ReturnType<typeof parseCli> | undefined;
  stdoutDocument.written = false;
  try {
    opts = parseCli(argv);
    if (opts.verbose || opts.logLevel) {
      const { configureDiagnostics, diagnosticLevel } = await import('../util/diag-log.js');
      await configureDiagnostics(diagnosticLevel(opts));
    }
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
    return exitCodeForError(err, opts ?? outputOfUnparsed(argv));
  }
}

/** Flags that failed to parse still say how the error should be written: -o json|yaml and -v. */
function outputOfUnparsed(argv: readonly string[]): { output?: 'json' | 'yaml'; verbose: boolean } {
  const at = argv.findIndex((a) => a === '-o' || a === '--output');
  const given = at >= 0 ? argv[at + 1] : argv.find((a) => a.startsWith('--output='))?.slice('--output='.length);
  const output = given === 'json' || given === 'yaml' ? given : argv.includes('--json') ? 'json' : undefined;
  return { ...(output ? { output } : {}), verbose: argv.includes('-v') || argv.includes('--verbose') };
}
