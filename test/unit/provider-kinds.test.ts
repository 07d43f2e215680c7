// The provider descriptors answer offline what steps used to ask the provider's name; these pin that
// each answer matches what the live provider class does.
import { describe, expect, test } from 'vitest';
import { providerFor } from '../../src/cluster/index.js';
import { PROVIDER_KINDS } from '../../src/cluster/kinds.js';
import { loadConfig } from '../../src/config/load.js';
import type { ProviderName } from '../../src/config/types.js';
import { buildSteps } from '../../steps/index.js';

const names = Object.keys(PROVIDER_KINDS) as ProviderName[];

describe('provider kinds', () => {
  test.each(names)('%s: a local-process controller exactly where the live provider can start one', async (name) => {
    const provider = await providerFor(name, { stateDir: '/nonexistent/hdr-kinds' });
    expect(PROVIDER_KINDS[name].name).toBe(provider.name);
    expect(PROVIDER_KINDS[name].sealedSecretsController === 'local-process').toBe(typeof provider.startLocalSealedSecrets === 'function');
  });

  test('existing drops delete-cluster, and create-cluster then needs what delete-cluster needed', async () => {
    const config = await loadConfig('config/example/homelab.yaml');
    const byId = (provider: ProviderName) => new Map(buildSteps({ ...config, cluster: { ...config.cluster, provider } }).map((s) => [s.id, s.needs]));
    expect(byId('existing').has('delete-cluster')).toBe(false);
    expect(byId('existing').get('create-cluster')).toEqual(['preflight']);
    expect(byId('kwok').get('create-cluster')).toEqual(['delete-cluster']);
    expect([...byId('existing').keys()]).toEqual([...byId('k3d').keys()].filter((id) => id !== 'delete-cluster'));
  });

  test('only k3d publishes host ports and paths; a throwaway k3d plan names none of production\'s', async () => {
    const { cluster } = await loadConfig('config/example/homelab.yaml');
    expect(PROVIDER_KINDS.k3d.hostExposure(cluster).ports).toEqual(cluster.ports.map((p) => p.port));
    expect(PROVIDER_KINDS.kwok.hostExposure(cluster)).toEqual({ ports: [], paths: [] });
    expect(PROVIDER_KINDS.existing.hostExposure(cluster)).toEqual({ ports: [], paths: [] });
    const production = PROVIDER_KINDS.k3d.createPlan('homelab', cluster, false).join('\n');
    const throwaway = PROVIDER_KINDS.k3d.createPlan('homelab-dt-x', cluster, true).join('\n');
    for (const p of cluster.ports) {
      expect(production).toContain(`port ${p.port}`);
      expect(throwaway).not.toContain(`port ${p.port}`);
    }
  });
});
