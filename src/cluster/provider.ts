// A cluster provider creates and destroys the cluster a recovery (or a rehearsal) rebuilds. Steps see
// only this interface, so unit tests inject a fake and integration tests the real kwok provider.
import type { ClusterConfig, ProviderName } from '../config/types.js';
import type { ThrowawayIsolation } from './isolation.js';

export interface CreateClusterOptions {
  /** The config's cluster section (k3d reads ports, volumes, registries and k3s args from it). */
  config?: ClusterConfig;
  /** kwok: the first server's fake node name; default config.nodeName, else `<cluster>-server-0` (the others: node-layout.ts). */
  nodeName?: string;
  /** kwok: a fixed apiserver port on 127.0.0.1; default a free one. */
  apiServerPort?: number;
  /** Budget for create-to-ready. */
  timeoutMs?: number;
  /**
   * dr-test and drill: production's host ports and paths are mapped (throwawayIsolation) with free
   * ports picked now, and the scratch directories are made (seeded where the config asks).
   */
  throwaway?: boolean;
}

export interface ClusterProvider {
  readonly name: ProviderName;
  exists(cluster: string): Promise<boolean>;
  /**
   * Creates the cluster and returns once it is ready; refuses when one of that name exists. A throwaway
   * create returns the mapping it applied (with the free ports it picked).
   */
  create(cluster: string, opts?: CreateClusterOptions): Promise<ThrowawayIsolation | void>;
  /**
   * How a throwaway cluster of this name maps the host ports and paths it publishes (kinds.ts hostExposure): pure, for the plan and the storage step.
   * `freePorts` are the ports create picked; without them the mapping says a free port is chosen at creation.
   */
  throwawayIsolation(cluster: string, config: ClusterConfig, freePorts?: readonly number[]): ThrowawayIsolation;
  /** Deletes the cluster and everything started for it (scratch directories included); a missing cluster is not an error. */
  delete(cluster: string): Promise<void>;
  /** Path of a kubeconfig file for the cluster. */
  kubeconfig(cluster: string): Promise<string>;
  nodeNames(cluster: string): Promise<string[]>;
  /** Every cluster of this provider; absent where it makes none of its own (existing). teardown --all-throwaway and the drill's sweep pick theirs from it. */
  list?(): Promise<string[]>;
  /** Set when cluster names are unique only under this directory (kwok); else they are machine-wide. */
  readonly clusterHome?: string;
  /** The apiserver's https URL. */
  apiServer?(cluster: string): Promise<string>;
  /** Set where the sealed-secrets controller runs as a local process (kinds.ts): starts it, stopping one an interrupted run left. */
  startLocalSealedSecrets?(cluster: string, opts: { namespace: string; controllerName: string }): Promise<{ pid?: number; certUrl: string; leftoverPid?: number }>;
  /** Where that local controller serves its certificate, once started. */
  localSealedSecretsCertUrl?(cluster: string): Promise<string | undefined>;
  /**
   * What the running cluster holds that differs from what the config gives only at creation (k3d: the
   * node's registries.yaml), one problem each, naming its fix; [] when in sync. Absent where nothing is
   * fixed at creation.
   */
  configDrift?(cluster: string, config: ClusterConfig): Promise<string[]>;
}
