// A Pod's health, and a workload's judged through its pods: a Deployment reports "Available: 0/1"
// for ten minutes while its pod crash-loops; the pod says why at once.
import type { KubeObject } from '../kube/types.js';
import { condition, current, failed, inProgress, status, type Health, type Rule } from './judge.js';

/** Waiting reasons a kubelet does not leave by itself: an image, a config or a process that is wrong. */
const STUCK_REASONS: ReadonlySet<string> = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

interface ContainerStatus {
  name: string;
  ready?: boolean;
  state?: { waiting?: { reason?: string; message?: string } };
}

function containerStatuses(pod: KubeObject): ContainerStatus[] {
  const s = status(pod);
  return [...((s['initContainerStatuses'] as ContainerStatus[] | undefined) ?? []), ...((s['containerStatuses'] as ContainerStatus[] | undefined) ?? [])];
}

export const podRule: Rule = (pod) => {
  const phase = String(status(pod)['phase'] ?? 'Pending');
  if (phase === 'Succeeded') return current('Succeeded');
  if (phase === 'Failed') return failed(`pod phase Failed${status(pod)['reason'] ? `: ${String(status(pod)['reason'])}` : ''}${status(pod)['message'] ? `: ${String(status(pod)['message'])}` : ''}`);
  for (const c of containerStatuses(pod)) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && STUCK_REASONS.has(waiting.reason)) {
      return failed(`container ${c.name}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`);
    }
  }
  if (condition(pod, 'Ready')?.status === 'True') return current('Ready');
  const containers = ((status(pod)['containerStatuses'] as ContainerStatus[] | undefined) ?? []);
  const ready = containers.filter((c) => c.ready).length;
  return inProgress(`phase ${phase}, Ready: ${ready}/${containers.length || '?'} container(s)`);
};

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** Kubernetes label-selector semantics; an empty or absent selector selects nothing here (never "all pods"). */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  const exprs = selector?.matchExpressions ?? [];
  const match = Object.entries(selector?.matchLabels ?? {});
  if (match.length === 0 && exprs.length === 0) return false;
  if (!match.every(([k, v]) => labels[k] === v)) return false;
  return exprs.every((e) => {
    const has = e.key in labels;
    if (e.operator === 'In') return has && (e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'NotIn') return !has || !(e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'Exists') return has;
    if (e.operator === 'DoesNotExist') return !has;
    return false;
  });
}

/** Workloads whose pods the controller replaces forever: a stuck pod is the workload's failure. (A Job has its own Failed condition.) */
const POD_OWNERS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

export function judgesPods(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  return obj.apiVersion === 'apps/v1' && POD_OWNERS.has(obj.kind);
}

/** The first Failed pod of a workload (same namespace, selected by its selector), or undefined. */
export function failedPodOf(workload: KubeObject, pods: readonly KubeObject[]): Health | undefined {
  if (!judgesPods(workload)) return undefined;
  const selector = (workload['spec'] as { selector?: LabelSelector } | undefined)?.selector;
  for (const pod of pods) {
    if (pod.metadata.namespace !== workload.metadata.namespace || !selects(selector, pod.metadata.labels ?? {})) continue;
    const health = podRule(pod);
    if (health.status === 'Failed') return failed(`pod ${pod.metadata.namespace}/${pod.metadata.name}: ${health.message}`);
  }
  return undefined;
}

/** A workload's health with its pods: InProgress becomes Failed when one of its pods is stuck. */
export function healthWithPods(workloadHealth: Health, workload: KubeObject, pods: readonly KubeObject[]): Health {
  if (workloadHealth.status !== 'InProgress') return workloadHealth;
  const stuck = failedPodOf(workload, pods);
  return stuck ? failed(`${workloadHealth.message}; ${stuck.message}`) : workloadHealth;
}
