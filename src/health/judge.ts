// The vocabulary of the health rules: the outcomes, and pure readers of an object's status.
import type { KubeObject } from '../kube/types.js';

export type HealthStatus = 'Current' | 'InProgress' | 'Failed' | 'NotJudged';

export interface Health {
  status: HealthStatus;
  message: string;
}

export type Rule = (obj: KubeObject) => Health;

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export const current = (message: string): Health => ({ status: 'Current', message });
export const inProgress = (message: string): Health => ({ status: 'InProgress', message });
export const failed = (message: string): Health => ({ status: 'Failed', message });

export function status(obj: KubeObject): Record<string, unknown> {
  return (obj['status'] as Record<string, unknown> | undefined) ?? {};
}

export function spec(obj: KubeObject): Record<string, unknown> {
  return (obj['spec'] as Record<string, unknown> | undefined) ?? {};
}

export function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

export function condition(obj: KubeObject, type: string): Condition | undefined {
  return ((status(obj)['conditions'] as Condition[] | undefined) ?? []).find((c) => c.type === type);
}

/** The controller has seen the latest spec; otherwise every other count is stale. */
export function observed(obj: KubeObject): Health | undefined {
  const gen = obj.metadata['generation'];
  const seen = status(obj)['observedGeneration'];
  if (typeof gen === 'number' && (typeof seen !== 'number' || seen < gen)) {
    return inProgress(`controller has not observed generation ${gen} yet`);
  }
  return undefined;
}
