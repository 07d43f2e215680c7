// The offline PodSecurity evaluator must give the real kube-apiserver's verdicts: every Pod of the
// corpus is dry-run server-side into namespaces enforcing baseline and restricted, and the apiserver's
// answer, the corpus' expected verdict and the evaluator's verdict must all agree.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import { loadManifests } from '../../src/k8s/manifests.js';
import { evaluatePodSecurity } from '../../src/k8s/podsecurity.js';
import type { KubeObject as ManifestObject } from '../../src/k8s/types.js';
import { integrationCluster } from './context.js';
import { dryRunVerdict, PSA_LEVELS as levels, psaNamespaces } from './psa-namespaces.js';

const namespaces = psaNamespaces('psa');
let kube: KubeClient;
let corpus: ManifestObject[];

beforeAll(async () => {
  kube = await KubeClient.fromKubeconfig(integrationCluster().kubeconfig);
  corpus = (await loadManifests('test/fixtures/k8s/psa-corpus.yaml')).map((o) => o.obj);
  await namespaces.create(kube);
});

afterAll(async () => {
  await namespaces.remove(kube);
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
        const server = await dryRunVerdict(kube, pod, namespaces.name(level));
        const offline = evaluatePodSecurity(pod, { level, version: 'latest' });
        const ours = offline.allowed ? 'allowed' : 'forbidden';
        // An invalid (422) corpus pod is a disagreement too: the corpus must hold only valid specs.
        if (server.verdict !== expected || ours !== server.verdict) {
          disagreements.push(`${pod.metadata.name}: apiserver ${server.verdict}, corpus ${expected}, evaluator ${ours}${server.message ? ` (${server.message})` : ''}`);
        }
      }
      expect(disagreements).toEqual([]);
    });
  }
});
