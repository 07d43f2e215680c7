// What a run (hard-reset, dr-test, drill) says to a machine: the live event stream (--events FILE, NDJSON,
// one object a line: the run's start, each step's start and finish, each ledger item, the blast radius,
// the end), and with -o json|yaml one RunResult envelope on stdout when it ends. Every line is scrubbed
// of secret values like the journal.
import { writeSync, openSync } from 'node:fs';
import type { LedgerItem, StepState } from '../engine/types.js';
import { ITEM_OUTCOMES } from '../engine/types.js';
import { DETACHED_ENV } from '../safety/detach.js';
import { InputError } from '../util/errors.js';
import { scrub } from '../util/secrets-registry.js';
import type { CliOptions } from './args.js';
import { envelope, OUTPUT_API_VERSION, writeEnvelope } from './output.js';

export type RunEvent =
  | { event: 'run-start'; runId: string; command: string; cluster: string }
  | { event: 'blast-radius'; blastRadius: unknown }
  | { event: 'step-start' | 'step-finish'; step: string; status: StepState['status']; blockedBy?: string; missing?: string[]; error?: string }
  | { event: 'item'; step: string; item: Omit<LedgerItem, 'step'> }
  | { event: 'run-end'; exitCode: number };

const NOT_FINISHED: ReadonlySet<StepState['status']> = new Set(['pending', 'running']);

export interface RunEnd {
  exitCode: number;
  states?: Map<string, StepState>;
  items: readonly LedgerItem[];
  notes: string[];
  journal: string;
  log: string;
}

export class RunReport {
  private readonly fd: number | undefined;
  private blast: unknown;

  constructor(private readonly opts: Pick<CliOptions, 'events' | 'output'>, private readonly run: { runId: string; command: string; cluster: string }) {
    if (opts.events === '-' && opts.output) throw new InputError('--events - and -o both write to stdout; give --events a FILE');
    // A detached hard-reset re-executes with the same argv: it continues the stream its parent started.
    const flags = process.env[DETACHED_ENV] === '1' ? 'a' : 'w';
    this.fd = opts.events === undefined ? undefined : opts.events === '-' ? 1 : openSync(opts.events, flags, 0o600);
    this.emit({ event: 'run-start', ...run });
  }

  private emit(event: RunEvent): void {
    if (this.fd === undefined) return;
    const line = { apiVersion: OUTPUT_API_VERSION, kind: 'RunEvent', at: new Date().toISOString(), ...event };
    writeSync(this.fd, `${scrub(JSON.stringify(line))}\n`);
  }

  blastRadius(data: unknown): void {
    this.blast = data;
    this.emit({ event: 'blast-radius', blastRadius: data });
  }

  step(state: StepState): void {
    if (state.status === 'pending') return;
    const { id, status, blockedBy, missing, error } = state;
    this.emit({ event: NOT_FINISHED.has(status) ? 'step-start' : 'step-finish', step: id, status, blockedBy, missing, error });
  }

  item({ step, ...item }: LedgerItem): void {
    this.emit({ event: 'item', step, item });
  }

  end(end: RunEnd): void {
    this.emit({ event: 'run-end', exitCode: end.exitCode });
    if (!this.opts.output) return;
    const counts = Object.fromEntries(ITEM_OUTCOMES.map((o) => [o, end.items.filter((i) => i.outcome === o).length]));
    const body = {
      ...this.run,
      exitCode: end.exitCode,
      ...(this.blast !== undefined ? { blastRadius: this.blast } : {}),
      steps: [...(end.states?.values() ?? [])],
      items: counts,
      problems: end.items.filter((i) => i.outcome === 'failed').map((i) => ({ step: i.step, object: `${i.kind} ${i.name}`, message: i.error ?? 'failed' })),
      notes: end.notes,
      journal: end.journal,
      log: end.log,
    };
    writeEnvelope(JSON.parse(scrub(JSON.stringify(envelope('RunResult', this.run.command, body)))), this.opts.output);
  }
}
