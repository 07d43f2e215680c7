// Namespaces enforcing each PodSecurity level, and the real apiserver's verdict on a Pod dry-run into
// one: what the PodSecurity corpus and the differential test both compare the offline evaluator with.
import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/types.js';

export const PSA_LEVELS = ['baseline', 'restricted'] as const;
export type PsaLevel = (typeof PSA_LEVELS)[number];
export type ServerVerdict = 'allowed' | 'forbidden' | 'invalid';

export function psaNamespaces(prefix: string) {
  const suffix = randomBytes(3).toString('hex');
  const name = (level: PsaLevel) => `${prefix}-${level}-${suffix}`;
  return {
    name,
    async create(kube: KubeClient): Promise<void> {
      for (const level of PSA_LEVELS) {
        const labels = { 'pod-security.kubernetes.io/enforce': level, 'pod-security.kubernetes.io/enforce-version': 'latest' };
        await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: name(level), labels } });
      }
      // ServiceAccount admission needs the namespace's default account before any Pod is admitted.
      for (const level of PSA_LEVELS) {
        await kube.waitFor({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: name(level), name: 'default' }, () => true, { timeoutMs: 30_000, what: `default ServiceAccount in ${name(level)}` });
      }
    },
    async remove(kube: KubeClient): Promise<void> {
      for (const level of PSA_LEVELS) await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: name(level) }).catch(() => undefined);
    },
  };
}

/** Server-side dry-run: 403 "violates PodSecurity" is forbidden, 422 is an invalid spec; anything else throws. */
export async function dryRunVerdict(kube: KubeClient, pod: object, namespace: string): Promise<{ verdict: ServerVerdict; message: string }> {
  const metadata = (pod as { metadata?: Record<string, unknown> }).metadata ?? {};
  const obj = { ...pod, metadata: { ...metadata, namespace } } as unknown as KubeObject;
  try {
    await kube.apply(obj, { dryRun: true });
    return { verdict: 'allowed', message: '' };
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 403 && err.apiMessage.includes('violates PodSecurity')) return { verdict: 'forbidden', message: err.apiMessage };
    if (err instanceof KubeApiError && err.status === 422) return { verdict: 'invalid', message: err.apiMessage };
    throw err;
  }
}
