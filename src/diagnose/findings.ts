// What the diagnosis ladder returns, and the small readers of objects and events every rung shares.
import { asRecord } from '../util/helpers.js';
import { describeObject } from '../k8s/types.js';
import type { KubeEvent, KubeObject } from '../kube/types.js';

/** One problem: root cause first (`problem`), then what shows it (`evidence`), then what to change (`fix`). */
export interface Finding {
  /** "Deployment networking/cloudflared" or "Pod apps/web-5d8f-x (Deployment apps/web)". */
  object: string;
  problem: string;
  evidence: string[];
  fix: string[];
}

export function formatFinding(finding: Finding): string[] {
  return [
    `${finding.object}: ${finding.problem}`,
    ...finding.evidence.map((line) => `  evidence: ${line}`),
    ...finding.fix.map((line) => `  fix: ${line}`),
  ];
}

export function nameOf(obj: KubeObject): string {
  return describeObject(obj);
}

export function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(asRecord) : [];
}

export function specOf(obj: KubeObject): Record<string, unknown> {
  return asRecord(obj['spec']);
}

export function statusOf(obj: KubeObject): Record<string, unknown> {
  return asRecord(obj['status']);
}

export function conditionOf(obj: KubeObject, type: string): Record<string, unknown> | undefined {
  return records(statusOf(obj)['conditions']).find((c) => c['type'] === type);
}

export function ownerUids(obj: KubeObject): string[] {
  return records(obj.metadata['ownerReferences']).map((ref) => String(ref['uid'] ?? ''));
}

export function isOwnedBy(obj: KubeObject, owner: KubeObject): boolean {
  return owner.metadata.uid !== undefined && ownerUids(obj).includes(owner.metadata.uid);
}

function eventTime(event: KubeEvent): string {
  const series = asRecord(event['series']);
  return String(series['lastObservedTime'] ?? event.lastTimestamp ?? event.eventTime ?? event.metadata['creationTimestamp'] ?? '');
}

function eventCount(event: KubeEvent): number {
  const series = asRecord(event['series']);
  return typeof series['count'] === 'number' ? series['count'] : (event.count ?? 1);
}

/** The most recent event with this reason about this object. */
export function latestEvent(events: readonly KubeEvent[], obj: KubeObject, reason: string): KubeEvent | undefined {
  const about = events.filter((e) => e.reason === reason && e.involvedObject.uid !== undefined && e.involvedObject.uid === obj.metadata.uid);
  return about.sort((a, b) => eventTime(a).localeCompare(eventTime(b))).at(-1);
}

/** `ReplicaSet apps/web-5d8f event FailedCreate (x12): Error creating: …` */
export function describeEvent(obj: KubeObject, event: KubeEvent): string {
  const count = eventCount(event);
  return `${nameOf(obj)} event ${event.reason ?? ''}${count > 1 ? ` (x${count})` : ''}: ${event.message ?? ''}`;
}
