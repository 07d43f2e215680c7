// The small helpers every layer shares, one of each: which, sleep, counts, columns, records.
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

export function countOutcomes(items: readonly { outcome: ItemOutcome }[]): Counts {
  const counts = emptyCounts();
  for (const item of items) counts[item.outcome]++;
  return counts;
}

/** Rows as aligned columns, two spaces apart; the last column runs free. */
export function alignColumns(rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) => `${indent}${r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ')}`.trimEnd());
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON object as a record, anything else as an empty one: for reading optional nested fields. */
export function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}
