// The existing provider: a cluster homelab-dr does not manage (multi-node k3s, a real cluster), reached
// through a kubeconfig context. Every non-destructive step works against it; creating and deleting are refused.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeApiError } from '../kube/errors.js';
import { DEFAULT_RETRY, isTransientKubeError, withRetry } from '../kube/retry.js';
import { KubeTransport } from '../kube/transport.js';
import { InputError, RefusedError } from '../util/errors.js';
import { kubeconfigFiles, pinnedKubeconfig, type KubeconfigSource } from './existing-kubeconfig.js';
import { nodeNamesVia, writePrivateFile } from './provider-files.js';
import type { ThrowawayIsolation } from './isolation.js';
import type { ClusterProvider } from './provider.js';

const REACHABILITY_TIMEOUT_MS = 5_000;

export interface ExistingProviderOptions {
  /** cluster.kubeconfig; default $KUBECONFIG, else ~/.kube/config. */
  kubeconfig?: string;
  /** cluster.context; default the kubeconfig's current-context, read once. */
  context?: string;
  /** Where the pinned kubeconfig is written; default `$XDG_STATE_HOME/homelab-dr/existing`. */
  root?: string;
  env?: NodeJS.ProcessEnv;
}

export class ExistingProvider implements ClusterProvider {
  readonly name = 'existing' as const;
  readonly root: string;
  private readonly env: NodeJS.ProcessEnv;
  /** The context resolved on first use, so that the whole run talks to one cluster. */
  private resolvedContext: string | undefined;
  /** The server of that context when it was first resolved: the cluster this run is about. */
  private pinnedServer: string | undefined;

  constructor(private readonly opts: ExistingProviderOptions = {}) {
    this.env = opts.env ?? process.env;
    this.root = opts.root ?? join(this.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'homelab-dr', 'existing');
    this.resolvedContext = opts.context;
  }

  /** The context this provider talks to (after the first kubeconfig() call when none was configured). */
  get context(): string | undefined {
    return this.resolvedContext;
  }

  async create(cluster: string): Promise<void> {
    throw new RefusedError(`provider existing never creates or deletes a cluster (asked to create ${cluster})`);
  }

  async delete(cluster: string): Promise<void> {
    throw new RefusedError(`provider existing never creates or deletes a cluster (asked to delete ${cluster})`);
  }

  /** Never asked: dr-test and drill refuse provider existing before anything runs. */
  throwawayIsolation(cluster: string): ThrowawayIsolation {
    throw new RefusedError(`provider existing has no throwaway cluster (asked for ${cluster})`);
  }

  /** True when the apiserver answers; false when nothing answers; an error when it refuses our credentials. */
  async exists(cluster: string): Promise<boolean> {
    const transport = await KubeTransport.fromKubeconfig(await this.kubeconfig(cluster));
    try {
      // A busy apiserver (429, 5xx: throttling, an etcd leader change) did answer: ask again within the
      // retry budget. Nothing listening is "does not exist" at once, as before.
      await withRetry(
        () => transport.request('GET', '/version', { timeoutMs: REACHABILITY_TIMEOUT_MS }),
        DEFAULT_RETRY,
        (err) => err instanceof KubeApiError && isTransientKubeError(err),
      );
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && isTransientKubeError(err)) {
        throw new Error(`the apiserver of context "${this.resolvedContext}" answered but stayed unavailable through every retry: ${err.message}`, { cause: err });
      }
      if (err instanceof KubeApiError) {
        throw new Error(`the apiserver of context "${this.resolvedContext}" answered but refused the request: ${err.message}`, { cause: err });
      }
      if (isTransientKubeError(err) || isUnreachable(err)) return false;
      throw err;
    } finally {
      transport.close();
    }
  }

  /** A kubeconfig of homelab-dr's own (mode 0600) holding only the pinned context, its cluster and user. */
  async kubeconfig(cluster: string): Promise<string> {
    const files = kubeconfigFiles(this.opts.kubeconfig, this.env, homedir());
    const pinned = pinnedKubeconfig(await readSources(files), this.resolvedContext);
    this.resolvedContext = pinned.context;
    this.pinnedServer ??= pinned.server;
    const path = join(this.root, safeFileName(cluster), 'kubeconfig.yaml');
    await writePrivateFile(path, pinned.text);
    return path;
  }

  async nodeNames(cluster: string): Promise<string[]> {
    return nodeNamesVia(await this.kubeconfig(cluster));
  }

  /**
   * The server the context named when the run first resolved it. A kubeconfig edited since (a context
   * re-pointed at another cluster) then no longer matches, and the context guard refuses.
   */
  async apiServer(cluster: string): Promise<string> {
    if (this.pinnedServer === undefined) await this.kubeconfig(cluster);
    return this.pinnedServer!;
  }
}

function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL';
}

/** kubectl skips KUBECONFIG entries that do not exist; all of them missing is an error. */
async function readSources(files: string[]): Promise<KubeconfigSource[]> {
  const present = files.filter((file) => existsSync(file));
  if (present.length === 0) throw new InputError(`cluster.kubeconfig: no kubeconfig file found (looked at ${files.join(', ')})`);
  return Promise.all(present.map(async (path) => ({ path, text: await readFile(path, 'utf8') })));
}

function safeFileName(cluster: string): string {
  return cluster.replace(/[^A-Za-z0-9._-]/g, '_');
}
