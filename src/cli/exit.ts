// Maps what a command threw to the documented exit codes: 2 bad input, 3 refused, 130 interrupted, and
// 70 (EX_SOFTWARE, sysexits.h) for anything else, which is a bug: one line asking for a report, the
// stack only with -v. With -o json|yaml the same error also goes to stdout as a kind: Error envelope, so
// a script reads one contract whether the command answered or refused.
import { problemRecord, type ProblemRecord } from '../report/problems.js';
import type { ShownData } from '../util/errors.js';
import { scrub } from '../util/secrets-registry.js';
import type { CliOptions } from './args.js';

export const EXIT_INTERNAL = 70;

/** stdout holds one document per command: main resets this, writeEnvelope sets it. */
export const stdoutDocument = { written: false };

const KNOWN: Record<number, { reason: string; prefix: string }> = {
  2: { reason: 'BadInput', prefix: '' },
  3: { reason: 'Refused', prefix: 'refused: ' },
  130: { reason: 'Interrupted', prefix: 'interrupted: ' },
};

interface Streams {
  stdout: Pick<NodeJS.WritableStream, 'write'>;
  stderr: Pick<NodeJS.WritableStream, 'write'>;
}

export async function exitCodeForError(
  err: unknown,
  opts: Partial<Pick<CliOptions, 'output' | 'verbose' | 'command'>> = {},
  streams: Streams = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const e = err as { exitCode?: number; message?: string; details?: string[]; problems?: ProblemRecord[]; shown?: ShownData } | null;
  const known = e && e.exitCode !== undefined ? KNOWN[e.exitCode] : undefined;
  const exitCode = known ? e!.exitCode! : EXIT_INTERNAL;
  const message = scrub(known ? (e!.message ?? '') : internalMessage(err));
  const details = known ? (e!.details ?? []).map(scrub) : [];
  streams.stderr.write(`homelab-dr: ${known ? known.prefix : 'internal error: '}${message}\n`);
  for (const d of details) streams.stderr.write(`  ${d}\n`);
  if (!known) {
    streams.stderr.write('  this is a bug in homelab-dr (exit 70): please report it with the command you ran and its output with -v\n');
    if (opts.verbose && err instanceof Error && err.stack) streams.stderr.write(`${scrub(err.stack)}\n`);
  }
  if (opts.output) {
    // Loaded here: --help and a plain error do not pay for the YAML writer.
    // stdout holds one document: a run that threw after its RunResult (exitCode included) adds none.
    if (stdoutDocument.written && streams.stdout === process.stdout) return exitCode;
    const { envelope, writeEnvelope } = await import('./output.js');
    const problems = e?.problems?.length ? e.problems : details.map((d) => problemRecord({ message: d }));
    // A refusal at hard-reset's confirmation also carries the blast radius it showed, as plan does.
    const shown = known && e!.shown ? e!.shown : {};
    const body = { exitCode, reason: known ? known.reason : 'InternalError', message, ...shown, problems };
    writeEnvelope(JSON.parse(scrub(JSON.stringify(envelope('Error', opts.command ?? '', body)))), opts.output, streams.stdout);
  }
  return exitCode;
}

function internalMessage(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
