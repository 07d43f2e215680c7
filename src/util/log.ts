// JSON-lines logs (pino) to <state-dir>/logs/<run>.jsonl (the live stream for machines is --events). Every line passes
// through scrub() on its way out, so a secret value held in memory cannot reach a log by any path.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { scrub } from './secrets-registry.js';

export type { Logger };

/** Field names whose values are never logged, whatever they hold. */
export const REDACT_PATHS = [
  'value',
  'values',
  'data',
  'stringData',
  'token',
  'password',
  'privateKey',
  '*.value',
  '*.data',
  '*.stringData',
  '*.token',
  '*.password',
  '*.privateKey',
];

export interface LogOptions {
  stateDir: string;
  runId: string;
}

export function createRunLogger(opts: LogOptions): { logger: Logger; path: string } {
  const dir = join(opts.stateDir, 'logs');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${opts.runId}.jsonl`);
  const streams: { stream: NodeJS.WritableStream | ReturnType<typeof pino.destination> }[] = [
    { stream: pino.destination({ dest: path, sync: true, mode: 0o600 }) },
  ];
  const logger = pino(
    {
      base: { run: opts.runId },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      hooks: { streamWrite: scrub },
    },
    pino.multistream(streams),
  );
  return { logger, path };
}

/** A logger that writes nowhere (plan, lint, unit tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
