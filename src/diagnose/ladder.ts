// The rungs of the diagnosis ladder, pure functions over objects and events:
// 1. pods not created → the controller one level up (ReplicaSet of a Deployment) and its FailedCreate;
// 2. pods Pending → the scheduler's FailedScheduling, read into the one block that holds each pod.
import { healthOf } from '../health/rules.js';
import type { KubeEvent, KubeObject } from '../kube/types.js';
import { enforceLabelDrift } from './declared-drift.js';
import { conditionOf, describeEvent, isOwnedBy, latestEvent, nameOf, specOf, statusOf, type Finding } from './findings.js';
import { placementDiagnosis, type Diagnosis } from './placement.js';
import { parsePodSecurityRejection } from './podsecurity-message.js';
import { parseFailedScheduling, type BlockKind } from './scheduling-message.js';
import { podVolumeDiagnoses } from './volumes.js';

/** Everything the ladder reads, fetched once (see diagnose.ts). */
export interface ClusterView {
  /** Deployments, StatefulSets, DaemonSets, Jobs, and ReplicaSets no Deployment owns. */
  workloads: KubeObject[];
  replicaSets: KubeObject[];
  pods: KubeObject[];
  pvcs: KubeObject[];
  pvs: KubeObject[];
  nodes: KubeObject[];
  events: KubeEvent[];
  /** Every PVC of every namespace, to judge each PV's claimRef (pvcs holds the view's own). */
  claims: KubeObject[];
  /** The config's storage-file PVs, to tell a PV made by hand; absent when no storage file was read. */
  declared?: KubeObject[];
  /** The config's namespaces file, to tell a PodSecurity label changed on the cluster; absent when not read. */
  declaredNamespaces?: KubeObject[];
}

/** Whether the controller should be creating pods now: old FailedCreate events outlive a fix by an hour. */
export function wantsMorePods(obj: KubeObject): boolean {
  if (obj.kind === 'ReplicaSet') {
    const desired = typeof specOf(obj)['replicas'] === 'number' ? (specOf(obj)['replicas'] as number) : 1;
    return Number(statusOf(obj)['replicas'] ?? 0) < desired;
  }
  return healthOf(obj).status !== 'Current';
}

/** Where FailedCreate is recorded: a Deployment's ReplicaSets, every other controller itself. */
function creators(view: ClusterView, workload: KubeObject): KubeObject[] {
  if (workload.kind !== 'Deployment') return [workload];
  return view.replicaSets.filter((rs) => isOwnedBy(rs, workload) && wantsMorePods(rs));
}

function failedCreateEvidence(view: ClusterView, creator: KubeObject): { message: string; evidence: string } | undefined {
  const event = latestEvent(view.events, creator, 'FailedCreate');
  if (event?.message) return { message: event.message, evidence: describeEvent(creator, event) };
  // Events expire after an hour; the ReplicaSet's ReplicaFailure condition keeps the last message.
  const failure = conditionOf(creator, 'ReplicaFailure');
  if (failure?.['status'] === 'True' && typeof failure['message'] === 'string') {
    return { message: failure['message'], evidence: `${nameOf(creator)} condition ReplicaFailure (${String(failure['reason'] ?? '')}): ${failure['message']}` };
  }
  return undefined;
}

/** Fixes for the FailedCreate causes other than PodSecurity that a rebuild meets. */
function otherCreateFixes(message: string, namespace: string): string[] {
  const account = /serviceaccount "([^"]+)" not found/.exec(message);
  if (account) return [`create ServiceAccount ${namespace}/${account[1]} (apply it before the workload)`];
  if (message.includes('exceeded quota')) return [`raise the ResourceQuota in namespace ${namespace}, or lower the pod template's requests`];
  return [];
}

export function notCreatedFindings(view: ClusterView, workload: KubeObject): Finding[] {
  if (!wantsMorePods(workload)) return [];
  return creators(view, workload).flatMap((creator): Finding[] => {
    const failed = failedCreateEvidence(view, creator);
    if (!failed) return [];
    const via = creator === workload ? 'it cannot create its pods' : `its ${nameOf(creator)} cannot create pods`;
    const rejection = parsePodSecurityRejection(failed.message);
    if (rejection) {
      const checks = rejection.violations.length;
      const labelDrift = enforceLabelDrift(view.declaredNamespaces, workload.metadata.namespace ?? 'default', rejection.policy);
      return [{
        object: nameOf(workload),
        problem: `${via}: PodSecurity "${rejection.policy}" rejects them (${checks} violation${checks === 1 ? '' : 's'}: ${rejection.violations.join(', ')})${labelDrift ? `; ${labelDrift.drift}` : ''}`,
        evidence: [failed.evidence],
        fix: [...(labelDrift ? [labelDrift.fix] : []), ...rejection.checklist],
      }];
    }
    return [{
      object: nameOf(workload),
      problem: `${via} (FailedCreate)`,
      evidence: [failed.evidence],
      fix: otherCreateFixes(failed.message, workload.metadata.namespace ?? 'default'),
    }];
  });
}

export function isUnscheduled(pod: KubeObject): boolean {
  return !specOf(pod)['nodeName'] && String(statusOf(pod)['phase'] ?? 'Pending') === 'Pending';
}

function schedulerMessage(view: ClusterView, pod: KubeObject): { message: string; evidence: string } | undefined {
  const event = latestEvent(view.events, pod, 'FailedScheduling');
  if (event?.message) return { message: event.message, evidence: describeEvent(pod, event) };
  const scheduled = conditionOf(pod, 'PodScheduled');
  if (scheduled?.['status'] === 'False' && typeof scheduled['message'] === 'string' && scheduled['message']) {
    return { message: scheduled['message'], evidence: `${nameOf(pod)} condition PodScheduled=False (${String(scheduled['reason'] ?? '')}): ${scheduled['message']}` };
  }
  return undefined;
}

// The block a person can act on first: the pod's own constraints, then storage, then capacity.
const BLOCK_ORDER: readonly BlockKind[] = ['node-selector', 'taint', 'volume', 'unschedulable-node', 'resources', 'other'];

/** A Pending pod: one finding per kind of block the scheduler reports, each naming its cause. */
export function pendingPodFindings(view: ClusterView, pod: KubeObject): Diagnosis[] {
  if (!isUnscheduled(pod)) return [];
  const scheduler = schedulerMessage(view, pod);
  if (!scheduler) return [];
  const failure = parseFailedScheduling(scheduler.message);
  if (!failure) return [{ problem: 'the scheduler cannot place it', evidence: [scheduler.evidence], fix: [] }];
  const blocks = [...failure.blocks].sort((a, b) => BLOCK_ORDER.indexOf(a.kind) - BLOCK_ORDER.indexOf(b.kind));
  const seenKinds = new Set<BlockKind>();
  return blocks.flatMap((block): Diagnosis[] => {
    // One finding per kind: a second "Insufficient memory" adds nothing a person acts on differently.
    if (block.kind !== 'other' && block.kind !== 'resources' && seenKinds.has(block.kind)) return [];
    seenKinds.add(block.kind);
    const found =
      block.kind === 'volume'
        ? podVolumeDiagnoses(pod, view.pvcs, view)
        : [placementDiagnosis(pod, view.nodes, block)];
    const named = found.length > 0 ? found : [{ problem: `the scheduler reports: ${block.nodes} ${block.reason}`, evidence: [], fix: [] }];
    return named.map((d) => ({ ...d, evidence: [scheduler.evidence, ...d.evidence] }));
  });
}
