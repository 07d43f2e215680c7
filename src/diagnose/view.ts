// The ladder over a whole view (a namespace, or the cluster), or over one object and what it owns:
// root causes first (pods not created, pods not placed, claims not bound), then what stays unexplained.
import { claimName } from '../k8s/pv-match.js';
import type { KubeObject } from '../kube/types.js';
import { healthOf } from '../health/rules.js';
import { asRecord } from '../util/helpers.js';
import { isOwnedBy, nameOf, records, specOf, statusOf, type Finding } from './findings.js';
import { isUnscheduled, notCreatedFindings, pendingPodFindings, wantsMorePods, type ClusterView } from './ladder.js';
import { claimDiagnosis, claimNamesOf } from './volumes.js';

/** The workload a pod belongs to: its owner, or its ReplicaSet's Deployment. */
function workloadOf(view: ClusterView, pod: KubeObject): KubeObject | undefined {
  const owner = [...view.workloads, ...view.replicaSets].find((w) => isOwnedBy(pod, w));
  if (owner?.kind !== 'ReplicaSet') return owner;
  return view.workloads.find((w) => isOwnedBy(owner, w)) ?? owner;
}

function podsOf(view: ClusterView, workload: KubeObject): KubeObject[] {
  return view.pods.filter((pod) => {
    const owner = workloadOf(view, pod);
    return owner !== undefined && owner.metadata.uid === workload.metadata.uid;
  });
}

/** Pods of one workload that are stuck for the same reason read as one finding, not one per replica. */
function podFindings(view: ClusterView, pods: readonly KubeObject[]): Array<{ finding: Finding; ownerUid?: string }> {
  const groups = new Map<string, { pods: KubeObject[]; owner?: KubeObject; finding: Omit<Finding, 'object'> }>();
  for (const pod of pods.filter(isUnscheduled)) {
    const owner = workloadOf(view, pod);
    for (const finding of pendingPodFindings(view, pod)) {
      const key = `${owner?.metadata.uid ?? pod.metadata.uid}\n${finding.problem}`;
      const group = groups.get(key);
      if (group) group.pods.push(pod);
      else groups.set(key, { pods: [pod], owner, finding });
    }
  }
  return [...groups.values()].map(({ pods: stuck, owner, finding }) => {
    const more = stuck.length > 1 ? ` and ${stuck.length - 1} more` : '';
    const of = owner ? ` (${nameOf(owner)})` : '';
    return {
      finding: { object: `${nameOf(stuck[0]!)}${more}${of}`, problem: `Pending: ${finding.problem}`, evidence: finding.evidence, fix: finding.fix },
      ownerUid: owner?.metadata.uid,
    };
  });
}

function waitingReasons(pods: readonly KubeObject[]): string[] {
  return pods.flatMap((pod) =>
    records(statusOf(pod)['containerStatuses']).flatMap((status) => {
      const waiting = asRecord(asRecord(status['state'])['waiting']);
      if (!waiting['reason']) return [];
      return [`${nameOf(pod)} container "${String(status['name'])}" waiting: ${String(waiting['reason'])}${waiting['message'] ? ` (${String(waiting['message'])})` : ''}`];
    }),
  );
}

const LONG_RUNNING = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

function unexplainedFinding(view: ClusterView, workload: KubeObject): Finding | undefined {
  if (!LONG_RUNNING.has(workload.kind) || !wantsMorePods(workload)) return undefined;
  return {
    object: nameOf(workload),
    problem: `not healthy (${healthOf(workload).message}); pods are created and placed, so the cause is past the ladder`,
    evidence: waitingReasons(podsOf(view, workload)),
    fix: [],
  };
}

function claimFinding(view: ClusterView, pvc: KubeObject): Finding[] {
  const diagnosis = claimDiagnosis(pvc, view);
  return diagnosis ? [{ object: `PersistentVolumeClaim ${claimName(pvc)}`, ...diagnosis }] : [];
}

/** Every problem the ladder can name in the view, root causes first. */
export function diagnoseView(view: ClusterView): Finding[] {
  const created = view.workloads.map((w) => ({ uid: w.metadata.uid, findings: notCreatedFindings(view, w) }));
  const placed = podFindings(view, view.pods);
  const explained = new Set([...created.filter((c) => c.findings.length > 0).map((c) => c.uid), ...placed.map((p) => p.ownerUid)]);
  const stuckPods = view.pods.filter(isUnscheduled);
  const claimsInUse = new Set(stuckPods.flatMap((pod) => claimNamesOf(pod).map((name) => `${pod.metadata.namespace ?? 'default'}/${name}`)));
  // A Pending PVC with a selector waits for a hand-made PV (provisioners do not honour selectors).
  const claims = view.pvcs
    .filter((pvc) => statusOf(pvc)['phase'] !== 'Bound' && specOf(pvc)['selector'] !== undefined && !claimsInUse.has(claimName(pvc)))
    .flatMap((pvc) => claimFinding(view, pvc));
  const unexplained = view.workloads.filter((w) => !explained.has(w.metadata.uid)).flatMap((w) => unexplainedFinding(view, w) ?? []);
  return [...created.flatMap((c) => c.findings), ...placed.map((p) => p.finding), ...claims, ...unexplained];
}

function sameObject(a: KubeObject, b: KubeObject): boolean {
  return a.kind === b.kind && a.metadata.name === b.metadata.name && (a.metadata.namespace ?? '') === (b.metadata.namespace ?? '');
}

/** Why one object is not healthy: the object, and the pods and claims it depends on. */
export function findingsFor(view: ClusterView, target: KubeObject): Finding[] {
  const all = [...view.workloads, ...view.replicaSets, ...view.pods, ...view.pvcs];
  const live = all.find((obj) => sameObject(obj, target)) ?? target;
  if (live.kind === 'Pod') return podFindings(view, [live]).map((p) => p.finding);
  if (live.kind === 'PersistentVolumeClaim') return claimFinding(view, live);
  if (!['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet'].includes(live.kind)) return [];
  const pods = podsOf(view, live);
  return diagnoseView({ ...view, workloads: [live], pods, pvcs: view.pvcs.filter((pvc) => pods.some((pod) => claimNamesOf(pod).includes(pvc.metadata.name))) });
}
