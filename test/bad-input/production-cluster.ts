// The kwok "production" cluster of the hard-reset cases: named like the config's cluster, in the state
// dir the CLI will be pointed at, with a marker ConfigMap. If a refused hard-reset destroyed anything,
// the cluster or the marker (with its uid) would be gone afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KwokProvider } from '../../src/cluster/kwok.js';
import { KubeClient } from '../../src/kube/client.js';

const MARKER = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bad-input-marker', namespace: 'default' }, data: { planted: 'before the case ran' } };

export interface ProductionCluster {
  /** XDG_STATE_HOME for the CLI: its state dir is `${stateHome}/homelab-dr`, its kwok root `${stateHome}/homelab-dr/kwok`. */
  stateHome: string;
  /** Whether the cluster and the very marker planted at creation still exist. */
  intact(): Promise<{ clusterExists: boolean; markerUid?: string; expectedUid: string }>;
  destroy(): Promise<void>;
  /** Synchronous teardown for process exit (an interrupted run never awaits anything). */
  destroyNow(): void;
}

export async function createProductionCluster(name: string, nodeName: string): Promise<ProductionCluster> {
  const stateHome = mkdtempSync(join(tmpdir(), 'hdr-bad-input-prod-'));
  const provider = new KwokProvider({ root: join(stateHome, 'homelab-dr', 'kwok') });
  const destroy = async (): Promise<void> => {
    try {
      await provider.delete(name);
    } finally {
      rmSync(stateHome, { recursive: true, force: true });
    }
  };
  try {
    await provider.create(name, { nodeName });
    const client = await KubeClient.fromKubeconfig(await provider.kubeconfig(name));
    const planted = await client.apply(MARKER);
    client.close();
    const expectedUid = planted.metadata.uid ?? '';
    return {
      stateHome,
      destroy,
      destroyNow: () => {
        try {
          provider.deleteNow(name);
        } finally {
          rmSync(stateHome, { recursive: true, force: true });
        }
      },
      intact: async () => {
        if (!(await provider.exists(name))) return { clusterExists: false, expectedUid };
        const reader = await KubeClient.fromKubeconfig(await provider.kubeconfig(name));
        try {
          return { clusterExists: true, markerUid: (await reader.get({ apiVersion: 'v1', kind: 'ConfigMap', ...MARKER.metadata }))?.metadata.uid, expectedUid };
        } finally {
          reader.close();
        }
      },
    };
  } catch (err) {
    await destroy();
    throw err;
  }
}
