// Removing throwaway clusters that a run left behind (--keep, a SIGKILL, a power loss): by name, all of
// this config's, or, before every drill, those older than drill.throwawayMaxAge. Never the production
// cluster, never a cluster some live run holds (its lock says which), never another config's cluster.
import type { ClusterProvider } from '../cluster/provider.js';
import type { ItemOutcome } from '../engine/types.js';
import { errorMessage, RefusedError } from '../util/errors.js';
import { assertThrowawayNameDiffers } from './guards.js';
import { acquireLock, clusterLockPath, type LockHolder } from './run-lock.js';
import { throwawayCreatedAt } from './throwaway-name.js';

export interface Throwaway {
  name: string;
  createdAt: Date;
}

/** This config's throwaway clusters among the provider's, oldest first. */
export async function listThrowaways(provider: ClusterProvider, production: string): Promise<Throwaway[]> {
  if (!provider.list) return [];
  const found: Throwaway[] = [];
  for (const name of await provider.list()) {
    const createdAt = throwawayCreatedAt(production, name);
    if (createdAt) found.push({ name, createdAt });
  }
  return found.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

export interface Outcome {
  name: string;
  outcome: ItemOutcome;
  error?: string;
  message: string;
}

/**
 * Deletes one throwaway cluster under its lock. Refuses (exit 3) the production name and a name that
 * is not one of this config's throwaways; a cluster a live run holds is skipped with that run named.
 */
export async function removeThrowaway(provider: ClusterProvider, production: string, name: string, holder: LockHolder, extraNames: readonly string[] = []): Promise<Outcome> {
  assertThrowawayNameDiffers(production, name, 'teardown');
  if (!throwawayCreatedAt(production, name) && !extraNames.includes(name)) {
    throw new RefusedError(`teardown refuses cluster "${name}": it is not a throwaway cluster of this config (${production}-dt-<stamp>-<id>, or a --name a dr-test in this state directory used); nothing was touched`);
  }
  let lock;
  try {
    lock = acquireLock(clusterLockPath(name, provider.clusterHome), { what: `cluster ${name}`, holder });
  } catch (err) {
    if (!(err instanceof RefusedError)) throw err;
    return { name, outcome: 'skipped', message: `skipped ${name}: ${err.message}` };
  }
  try {
    if (!(await provider.exists(name))) return { name, outcome: 'unchanged', message: `${name}: does not exist` };
    // kwok: delete also stops the local sealed-secrets controller started for the cluster.
    await provider.delete(name);
    return { name, outcome: 'deleted', message: `${name}: deleted` };
  } catch (err) {
    return { name, outcome: 'failed', error: errorMessage(err), message: `${name}: FAILED: ${errorMessage(err)}` };
  } finally {
    lock.release();
  }
}

/** The drill's sweep: this config's throwaways older than maxAgeMs, except the one it is about to use. */
export async function sweepOldThrowaways(opts: {
  provider: ClusterProvider;
  production: string;
  maxAgeMs: number;
  current: string;
  holder: LockHolder;
  now?: Date;
}): Promise<{ outcomes: Outcome[]; kept: number }> {
  const now = (opts.now ?? new Date()).getTime();
  const all = (await listThrowaways(opts.provider, opts.production)).filter((t) => t.name !== opts.current);
  const old = all.filter((t) => now - t.createdAt.getTime() > opts.maxAgeMs);
  const outcomes: Outcome[] = [];
  for (const t of old) outcomes.push(await removeThrowaway(opts.provider, opts.production, t.name, opts.holder));
  return { outcomes, kept: all.length - old.length };
}
