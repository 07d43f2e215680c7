// What each provider is, known without constructing it: plan and lint are offline and read-only, so
// the DAG, the create plan, the tools and the host exposure come from these descriptors; the classes
// beside them (k3d.ts, kwok.ts, existing.ts) do the live work. Steps ask these and never a name.
import type { ClusterConfig, ProviderName } from '../config/types.js';
import { parseVolume, type HostExposure } from './isolation.js';
import { describeLayout, plannedNodes } from './node-layout.js';

export interface ProviderKind {
  readonly name: ProviderName;
  /** Programs it runs on this machine: preflight asks each for its version (a `tool NAME` use). */
  readonly tools: readonly string[];
  /** False where homelab-dr never deletes or creates the cluster (existing): no throwaway, no key at stake. */
  readonly ownsCluster: boolean;
  /** The steps it cannot run; a step that needs one needs that step's needs instead. */
  readonly unsupportedSteps: readonly string[];
  /** Where the sealed-secrets controller runs: applied into the cluster, or a supervised local process (kwok: fake nodes run no pods). */
  readonly sealedSecretsController: 'in-cluster' | 'local-process';
  /** True when its node takes the configured nodeName (kwok), so a missing one is an error, not the first node. */
  readonly namesItsNode: boolean;
  /** The host ports and host paths a cluster of this config publishes. */
  hostExposure(config: ClusterConfig): HostExposure;
  /** What creating `cluster` does, for the plan; a throwaway cluster publishes none of production's ports or paths. */
  createPlan(cluster: string, config: ClusterConfig, throwaway: boolean): string[];
}

const nothingExposed = (): HostExposure => ({ ports: [], paths: [] });
const inCluster = { ownsCluster: true, unsupportedSteps: [], sealedSecretsController: 'in-cluster', namesItsNode: false } as const;

const k3d: ProviderKind = {
  ...inCluster,
  name: 'k3d',
  tools: ['k3d', 'docker'],
  // Every `ports:` entry is published on the host, every `volumes:` source is mounted from it.
  hostExposure: (config) => ({ ports: config.ports.map((p) => p.port), paths: config.volumes.flatMap((v) => parseVolume(v.volume)?.source ?? []) }),
  createPlan: (cluster, c, throwaway) => [
    `k3d cluster create "${cluster}": ${c.servers} server(s), ${c.agents} agent(s)${c.image ? `, image ${c.image}` : ''}`,
    ...(c.registries ? [`registry config given at creation: use ${c.registries.use.join(', ') || '(none)'}${c.registries.config ? `, config ${c.registries.config}` : ''}`] : []),
    ...(throwaway ? [] : [...c.ports.map((p) => `port ${p.port} on ${p.nodeFilters.join(',')}`), ...c.volumes.map((v) => `volume ${v.volume} on ${v.nodeFilters.join(',')}`)]),
    ...c.k3sArgs.map((a) => `k3s arg ${a.arg} on ${a.nodeFilters.join(',')}`),
  ],
};

// kwokctl starts the pinned control plane; everything listens on 127.0.0.1 and fake nodes mount no host path.
const kwok: ProviderKind = {
  ...inCluster,
  name: 'kwok',
  tools: ['kwokctl', 'kwok', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd', 'kubectl'],
  sealedSecretsController: 'local-process',
  namesItsNode: true,
  hostExposure: nothingExposed,
  createPlan: (cluster, c) => [
    `create kwok cluster "${cluster}" (real kube-apiserver, etcd, controller-manager, scheduler; loopback only) with fake nodes of ${describeLayout(plannedNodes('kwok', cluster, c)!)}`,
  ],
};

// existing runs no program, never deletes or creates (its cluster step proves the cluster answers), publishes nothing of ours.
const existing: ProviderKind = {
  ...inCluster,
  name: 'existing',
  tools: [],
  ownsCluster: false,
  unsupportedSteps: ['delete-cluster'],
  hostExposure: nothingExposed,
  createPlan: (_cluster, c) => [`use the existing cluster of kubeconfig context "${c.context ?? '(current)'}"; nothing is created`],
};

export const PROVIDER_KINDS: Readonly<Record<ProviderName, ProviderKind>> = { k3d, kwok, existing };
