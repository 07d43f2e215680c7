// Health rules: a table from kind to one pure function (object) → {ready, message}. No I/O, no clock;
// every "not yet" says what is missing and how much ("Available: 0/1").
import type { KubeObject } from '../kube/types.js';

export interface Health {
  ready: boolean;
  message: string;
}

type Rule = (obj: KubeObject) => Health;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

function status(obj: KubeObject): Record<string, unknown> {
  return (obj['status'] as Record<string, unknown> | undefined) ?? {};
}

function spec(obj: KubeObject): Record<string, unknown> {
  return (obj['spec'] as Record<string, unknown> | undefined) ?? {};
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function condition(obj: KubeObject, type: string): Condition | undefined {
  return ((status(obj)['conditions'] as Condition[] | undefined) ?? []).find((c) => c.type === type);
}

/** The controller has seen the latest spec; otherwise every other count is stale. */
function observed(obj: KubeObject): Health | undefined {
  const gen = obj.metadata['generation'];
  const seen = status(obj)['observedGeneration'];
  if (typeof gen === 'number' && (typeof seen !== 'number' || seen < gen)) {
    return { ready: false, message: `controller has not observed generation ${gen} yet` };
  }
  return undefined;
}

const deployment: Rule = (obj) => {
  const stale = observed(obj);
  if (stale) return stale;
  const want = typeof spec(obj)['replicas'] === 'number' ? num(spec(obj)['replicas']) : 1;
  const s = status(obj);
  const failure = condition(obj, 'ReplicaFailure');
  if (failure?.status === 'True') return { ready: false, message: `ReplicaFailure: ${failure.message ?? failure.reason ?? ''}` };
  if (num(s['updatedReplicas']) < want) return { ready: false, message: `Updated: ${num(s['updatedReplicas'])}/${want}` };
  if (num(s['availableReplicas']) < want) return { ready: false, message: `Available: ${num(s['availableReplicas'])}/${want}` };
  return { ready: true, message: `Available: ${want}/${want}` };
};

const statefulSet: Rule = (obj) => {
  const stale = observed(obj);
  if (stale) return stale;
  const want = typeof spec(obj)['replicas'] === 'number' ? num(spec(obj)['replicas']) : 1;
  const ready = num(status(obj)['readyReplicas']);
  return ready >= want ? { ready: true, message: `Ready: ${ready}/${want}` } : { ready: false, message: `Ready: ${ready}/${want}` };
};

const daemonSet: Rule = (obj) => {
  const stale = observed(obj);
  if (stale) return stale;
  const want = num(status(obj)['desiredNumberScheduled']);
  const ready = num(status(obj)['numberReady']);
  return ready >= want ? { ready: true, message: `Ready: ${ready}/${want}` } : { ready: false, message: `Ready: ${ready}/${want}` };
};

const job: Rule = (obj) => {
  const failed = condition(obj, 'Failed');
  if (failed?.status === 'True') return { ready: false, message: `Failed: ${failed.message ?? failed.reason ?? ''}` };
  const complete = condition(obj, 'Complete');
  return complete?.status === 'True' ? { ready: true, message: 'Complete' } : { ready: false, message: `Succeeded: ${num(status(obj)['succeeded'])}` };
};

const pvc: Rule = (obj) => {
  const phase = String(status(obj)['phase'] ?? 'Pending');
  return phase === 'Bound' ? { ready: true, message: 'Bound' } : { ready: false, message: `PVC is not Bound. phase: ${phase}` };
};

const pod: Rule = (obj) => {
  const phase = String(status(obj)['phase'] ?? 'Pending');
  if (phase === 'Succeeded') return { ready: true, message: 'Succeeded' };
  const ready = condition(obj, 'Ready');
  return ready?.status === 'True' ? { ready: true, message: 'Ready' } : { ready: false, message: `phase ${phase}, Ready: ${ready?.status ?? 'unknown'}` };
};

const crd: Rule = (obj) => {
  const established = condition(obj, 'Established');
  return established?.status === 'True' ? { ready: true, message: 'Established' } : { ready: false, message: 'CRD is not Established yet' };
};

/** Argo CD's root Application: synced and healthy, as Argo CD itself reports. */
const argoApplication: Rule = (obj) => {
  const s = status(obj);
  const sync = String((s['sync'] as { status?: string } | undefined)?.status ?? 'Unknown');
  const health = String((s['health'] as { status?: string } | undefined)?.status ?? 'Unknown');
  const ready = sync === 'Synced' && health === 'Healthy';
  return { ready, message: `sync ${sync}, health ${health}` };
};

const RULES: Record<string, Rule> = {
  'apps/Deployment': deployment,
  'apps/StatefulSet': statefulSet,
  'apps/DaemonSet': daemonSet,
  'batch/Job': job,
  '/PersistentVolumeClaim': pvc,
  '/Pod': pod,
  'apiextensions.k8s.io/CustomResourceDefinition': crd,
  'argoproj.io/Application': argoApplication,
};

function ruleKey(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): string {
  const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
  return `${group}/${obj.kind}`;
}

/** Whether homelab-dr waits for this kind; kinds without a rule are ready once they exist. */
export function hasHealthRule(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  return ruleKey(obj) in RULES;
}

export function healthOf(obj: KubeObject): Health {
  const rule = RULES[ruleKey(obj)];
  return rule ? rule(obj) : { ready: true, message: 'exists' };
}
