// The small helpers every layer shares, one of each: finding a program, waiting, counting outcomes,
// and telling a JSON object from anything else.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ITEM_OUTCOMES, type ItemOutcome } from '../engine/types.js';

export { setTimeout as sleep } from 'node:timers/promises';

/** The first executable `name` in a PATH-style list of directories, as the shell would find it. */
export function which(name: string, pathEnv: string | undefined): string | undefined {
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Ledger items per outcome: the summary table, the drill report and the metrics all count with it. */
export type Counts = Record<ItemOutcome, number>;

export function emptyCounts(): Counts {
  return Object.fromEntries(ITEM_OUTCOMES.map((o) => [o, 0])) as Counts;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
