// Errors that map to the CLI's exit codes (DESIGN.md: 2 bad input, 3 refused).
import type { ProblemRecord } from '../report/problems.js';

/** Bad input or config: exit 2, nothing touched. `problems`: the details as records (file, line, field) for -o. */
export class InputError extends Error {
  readonly exitCode = 2;
  constructor(message: string, readonly details: string[] = [], readonly problems: ProblemRecord[] = []) {
    super(message);
    this.name = 'InputError';
  }
}

/** What a refusal was about, where a report must say it without reading the message (a drill's metrics). */
export type RefusalKind = 'lock' | 'litmus';

/**
 * What the person was shown before a refusal or an interruption, as data for its -o json|yaml Error
 * envelope: the blast radius hard-reset screened before its typed confirmation.
 */
export interface ShownData {
  blastRadius: unknown;
}

/** A guard or a missing confirmation refused the run: exit 3. */
export class RefusedError extends Error {
  readonly exitCode = 3;
  constructor(message: string, readonly details: string[] = [], readonly kind?: RefusalKind, readonly shown?: ShownData) {
    super(message);
    this.name = 'RefusedError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The person interrupted the run (Ctrl-C) before anything was changed, or while it ran: exit 130. */
export class InterruptedError extends Error {
  readonly exitCode = 130;
  constructor(message: string, readonly details: string[] = [], readonly shown?: ShownData) {
    super(message);
    this.name = 'InterruptedError';
  }
}
