// The I/O side of the diagnosis ladder: fetch what the pure rungs read (workloads, their ReplicaSets,
// pods, claims, volumes, nodes, events) once, then hand it to them.
import type { KubeClient } from '../kube/client.js';
import type { KubeEvent, KubeObject } from '../kube/types.js';
import { describeObject } from '../k8s/types.js';
import { errorMessage } from '../util/errors.js';
import { formatFinding, ownerUids, type Finding } from './findings.js';
import type { ClusterView } from './ladder.js';
import { diagnoseView, findingsFor } from './view.js';

export type { Finding } from './findings.js';

const WORKLOAD_KINDS = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  { apiVersion: 'batch/v1', kind: 'Job' },
] as const;

/** Reads the view of one namespace (or of every namespace when none is given). */
export async function loadView(kube: KubeClient, namespace?: string, declared?: KubeObject[], declaredNamespaces?: KubeObject[]): Promise<ClusterView> {
  const inNamespace = (apiVersion: string, kind: string) => kube.list({ apiVersion, kind, namespace });
  const [workloadLists, replicaSets, pods, claims, events, pvs, nodes] = await Promise.all([
    Promise.all(WORKLOAD_KINDS.map((k) => inNamespace(k.apiVersion, k.kind))),
    inNamespace('apps/v1', 'ReplicaSet'),
    inNamespace('v1', 'Pod'),
    // Every namespace: a PV's claimRef may name a claim of another app.
    kube.list({ apiVersion: 'v1', kind: 'PersistentVolumeClaim' }),
    inNamespace('v1', 'Event') as Promise<KubeEvent[]>,
    kube.list({ apiVersion: 'v1', kind: 'PersistentVolume' }),
    kube.list({ apiVersion: 'v1', kind: 'Node' }),
  ]);
  // A ReplicaSet no one owns is a workload of its own; one a Deployment owns is looked at through it.
  const unowned = replicaSets.filter((rs) => ownerUids(rs).length === 0);
  const pvcs = namespace ? claims.filter((c) => c.metadata.namespace === namespace) : claims;
  return { workloads: [...workloadLists.flat(), ...unowned], replicaSets, pods, pvcs, pvs, nodes, events, claims, ...(declared ? { declared } : {}), ...(declaredNamespaces ? { declaredNamespaces } : {}) };
}

export async function diagnoseNamespace(kube: KubeClient, namespace?: string): Promise<Finding[]> {
  return diagnoseView(await loadView(kube, namespace));
}

/** Why one object (a workload, Pod or PVC) is not healthy; empty when the ladder names nothing. */
export async function diagnoseObject(kube: KubeClient, obj: KubeObject): Promise<Finding[]> {
  if (!obj.metadata.namespace) return [];
  return findingsFor(await loadView(kube, obj.metadata.namespace), obj);
}

/**
 * Lines to append when a wait for `obj` times out. Never throws: a diagnosis that cannot run must not
 * hide the timeout it was asked to explain.
 */
export async function explainUnhealthy(kube: KubeClient, obj: KubeObject): Promise<string[]> {
  try {
    return (await diagnoseObject(kube, obj)).flatMap(formatFinding);
  } catch (err) {
    return [`diagnosis of ${describeObject(obj)} could not run: ${errorMessage(err)}`];
  }
}
