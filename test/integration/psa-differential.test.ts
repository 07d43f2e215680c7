// The differential proof of issue 4: for generated Pod specs (every single-field mutation on two base
// pods, then seeded combinations), the offline PodSecurity evaluator's verdict equals the real
// kube-apiserver's server-side dry-run verdict, at baseline and at restricted. Specs the apiserver
// rejects as invalid (422, before PodSecurity admission) are counted and left out of the comparison.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import { evaluatePodSecurity } from '../../src/k8s/podsecurity.js';
import type { KubeObject as ManifestObject } from '../../src/k8s/types.js';
import { generatePods, MUTATIONS } from '../fixtures/k8s/psa-generator.js';
import { integrationCluster } from './context.js';
import { dryRunVerdict, PSA_LEVELS as levels, psaNamespaces, type ServerVerdict as Verdict } from './psa-namespaces.js';

const SEED = Number(process.env.HOMELAB_DR_PSA_SEED ?? 20261202);
const COMBINATIONS = 260;
const namespaces = psaNamespaces('psa-gen');
const pods = generatePods(SEED, COMBINATIONS);
let kube: KubeClient;

beforeAll(async () => {
  kube = await KubeClient.fromKubeconfig(integrationCluster().kubeconfig);
  await namespaces.create(kube);
});

afterAll(async () => {
  await namespaces.remove(kube);
  kube.close();
});

describe(`PodSecurity differential: ${pods.length} generated pods (seed ${SEED}) against the real kube-apiserver`, () => {
  for (const level of levels) {
    it(`the offline verdict equals the apiserver's for every valid pod at ${level}`, async () => {
      const disagreements: string[] = [];
      const counts: Record<Verdict, number> = { allowed: 0, forbidden: 0, invalid: 0 };
      const invalid: string[] = [];
      for (const { name, mutations, pod } of pods) {
        const server = await dryRunVerdict(kube, pod, namespaces.name(level));
        counts[server.verdict] += 1;
        if (server.verdict === 'invalid') {
          invalid.push(`${mutations.join('+')}: ${server.message.slice(0, 160)}`);
          continue;
        }
        const offline = evaluatePodSecurity(pod as unknown as ManifestObject, { level, version: 'latest' });
        const ours: Verdict = offline.allowed ? 'allowed' : 'forbidden';
        if (ours !== server.verdict) disagreements.push(`${name} [${mutations.join(' + ')}]: apiserver ${server.verdict}, evaluator ${ours}${server.message ? ` (${server.message})` : ''}`);
      }
      console.log(`[integration] PSA ${level}: ${counts.allowed} allowed, ${counts.forbidden} forbidden, ${counts.invalid} invalid (excluded), ${disagreements.length} disagreement(s)`);
      if (invalid.length > 0) console.log(`[integration] PSA ${level} invalid specs:\n  ${invalid.slice(0, 8).join('\n  ')}`);
      expect(disagreements).toEqual([]);
      // The comparison is worth the name: at least 300 verdicts, and both verdicts well represented.
      expect(counts.allowed + counts.forbidden).toBeGreaterThanOrEqual(300);
      expect(Math.min(counts.allowed, counts.forbidden)).toBeGreaterThanOrEqual(50);
      expect(counts.invalid).toBeLessThan(pods.length * 0.1);
    });
  }

  it('covers every mutation on its own', () => {
    expect(pods.length).toBeGreaterThanOrEqual(2 * (MUTATIONS.length + 1) + COMBINATIONS);
  });
});
