// Why the scheduler places a pod on no node: its node selector or affinity, a taint it does not
// tolerate, not enough of a resource, or cordoned nodes. Each names the selector, taint or resource.
import type { KubeObject } from '../kube/types.js';
import { asRecord } from '../util/helpers.js';
import { records, specOf, statusOf, type Finding } from './findings.js';
import { describeLabels, describeTerms, podAffinityTerms, podNodeSelector, selectorMismatches, termMatches } from './node-match.js';
import type { SchedulingBlock } from './scheduling-message.js';

export type Diagnosis = Omit<Finding, 'object'>;

function nodeSelectorDiagnosis(pod: KubeObject, nodes: readonly KubeObject[]): Diagnosis {
  const selector = podNodeSelector(pod);
  const terms = podAffinityTerms(pod);
  const evidence: string[] = [];
  const fix: string[] = [];
  const wanted: string[] = [];
  if (Object.keys(selector).length > 0) {
    wanted.push(`nodeSelector ${describeLabels(selector)}`);
    for (const node of nodes) {
      const mismatches = selectorMismatches(selector, node);
      if (mismatches.length > 0) evidence.push(`node ${node.metadata.name} ${mismatches.join('; ')}`);
    }
    const target = nodes[0]?.metadata.name ?? 'NODE';
    fix.push(`label the node that should run it: kubectl label node ${target} ${describeLabels(selector)}`);
    fix.push(`or change the pod template's nodeSelector (${describeLabels(selector)}) to labels a node has`);
  }
  if (terms.length > 0 && nodes.every((node) => !terms.some((term) => termMatches(term, node)))) {
    wanted.push(`required node affinity ${describeTerms(terms)}`);
    for (const node of nodes) evidence.push(`node ${node.metadata.name} matches no required node affinity term`);
    fix.push(`label a node to satisfy ${describeTerms(terms)}, or relax the pod's required node affinity`);
  }
  if (nodes.length === 0) evidence.push('the cluster has no nodes');
  return { problem: `no node matches its ${wanted.join(' and ') || 'node selector or affinity'}`, evidence, fix };
}

function tolerates(pod: KubeObject, taint: Record<string, unknown>): boolean {
  return records(specOf(pod)['tolerations']).some((t) => {
    if (t['effect'] && t['effect'] !== taint['effect']) return false;
    if (t['operator'] === 'Exists') return !t['key'] || t['key'] === taint['key'];
    return t['key'] === taint['key'] && String(t['value'] ?? '') === String(taint['value'] ?? '');
  });
}

function blockingTaints(pod: KubeObject, nodes: readonly KubeObject[], block: SchedulingBlock): Array<{ node: string; taint: Record<string, unknown> }> {
  return nodes.flatMap((node) =>
    records(specOf(node)['taints'])
      .filter((t) => t['effect'] === 'NoSchedule' || t['effect'] === 'NoExecute')
      .filter((t) => !block.taint || (t['key'] === block.taint.key && String(t['value'] ?? '') === block.taint.value))
      .filter((t) => !tolerates(pod, t))
      .map((taint) => ({ node: node.metadata.name, taint })),
  );
}

function describeTaint(taint: Record<string, unknown>): string {
  const value = String(taint['value'] ?? '');
  return `${String(taint['key'])}${value ? `=${value}` : ''}:${String(taint['effect'])}`;
}

function taintDiagnosis(pod: KubeObject, nodes: readonly KubeObject[], block: SchedulingBlock): Diagnosis {
  const found = blockingTaints(pod, nodes, block);
  const taints = [...new Set(found.map((f) => describeTaint(f.taint)))];
  const named = taints.length > 0 ? taints.join(', ') : (block.subject ?? 'a taint');
  const fix = found.flatMap(({ node, taint }) => [
    `tolerate it in the pod template: {key: ${String(taint['key'])}, operator: Equal, value: "${String(taint['value'] ?? '')}", effect: ${String(taint['effect'])}}`,
    `or remove the taint: kubectl taint node ${node} ${describeTaint(taint)}-`,
  ]);
  return {
    problem: `${block.nodes} node(s) carry taint ${named}, which the pod does not tolerate`,
    evidence: found.map(({ node, taint }) => `node ${node} has taint ${describeTaint(taint)}`),
    fix: fix.length > 0 ? [...new Set(fix)] : [`tolerate taint ${named} in the pod template, or remove it from the node(s)`],
  };
}

function containerRequests(pod: KubeObject, resource: string): string[] {
  return records(specOf(pod)['containers']).flatMap((c) => {
    const request = asRecord(asRecord(c['resources'])['requests'])[resource];
    return request === undefined ? [] : [`container "${String(c['name'])}" ${String(request)}`];
  });
}

function resourceDiagnosis(pod: KubeObject, nodes: readonly KubeObject[], block: SchedulingBlock): Diagnosis {
  const resource = block.subject ?? 'resources';
  const requests = resource === 'pods' ? [] : containerRequests(pod, resource);
  const allocatable = nodes.map((node) => `node ${node.metadata.name} allocatable ${resource} ${String(asRecord(statusOf(node)['allocatable'])[resource] ?? 'none')}`);
  return {
    problem: `${block.nodes} node(s) lack the ${resource} it requests (${block.reason})`,
    evidence: [...(requests.length > 0 ? [`the pod requests ${resource}: ${requests.join(', ')}`] : []), ...allocatable],
    fix: [
      resource === 'pods'
        ? 'the node runs its maximum number of pods: remove pods, or raise the kubelet maxPods'
        : `lower the ${resource} requests (${requests.join(', ') || 'none set'}) to fit what a node has free, or free ${resource} on a node`,
    ],
  };
}

function cordonedDiagnosis(nodes: readonly KubeObject[], block: SchedulingBlock): Diagnosis {
  const cordoned = nodes.filter((node) => specOf(node)['unschedulable'] === true).map((node) => node.metadata.name);
  return {
    problem: `${block.nodes} node(s) are cordoned (unschedulable): ${cordoned.join(', ') || 'see the nodes'}`,
    evidence: cordoned.map((name) => `node ${name} has spec.unschedulable=true`),
    fix: cordoned.map((name) => `kubectl uncordon ${name}`),
  };
}

/** The block named, for every kind of scheduler reason except volumes (see volumes.ts). */
export function placementDiagnosis(pod: KubeObject, nodes: readonly KubeObject[], block: SchedulingBlock): Diagnosis {
  switch (block.kind) {
    case 'node-selector':
      return nodeSelectorDiagnosis(pod, nodes);
    case 'taint':
      return taintDiagnosis(pod, nodes, block);
    case 'resources':
      return resourceDiagnosis(pod, nodes, block);
    case 'unschedulable-node':
      return cordonedDiagnosis(nodes, block);
    default:
      return { problem: `the scheduler reports: ${block.nodes} ${block.reason}`, evidence: [], fix: [] };
  }
}
