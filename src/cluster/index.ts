// Which provider implementations exist. A provider that is not built yet is refused up front (exit 3),
// so a run never gets halfway and then discovers it cannot create its cluster.
import type { ClusterConfig, ProviderName } from '../config/types.js';
import { RefusedError } from '../util/errors.js';
import type { ClusterProvider } from './provider.js';

export const AVAILABLE_PROVIDERS: readonly ProviderName[] = ['kwok', 'k3d', 'existing'];

export async function providerFor(name: ProviderName, opts: { stateDir?: string; cluster?: ClusterConfig } = {}): Promise<ClusterProvider> {
  if (name === 'kwok') {
    const { KwokProvider } = await import('./kwok.js');
    return new KwokProvider(opts.stateDir ? { root: `${opts.stateDir}/kwok` } : {});
  }
  if (name === 'k3d') {
    const { K3dProvider } = await import('./k3d.js');
    return new K3dProvider(opts.stateDir ? { root: `${opts.stateDir}/k3d` } : {});
  }
  if (name === 'existing') {
    const { ExistingProvider } = await import('./existing.js');
    return new ExistingProvider({
      kubeconfig: opts.cluster?.kubeconfig,
      context: opts.cluster?.context,
      ...(opts.stateDir ? { root: `${opts.stateDir}/existing` } : {}),
    });
  }
  throw new RefusedError(`provider "${name}" is not built yet (available: ${AVAILABLE_PROVIDERS.join(', ')}); try --provider kwok for a rehearsal`);
}
