// The offline PodSecurity evaluator must give the real kube-apiserver's verdicts: every Pod of the
// corpus is dry-run server-side into namespaces enforcing baseline and restricted, and the apiserver's
// answer, the corpus' expected verdict and the evaluator's verdict must all agree.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/types.js';
import { loadManifests } from '../../src/k8s/manifests.js';
import { evaluatePodSecurity } from '../../src/k8s/podsecurity.js';
import type { KubeObject as ManifestObject } from '../../src/k8s/types.js';
import { integrationCluster } from './context.js';

const levels = ['baseline', 'restricted'] as const;
const suffix = randomBytes(3).toString('hex');
const ns = (level: string) => `psa-${level}-${suffix}`;
let kube: KubeClient;
let corpus: ManifestObject[];

async function apiserverAllows(pod: ManifestObject, level: string): Promise<{ allowed: boolean; message: string }> {
  const obj = { ...pod, metadata: { ...pod.metadata, namespace: ns(level) } } as unknown as KubeObject;
  try {
    await kube.apply(obj, { dryRun: true });
    return { allowed: true, message: '' };
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 403 && err.apiMessage.includes('violates PodSecurity')) {
      return { allowed: false, message: err.apiMessage };
    }
    throw err;
  }
}

beforeAll(async () => {
  kube = await KubeClient.fromKubeconfig(integrationCluster().kubeconfig);
  corpus = (await loadManifests('test/fixtures/k8s/psa-corpus.yaml')).map((o) => o.obj);
  for (const level of levels) {
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns(level), labels: { 'pod-security.kubernetes.io/enforce': level, 'pod-security.kubernetes.io/enforce-version': 'latest' } } });
  }
  // ServiceAccount admission needs the namespace's default account before any Pod is admitted.
  for (const level of levels) {
    await kube.waitFor({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: ns(level), name: 'default' }, () => true, { timeoutMs: 30_000, what: `default ServiceAccount in ${ns(level)}` });
  }
});

afterAll(async () => {
  for (const level of levels) await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns(level) }).catch(() => undefined);
  kube.close();
});

describe('PodSecurity corpus against the real kube-apiserver', () => {
  it('has a corpus worth the name', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(25);
  });

  for (const level of levels) {
    it(`every verdict at ${level} matches the apiserver's`, async () => {
      const disagreements: string[] = [];
      for (const pod of corpus) {
        const expected = pod.metadata.annotations?.[`psa.homelab-dr.test/${level}`];
        const server = await apiserverAllows(pod, level);
        const offline = evaluatePodSecurity(pod, { level, version: 'latest' });
        const verdict = (b: boolean) => (b ? 'allowed' : 'forbidden');
        if (verdict(server.allowed) !== expected || offline.allowed !== server.allowed) {
          disagreements.push(`${pod.metadata.name}: apiserver ${verdict(server.allowed)}, corpus ${expected}, evaluator ${verdict(offline.allowed)}${server.message ? ` (${server.message})` : ''}`);
        }
      }
      expect(disagreements).toEqual([]);
    });
  }
});
