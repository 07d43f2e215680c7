// Pure parts of the apps step: which objects to dry-run as what, and how to say why a wait failed.
import { hasPodTemplate, podTemplateOf } from '../src/k8s/podsecurity.js';
import type { KubeObject } from '../src/k8s/types.js';

/**
 * A workload is admitted even when its pods will not be: PodSecurity judges pods. So the dry-run also
 * submits a Pod made from each workload's template, in the workload's namespace, to see the verdict
 * the ReplicaSet would get at the next pod creation (the incident's time bomb).
 */
export function podProbeFor(obj: KubeObject): KubeObject | undefined {
  if (obj.kind === 'Pod' || !hasPodTemplate(obj)) return undefined;
  const template = podTemplateOf(obj);
  if (!template) return undefined;
  const labels = (template.metadata['labels'] as Record<string, string> | undefined) ?? {};
  const annotations = (template.metadata['annotations'] as Record<string, string> | undefined) ?? {};
  // PodSecurity does not look at the ServiceAccount, but ServiceAccount admission runs first and would
  // reject a probe whose account is created in the same apply: the probe runs as `default`.
  const { serviceAccountName: _sa, serviceAccount: _legacySa, ...spec } = template.spec;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${(obj.metadata.name ?? 'workload').slice(0, 50)}-psa-probe`,
      namespace: obj.metadata.namespace,
      labels,
      annotations,
    },
    spec: { ...spec, automountServiceAccountToken: false },
  };
}

/** The probe exists for the PodSecurity verdict only; anything else it meets is the real object's business. */
export function isPodSecurityRejection(message: string): boolean {
  return message.includes('violates PodSecurity');
}

export interface Rejection {
  object: string;
  message: string;
}

export function rejectionSummary(rejections: readonly Rejection[], total: number): string {
  return `server-side dry-run rejected ${rejections.length} of ${total} object(s); nothing was applied: ${rejections.map((r) => r.object).join(', ')}`;
}
