// Builds what a command needs from its flags: the loaded config, the step list and the step context.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { providerFor } from '../cluster/index.js';
import type { ClusterProvider } from '../cluster/provider.js';
import type { HomelabConfig } from '../config/types.js';
import type { KubeClient } from '../kube/client.js';
import type { Step } from '../engine/types.js';
import { assertKubeconfigIsProviderCluster } from '../safety/guards.js';
import { silentLogger, type Logger } from '../util/log.js';
import { targetClusterName, type Mode, type RecoveryContext } from '../../steps/context.js';
import { buildSteps } from '../../steps/index.js';
import { createInputs } from '../../steps/inputs.js';
import type { CliOptions } from './args.js';

export function stateDirOf(opts: Pick<CliOptions, 'stateDir'>, env: NodeJS.ProcessEnv = process.env): string {
  if (opts.stateDir) return resolve(opts.stateDir);
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'homelab-dr');
}

/** --kubeconfig and --context (which imply provider existing) override the config's cluster.kubeconfig and context. */
function clusterAccess(opts: Pick<CliOptions, 'kubeconfig' | 'context'>): { kubeconfig?: string; context?: string } {
  return { ...(opts.kubeconfig !== undefined ? { kubeconfig: resolve(opts.kubeconfig) } : {}), ...(opts.context !== undefined ? { context: opts.context } : {}) };
}

/** Before a command reads or changes a live cluster: the kubeconfig's server must be the provider's own cluster (exit 3). */
export async function assertTargetIsProviderCluster(ctx: RecoveryContext): Promise<void> {
  await assertKubeconfigIsProviderCluster(await ctx.provider(), ctx.clusterName, async () => (await ctx.kube()).server.href);
}

export interface Loaded {
  config: HomelabConfig;
  warnings: string[];
  steps: Step<RecoveryContext>[];
  ctx: RecoveryContext;
}

export async function loadForCommand(
  opts: CliOptions,
  mode: Mode,
  extra: { signal?: AbortSignal; log?: Logger; recordedCluster?: string } = {},
): Promise<Loaded> {
  const { loadConfig } = await import('../config/load.js');
  // The provider's own checks (k3d: image tag, registries.yaml) follow --provider, before anything runs.
  const loaded = await loadConfig(resolve(opts.config), opts.provider ? { provider: opts.provider } : {});
  const config: HomelabConfig = opts.provider
    ? { ...loaded, cluster: { ...loaded.cluster, provider: opts.provider, ...clusterAccess(opts) } }
    : loaded;
  let provider: Promise<ClusterProvider> | undefined;
  let kube: Promise<KubeClient> | undefined;
  const getProvider = () => (provider ??= providerFor(config.cluster.provider, { stateDir: stateDirOf(opts), cluster: config.cluster }));
  const ctx: RecoveryContext = {
    signal: extra.signal ?? new AbortController().signal,
    config,
    mode,
    clusterName: opts.name ?? targetClusterName(config, mode, { recorded: extra.recordedCluster }),
    providerName: config.cluster.provider,
    log: extra.log ?? silentLogger(),
    // Every command that reads the stores (the run's steps, plan, verify, seal --secret) gets the flag here.
    inputs: createInputs(config, { insecureFilePerms: opts.insecureFilePerms }),
    provider: getProvider,
    kube: async ({ fresh } = {}) => {
      if (fresh && kube) (await kube.catch(() => undefined))?.close();
      if (fresh || !kube) {
        kube = getProvider().then(async (p) => {
          // Loaded on first use: plan and lint never pay for the Kubernetes client.
          const { KubeClient } = await import('../kube/client.js');
          return KubeClient.fromKubeconfig(await p.kubeconfig(ctx.clusterName));
        });
        // A failed connection is not cached: the next step asks again.
        kube.catch(() => (kube = undefined));
      }
      return kube;
    },
  };
  const steps = buildSteps(config, mode);
  ctx.selectedSteps = steps;
  return { config, warnings: loaded.warnings, steps, ctx };
}
