// Node selection as the scheduler evaluates it (nodeSelector, required node affinity, PV node affinity),
// kept to what a diagnosis has to name: which label a node lacks, which term no node satisfies.
import { describeRequirement } from '../k8s/pv-match.js';
import type { KubeObject } from '../kube/types.js';
import { asRecord } from '../util/helpers.js';
import { records, specOf } from './findings.js';

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values: string[];
}

export interface NodeSelectorTerm {
  matchExpressions: NodeSelectorRequirement[];
  matchFields: NodeSelectorRequirement[];
}

function requirements(value: unknown): NodeSelectorRequirement[] {
  return records(value).map((r) => ({
    key: String(r['key'] ?? ''),
    operator: String(r['operator'] ?? ''),
    values: Array.isArray(r['values']) ? r['values'].map(String) : [],
  }));
}

export function termsOf(nodeSelector: unknown): NodeSelectorTerm[] {
  return records(asRecord(nodeSelector)['nodeSelectorTerms']).map((term) => ({
    matchExpressions: requirements(term['matchExpressions']),
    matchFields: requirements(term['matchFields']),
  }));
}

/** The pod's required node affinity terms (ORed); empty when it has none. */
export function podAffinityTerms(pod: KubeObject): NodeSelectorTerm[] {
  const nodeAffinity = asRecord(asRecord(specOf(pod)['affinity'])['nodeAffinity']);
  return termsOf(nodeAffinity['requiredDuringSchedulingIgnoredDuringExecution']);
}

/** A PV's `spec.nodeAffinity.required` terms; empty when the PV is not pinned. */
export function pvAffinityTerms(pv: KubeObject): NodeSelectorTerm[] {
  return termsOf(asRecord(specOf(pv)['nodeAffinity'])['required']);
}

export function podNodeSelector(pod: KubeObject): Record<string, string> {
  return Object.fromEntries(Object.entries(asRecord(specOf(pod)['nodeSelector'])).map(([k, v]) => [k, String(v)]));
}

function requirementHolds(requirement: NodeSelectorRequirement, value: string | undefined): boolean {
  const { operator, values } = requirement;
  switch (operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const [have, limit] = [Number(value), Number(values[0])];
      if (value === undefined || !Number.isInteger(have) || !Number.isInteger(limit)) return false;
      return operator === 'Gt' ? have > limit : have < limit;
    }
    default:
      return false;
  }
}

export function termMatches(term: NodeSelectorTerm, node: KubeObject): boolean {
  const labels = node.metadata.labels ?? {};
  // A term with no requirements matches nothing (as in the scheduler's nodeaffinity helper).
  if (term.matchExpressions.length === 0 && term.matchFields.length === 0) return false;
  return (
    term.matchExpressions.every((r) => requirementHolds(r, Object.hasOwn(labels, r.key) ? labels[r.key] : undefined)) &&
    term.matchFields.every((r) => requirementHolds(r, r.key === 'metadata.name' ? node.metadata.name : undefined))
  );
}

/** "kubernetes.io/hostname=node-1 or disktype=ssd,zone in (a,b)" */
export function describeTerms(terms: readonly NodeSelectorTerm[]): string {
  return terms.map((t) => [...t.matchExpressions, ...t.matchFields].map(describeRequirement).join(',')).join(' or ');
}

export function describeLabels(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
}

/** What keeps one node from a nodeSelector: "lacks label disktype", "has disktype=hdd". */
export function selectorMismatches(selector: Record<string, string>, node: KubeObject): string[] {
  const labels = node.metadata.labels ?? {};
  return Object.entries(selector).flatMap(([key, value]) => {
    if (!Object.hasOwn(labels, key)) return [`lacks label ${key}=${value}`];
    return labels[key] === value ? [] : [`has ${key}=${labels[key]}, not ${key}=${value}`];
  });
}
