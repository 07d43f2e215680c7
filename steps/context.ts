// What every recovery step receives: the loaded config, the run's mode and target, and memoised
// readers of the inputs (manifests, rendered apps) so that plan, preflight and apply parse them once.
import { PROVIDER_KINDS, type ProviderKind } from '../src/cluster/kinds.js';
import type { ClusterProvider } from '../src/cluster/provider.js';
import type { HomelabConfig, ProviderName } from '../src/config/types.js';
import type { KubeClient } from '../src/kube/client.js';
import type { Step, StepContext } from '../src/engine/types.js';
import type { Logger } from '../src/util/log.js';
import { throwawayName } from '../src/safety/throwaway-name.js';
import type { Inputs } from './inputs.js';

export type Mode = 'plan' | 'hard-reset' | 'dr-test' | 'drill' | 'verify' | 'lint';

export interface RecoveryContext extends StepContext {
  config: HomelabConfig;
  mode: Mode;
  /** The cluster this run acts on; for dr-test and drill a throwaway name, never the production one. */
  clusterName: string;
  providerName: ProviderName;
  log: Logger;
  inputs: Inputs;
  /** The provider of the target cluster (created on first use). */
  provider(): Promise<ClusterProvider>;
  /** The steps this run selected (every step of the plan unless --only/--from): preflight checks their tools. */
  selectedSteps?: readonly Step<RecoveryContext>[];
  /** True when this run leaves the live cluster in place (no delete-cluster): preflight then reads it. */
  keepsCluster?: boolean;
  /** A client for the target cluster; `fresh` drops the cached one (after delete/create). */
  kube(opts?: { fresh?: boolean }): Promise<KubeClient>;
}

/** What the run's provider is, answered offline: steps ask it, never the provider's name. */
export function providerKind(ctx: Pick<RecoveryContext, 'providerName'>): ProviderKind {
  return PROVIDER_KINDS[ctx.providerName];
}

/**
 * dr-test and drill act on a throwaway cluster (src/safety/throwaway-name.ts: unique per run, at most
 * 32 characters), whose name always differs from production's; a resumed run passes the name its
 * journal recorded.
 */
export function targetClusterName(config: HomelabConfig, mode: Mode, opts: { now?: Date; recorded?: string } = {}): string {
  if (mode !== 'dr-test' && mode !== 'drill') return config.cluster.name;
  if (opts.recorded) return opts.recorded;
  return throwawayName(config.cluster.name, opts.now ? { now: opts.now } : {});
}
