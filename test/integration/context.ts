// What the global setup hands to the integration tests.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { ClusterProvider } from '../../src/cluster/provider.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kwokRoot: string;
    kwokCluster: string;
    kwokKubeconfig: string;
    kwokNodeName: string;
  }
}

export function integrationCluster(): { root: string; cluster: string; kubeconfig: string; nodeName: string } {
  return { root: inject('kwokRoot'), cluster: inject('kwokCluster'), kubeconfig: inject('kwokKubeconfig'), nodeName: inject('kwokNodeName') };
}

/**
 * The test's own kwok cluster as a provider that must never create or delete: steps and checks read
 * it through the real kubeconfig, and a throwaway's path mapping has tests of its own.
 */
export function liveClusterProvider(kubeconfig: string, nodeNames: string[] = []): ClusterProvider {
  return {
    name: 'kwok',
    exists: async () => true,
    create: async () => { throw new Error('not in this test'); },
    delete: async () => { throw new Error('not in this test'); },
    kubeconfig: async () => kubeconfig,
    nodeNames: async () => nodeNames,
    hostExposure: () => ({ ports: [], paths: [] }),
    throwawayIsolation: () => ({ ports: [], paths: [] }),
  };
}

/** The label a held app's pod waits for: `kubectl label node --all <HOLD_LABEL>=released` lets it run. */
export const HOLD_LABEL = 'homelab-dr.test/hold';

/**
 * Holds a run at a known point: an app whose pod selects a node label no node has, so the apps step
 * waits (up to apps.wait) and "apps is running" stays true until the test releases or interrupts it.
 */
export function holdAtApps(dir: string): void {
  mkdirSync(join(dir, 'kubernetes', 'held'));
  writeFileSync(join(dir, 'kubernetes', 'held', 'held.yaml'), `apiVersion: apps/v1
kind: Deployment
metadata: { name: held, namespace: apps }
spec:
  replicas: 1
  selector: { matchLabels: { app: held } }
  template:
    metadata: { labels: { app: held } }
    spec:
      nodeSelector: { ${HOLD_LABEL}: released }
      containers: [{ name: held, image: registry.k8s.io/pause:3.10 }]
`);
  const config = join(dir, 'homelab.yaml');
  const text = readFileSync(config, 'utf8');
  if (!text.includes('  wait: { timeout: 10m }')) throw new Error('the example changed: cannot add the held app');
  writeFileSync(config, text.replace('  wait: { timeout: 10m }', '    - name: held\n      manifests: ./kubernetes/held\n  wait: { timeout: 10m }'));
}
