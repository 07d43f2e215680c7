// The diagnostic log of -v / --log-level: JSON lines (pino) on stderr of each external command run
// (argv with secret values redacted), each retry and each API error. Silent unless asked for, so a
// plain run prints only its human output. Every line passes through scrub() like the run's log.
import { pino, type Logger } from 'pino';
import { REDACT_PATHS } from './log.js';
import { scrub } from './secrets-registry.js';

let diagnostics: Logger = pino({ level: 'silent' });

/** The level -v and --log-level ask for: the explicit level wins; -v alone is debug; neither is silent. */
export function diagnosticLevel(opts: { verbose?: boolean; logLevel?: string }): string {
  return opts.logLevel ?? (opts.verbose ? 'debug' : 'silent');
}

/** Points the diagnostic log at `dest` (default stderr) at `level`. */
export function configureDiagnostics(level: string, dest: number | NodeJS.WritableStream = 2): void {
  const stream = typeof dest === 'number' ? pino.destination({ dest, sync: true }) : dest;
  diagnostics = pino({ level, redact: { paths: REDACT_PATHS, censor: '[REDACTED]' }, hooks: { streamWrite: scrub } }, stream);
}

export function diag(): Logger {
  return diagnostics;
}
