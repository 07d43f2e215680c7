// Which provider implementations exist. A provider that is not built yet is refused up front (exit 3),
// so a run never gets halfway and then discovers it cannot create its cluster.
import type { ProviderName } from '../config/types.js';
import { RefusedError } from '../util/errors.js';
import type { ClusterProvider } from './provider.js';

export const AVAILABLE_PROVIDERS: readonly ProviderName[] = ['kwok'];

export async function providerFor(name: ProviderName, opts: { stateDir?: string } = {}): Promise<ClusterProvider> {
  if (name === 'kwok') {
    const { KwokProvider } = await import('./kwok.js');
    return new KwokProvider(opts.stateDir ? { root: `${opts.stateDir}/kwok` } : {});
  }
  throw new RefusedError(`provider "${name}" is not built yet (available: ${AVAILABLE_PROVIDERS.join(', ')}); try --provider kwok for a rehearsal`);
}
