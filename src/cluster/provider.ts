// A cluster provider creates and destroys the cluster a recovery (or a rehearsal) rebuilds. Steps see
// only this interface, so unit tests inject a fake and integration tests the real kwok provider.
import type { ClusterConfig, ProviderName } from '../config/types.js';

export interface CreateClusterOptions {
  /** The config's cluster section (k3d reads ports, volumes, registries and k3s args from it). */
  config?: ClusterConfig;
  /** kwok: the fake node's name; default config.nodeName, else `<cluster>-server-0`. */
  nodeName?: string;
  /** kwok: a fixed apiserver port on 127.0.0.1; default a free one. */
  apiServerPort?: number;
  /** Budget for create-to-ready. */
  timeoutMs?: number;
}

export interface ClusterProvider {
  readonly name: ProviderName;
  exists(cluster: string): Promise<boolean>;
  /** Creates the cluster and returns once it is ready; refuses when one of that name exists. */
  create(cluster: string, opts?: CreateClusterOptions): Promise<void>;
  /** Deletes the cluster and everything started for it; a missing cluster is not an error. */
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
}
