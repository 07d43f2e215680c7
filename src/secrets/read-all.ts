// Preflight's proof that every value the plan needs exists, fetched before anything is destroyed.
// Failures are collected, not thrown, so the operator sees every missing value at once.
import type { StoreRef } from '../config/types.js';
import { errorMessage } from '../util/errors.js';
import type { SecretStore } from './stores/types.js';

export interface MissingValue {
  store: string;
  key: string;
  reason: string;
}

export interface ReadAllResult {
  /** Keyed by refKey(ref). */
  values: Map<string, Buffer>;
  missing: MissingValue[];
}

export function refKey(ref: StoreRef): string {
  return `${ref.store}/${ref.key}`;
}

async function readOne(stores: ReadonlyMap<string, SecretStore>, ref: StoreRef): Promise<Buffer | MissingValue> {
  const store = stores.get(ref.store);
  if (!store) {
    const known = [...stores.keys()].join(', ') || 'none';
    return { ...ref, reason: `no secret store named "${ref.store}" is configured (configured: ${known})` };
  }
  try {
    return await store.get(ref.key);
  } catch (e) {
    return { ...ref, reason: errorMessage(e) };
  }
}

export async function readAll(stores: ReadonlyMap<string, SecretStore>, refs: readonly StoreRef[]): Promise<ReadAllResult> {
  const unique = new Map(refs.map((ref) => [refKey(ref), { store: ref.store, key: ref.key }]));
  const results = await Promise.all([...unique.values()].map(async (ref) => [ref, await readOne(stores, ref)] as const));
  const values = new Map<string, Buffer>();
  const missing: MissingValue[] = [];
  for (const [ref, result] of results) {
    if (Buffer.isBuffer(result)) values.set(refKey(ref), result);
    else missing.push(result);
  }
  return { values, missing };
}
