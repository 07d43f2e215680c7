// The diagnostic log of -v / --log-level: JSON lines (pino) on stderr of each external command run
// (argv with secret values redacted), each retry and each API error. Silent unless asked for, so a
// plain run prints only its human output. Every line passes through scrub() like the run's log.
// pino is loaded only when asked for: exec.ts imports this module, and must stay light to load.

export interface DiagnosticLog {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

const SILENT: DiagnosticLog = { debug: () => {}, info: () => {}, warn: () => {} };
let diagnostics: DiagnosticLog = SILENT;

/** The level -v and --log-level ask for: the explicit level wins; -v alone is debug; neither is silent. */
export function diagnosticLevel(opts: { verbose?: boolean; logLevel?: string }): string {
  return opts.logLevel ?? (opts.verbose ? 'debug' : 'silent');
}

/** Points the diagnostic log at `dest` (default stderr) at `level`; 'silent' turns it off. */
export async function configureDiagnostics(level: string, dest: number | NodeJS.WritableStream = 2): Promise<void> {
  if (level === 'silent') {
    diagnostics = SILENT;
    return;
  }
  const [{ pino }, { REDACT_PATHS }, { scrub }] = await Promise.all([import('pino'), import('./log.js'), import('./secrets-registry.js')]);
  const stream = typeof dest === 'number' ? pino.destination({ dest, sync: true }) : dest;
  diagnostics = pino({ level, redact: { paths: REDACT_PATHS, censor: '[REDACTED]' }, hooks: { streamWrite: scrub } }, stream);
}

export function diag(): DiagnosticLog {
  return diagnostics;
}
