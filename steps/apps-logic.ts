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
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${(obj.metadata.name ?? 'workload').slice(0, 50)}-psa-probe`,
      namespace: obj.metadata.namespace,
      labels,
      annotations,
    },
    spec: template.spec,
  };
}

export interface Rejection {
  object: string;
  message: string;
}

export function rejectionSummary(rejections: readonly Rejection[], total: number): string {
  return `server-side dry-run rejected ${rejections.length} of ${total} object(s); nothing was applied: ${rejections.map((r) => r.object).join(', ')}`;
}
