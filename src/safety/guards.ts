// The two guards no --yes overrides: the kubeconfig must point at the configured cluster, and a
// throwaway cluster's name must differ from production's.
import { isIPv4 } from 'node:net';
import type { ClusterProvider } from '../cluster/provider.js';
import { InputError, RefusedError } from '../util/errors.js';

/** An API server address reduced to what identifies it: scheme, host, port. */
export interface ServerAddress {
  scheme: string;
  host: string;
  port: number;
}

function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '0.0.0.0' || host === '::') return true;
  return isIPv4(host) && host.startsWith('127.');
}

/**
 * Parses "https://127.0.0.1:6443", "localhost:6443" or "https://[::1]:6443". k3d writes 0.0.0.0 or
 * 127.0.0.1 into kubeconfigs for a port published on the host, so every loopback spelling (and 0.0.0.0,
 * which a client dials as loopback) becomes "loopback". Undefined when it is not an address.
 */
export function normalizeServer(text: string): ServerAddress | undefined {
  const trimmed = text.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  if ((scheme !== 'https' && scheme !== 'http') || url.hostname === '') return undefined;
  const bare = url.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
  return { scheme, host: isLoopbackHost(bare) ? 'loopback' : bare, port };
}

export function formatServer(address: ServerAddress): string {
  return `${address.scheme}://${address.host}:${address.port}`;
}

/** Whether the kubeconfig's server and the provider's API server are the same endpoint. */
export function contextMatchesProvider(kubeconfigServer: string, providerServer: string): boolean {
  const a = normalizeServer(kubeconfigServer);
  const b = normalizeServer(providerServer);
  return a !== undefined && b !== undefined && formatServer(a) === formatServer(b);
}

/** Refuses (exit 3) unless the kubeconfig points at the configured cluster. */
export function assertContextMatchesProvider(kubeconfigServer: string, providerServer: string, cluster: string): void {
  if (contextMatchesProvider(kubeconfigServer, providerServer)) return;
  throw new RefusedError(`the kubeconfig does not point at cluster "${cluster}": its server is ${kubeconfigServer}, the provider's is ${providerServer}; nothing was touched`, [
    'select the right context (kubectl config use-context, or cluster.context in the config), or fix cluster.kubeconfig',
  ]);
}

/**
 * Before anything is destroyed: the server of the kubeconfig the run acts through must be the
 * provider's own record of the cluster (k3d: its list; existing: the context pinned at the start).
 * A cluster that does not exist yet has nothing to mistake, so it is not asked.
 */
export async function assertKubeconfigIsProviderCluster(
  provider: Pick<ClusterProvider, 'exists' | 'apiServer'>,
  cluster: string,
  kubeconfigServer: () => Promise<string>,
): Promise<void> {
  if (!provider.apiServer) return;
  // Nothing to compare, and nothing this guard could protect, when the provider cannot be asked (its
  // tool is missing: preflight names it, and a red preflight gates every destructive step) or the
  // cluster is half made or half deleted with no kubeconfig (a crash, then --resume: delete-cluster
  // removes what is left and create-cluster makes a new one).
  let servers: [string, string];
  try {
    if (!(await provider.exists(cluster))) return;
    // Both reads at once (the guard runs before every destructive step), judged in the old order: a
    // half-made cluster has no kubeconfig (InputError: nothing to compare) and often no provider record
    // either, whose read error must not win the race (seen: ENOENT of kwokctl.yaml on --resume, exit 70).
    const [fromKubeconfig, fromProvider] = await Promise.allSettled([kubeconfigServer(), provider.apiServer(cluster)]);
    if (fromKubeconfig.status === 'rejected') throw fromKubeconfig.reason;
    if (fromProvider.status === 'rejected') throw fromProvider.reason;
    servers = [fromKubeconfig.value, fromProvider.value];
  } catch (err) {
    if (err instanceof InputError) return;
    throw err;
  }
  assertContextMatchesProvider(servers[0], servers[1], cluster);
}

/** Cluster names are DNS labels: case and stray whitespace do not make two names different. */
export function throwawayNameDiffers(prod: string, target: string): boolean {
  return prod.trim().toLowerCase() !== target.trim().toLowerCase();
}

/** Refuses (exit 3) a throwaway run whose target is the production cluster. */
export function assertThrowawayNameDiffers(prod: string, target: string, mode: string): void {
  if (throwawayNameDiffers(prod, target)) return;
  throw new RefusedError(`${mode} refuses to act on the production cluster "${prod}" (target "${target}"); nothing was touched`, [
    `a ${mode} needs a throwaway cluster: drop --name to get <name>-dt-<timestamp>-<random>, or name another cluster`,
  ]);
}
