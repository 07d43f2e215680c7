// The fail-loud ledger: every item a step touches is recorded with its outcome, and the summary is
// computed from these records only, so nothing can claim a success that was not counted.
import { countOutcomes, type Counts } from '../util/helpers.js';
import { scrub } from '../util/secrets-registry.js';
import { type ItemOutcome, type LedgerItem, type StepLedger } from './types.js';


export class Ledger {
  readonly items: LedgerItem[] = [];
  private readonly listeners: Array<(item: LedgerItem) => void> = [];

  onRecord(listener: (item: LedgerItem) => void): void {
    this.listeners.push(listener);
  }

  record(step: string, kind: string, name: string, outcome: ItemOutcome, error?: string): LedgerItem {
    if (outcome === 'failed' && !error) error = 'failed (no error was given)';
    const item: LedgerItem = {
      step,
      kind,
      name: scrub(name),
      outcome,
      ...(error !== undefined ? { error: scrub(error) } : {}),
      at: new Date().toISOString(),
    };
    this.items.push(item);
    for (const l of this.listeners) l(item);
    return item;
  }

  forStep(step: string): StepLedger {
    return {
      record: (kind, name, outcome, error) => void this.record(step, kind, name, outcome, error),
      parent: this,
    };
  }

  itemsOf(step: string): LedgerItem[] {
    return this.items.filter((i) => i.step === step);
  }

  failed(step?: string): LedgerItem[] {
    return this.items.filter((i) => i.outcome === 'failed' && (step === undefined || i.step === step));
  }

  counts(step?: string): Counts {
    return countOutcomes(step === undefined ? this.items : this.items.filter((i) => i.step === step));
  }
}

