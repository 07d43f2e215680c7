// Health rules, after kstatus: a table from kind to one pure function (object) → {status, message}.
// No I/O, no clock. Three outcomes: Current, InProgress (every "not yet" says what is missing and how
// much: "Available: 0/1") and Failed (it will not get better by waiting: a waiter stops there). A
// fourth answer, NotJudged, is for objects with no rule and no status: they are listed, never counted
// healthy in silence.
import type { KubeObject } from '../kube/types.js';
import { condition, current, failed, inProgress, num, observed, spec, status, type Health, type Rule } from './judge.js';
import { podRule } from './pod.js';

export type { Health, HealthStatus } from './judge.js';

function replicasWanted(obj: KubeObject): number {
  return typeof spec(obj)['replicas'] === 'number' ? num(spec(obj)['replicas']) : 1;
}

const deployment: Rule = (obj) => {
  const progressing = condition(obj, 'Progressing');
  // The deployment controller gave up (spec.progressDeadlineSeconds): waiting longer changes nothing.
  if (progressing?.reason === 'ProgressDeadlineExceeded') return failed(`ProgressDeadlineExceeded: ${progressing.message ?? 'progress deadline exceeded'}`);
  const stale = observed(obj);
  if (stale) return stale;
  const want = replicasWanted(obj);
  const s = status(obj);
  const failure = condition(obj, 'ReplicaFailure');
  if (failure?.status === 'True') return inProgress(`ReplicaFailure: ${failure.message ?? failure.reason ?? ''}`);
  if (num(s['updatedReplicas']) < want) return inProgress(`Updated: ${num(s['updatedReplicas'])}/${want}`);
  if (num(s['availableReplicas']) < want) return inProgress(`Available: ${num(s['availableReplicas'])}/${want}`);
  return current(`Available: ${want}/${want}`);
};

const replicaSet: Rule = (obj) => {
  const stale = observed(obj);
  if (stale) return stale;
  const want = replicasWanted(obj);
  const failure = condition(obj, 'ReplicaFailure');
  if (failure?.status === 'True') return inProgress(`ReplicaFailure: ${failure.message ?? failure.reason ?? ''}`);
  const available = num(status(obj)['availableReplicas']);
  return available >= want ? current(`Available: ${available}/${want}`) : inProgress(`Available: ${available}/${want}`);
};

const statefulSet: Rule = (obj) => {
  const stale = observed(obj);
  if (stale) return stale;
  const want = replicasWanted(obj);
  const ready = num(status(obj)['readyReplicas']);
  return ready >= want ? current(`Ready: ${ready}/${want}`) : inProgress(`Ready: ${ready}/${want}`);
};

const daemonSet: Rule = (obj) => {
  const stale = observed(obj);
  if (stale) return stale;
  const want = num(status(obj)['desiredNumberScheduled']);
  const ready = num(status(obj)['numberReady']);
  return ready >= want ? current(`Ready: ${ready}/${want}`) : inProgress(`Ready: ${ready}/${want}`);
};

const job: Rule = (obj) => {
  const failedCondition = condition(obj, 'Failed');
  if (failedCondition?.status === 'True') return failed(`Job Failed: ${failedCondition.reason ?? ''}${failedCondition.message ? `: ${failedCondition.message}` : ''}`);
  if (condition(obj, 'Complete')?.status === 'True') return current('Complete');
  const completions = typeof spec(obj)['completions'] === 'number' ? num(spec(obj)['completions']) : 1;
  return inProgress(`Succeeded: ${num(status(obj)['succeeded'])}/${completions}`);
};

const pvc: Rule = (obj) => {
  const phase = String(status(obj)['phase'] ?? 'Pending');
  if (phase === 'Bound') return current('Bound');
  if (phase === 'Lost') return failed('PVC is Lost: its PV is gone');
  return inProgress(`PVC is not Bound. phase: ${phase}`);
};

const pv: Rule = (obj) => {
  const phase = String(status(obj)['phase'] ?? 'Pending');
  if (phase === 'Failed') return failed(`PV phase Failed${status(obj)['message'] ? `: ${String(status(obj)['message'])}` : ''}`);
  return phase === 'Available' || phase === 'Bound' ? current(phase) : inProgress(`PV phase: ${phase}`);
};

const node: Rule = (obj) => {
  const ready = condition(obj, 'Ready');
  return ready?.status === 'True' ? current('Ready') : inProgress(`Node is not Ready: ${ready ? `${ready.status}${ready.reason ? ` (${ready.reason})` : ''}` : 'no Ready condition yet'}`);
};

const crd: Rule = (obj) => {
  const names = condition(obj, 'NamesAccepted');
  if (names?.status === 'False') return failed(`CRD names not accepted: ${names.message ?? names.reason ?? ''}`);
  return condition(obj, 'Established')?.status === 'True' ? current('Established') : inProgress('CRD is not Established yet');
};

const service: Rule = (obj) => {
  if (spec(obj)['type'] !== 'LoadBalancer') return current(`Service type ${String(spec(obj)['type'] ?? 'ClusterIP')}`);
  const ingress = ((status(obj)['loadBalancer'] as { ingress?: unknown[] } | undefined)?.ingress ?? []).length;
  return ingress > 0 ? current(`LoadBalancer: ${ingress} ingress address(es)`) : inProgress('LoadBalancer: no ingress address yet');
};

/** The controller's verdict: Synced=False means it cannot unseal (a key it does not hold, a foreign Secret). */
const sealedSecret: Rule = (obj) => {
  const stale = observed(obj);
  if (stale) return stale;
  const synced = condition(obj, 'Synced');
  if (!synced) return inProgress('no Synced condition yet');
  if (synced.status === 'True') return current('Synced');
  return failed(`Synced=False: ${synced.message ?? synced.reason ?? 'no message'}`);
};

/** Argo CD's Application: synced and healthy, as Argo CD itself reports; Degraded or a failed sync is Failed. */
const argoApplication: Rule = (obj) => {
  const s = status(obj);
  const sync = String((s['sync'] as { status?: string } | undefined)?.status ?? 'Unknown');
  const health = String((s['health'] as { status?: string } | undefined)?.status ?? 'Unknown');
  const operation = s['operationState'] as { phase?: string; message?: string } | undefined;
  const message = `sync ${sync}, health ${health}`;
  if (health === 'Degraded') return failed(message);
  if (operation?.phase === 'Failed' || operation?.phase === 'Error') return failed(`${message}, sync operation ${operation.phase}: ${operation.message ?? ''}`);
  return sync === 'Synced' && health === 'Healthy' ? current(message) : inProgress(message);
};

/** Kinds that have no status by design: their existence is their readiness (kstatus calls them Current). */
const exists: Rule = () => current('exists (this kind has no status)');

const RULES: Record<string, Rule> = {
  'apps/Deployment': deployment,
  'apps/ReplicaSet': replicaSet,
  'apps/StatefulSet': statefulSet,
  'apps/DaemonSet': daemonSet,
  'batch/Job': job,
  'batch/CronJob': exists,
  '/PersistentVolumeClaim': pvc,
  '/PersistentVolume': pv,
  '/Pod': podRule,
  '/Node': node,
  '/Service': service,
  '/ConfigMap': exists,
  '/Secret': exists,
  '/ServiceAccount': exists,
  '/Namespace': exists,
  '/LimitRange': exists,
  'rbac.authorization.k8s.io/Role': exists,
  'rbac.authorization.k8s.io/ClusterRole': exists,
  'rbac.authorization.k8s.io/RoleBinding': exists,
  'rbac.authorization.k8s.io/ClusterRoleBinding': exists,
  'storage.k8s.io/StorageClass': exists,
  'networking.k8s.io/IngressClass': exists,
  'scheduling.k8s.io/PriorityClass': exists,
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': exists,
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': exists,
  'apiextensions.k8s.io/CustomResourceDefinition': crd,
  'bitnami.com/SealedSecret': sealedSecret,
  'argoproj.io/Application': argoApplication,
};

function ruleKey(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): string {
  const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
  return `${group}/${obj.kind}`;
}

/**
 * Any other kind with a status is judged by it, as kstatus does: a stale observedGeneration is
 * InProgress, Stalled=True is Failed, Reconciling=True or Ready other than True is InProgress.
 */
const generic: Rule = (obj) => {
  const stale = observed(obj);
  if (stale) return stale;
  const stalled = condition(obj, 'Stalled');
  if (stalled?.status === 'True') return failed(`Stalled: ${stalled.message ?? stalled.reason ?? ''}`);
  const reconciling = condition(obj, 'Reconciling');
  if (reconciling?.status === 'True') return inProgress(`Reconciling: ${reconciling.message ?? reconciling.reason ?? ''}`);
  const ready = condition(obj, 'Ready');
  if (ready && ready.status !== 'True') return inProgress(`Ready=${ready.status}: ${ready.message ?? ready.reason ?? ''}`);
  return current(ready ? 'Ready' : 'status has no Ready, Stalled or Reconciling condition');
};

/** A live object's health: its kind's rule, else its status, else NotJudged (listed, not counted healthy). */
export function healthOf(obj: KubeObject): Health {
  const rule = RULES[ruleKey(obj)];
  if (rule) return rule(obj);
  if (obj['status'] && typeof obj['status'] === 'object' && Object.keys(obj['status'] as object).length > 0) return generic(obj);
  return { status: 'NotJudged', message: `not judged: no health rule for ${ruleKey(obj).replace(/^\//, '')} and no status` };
}

/** Whether a waiter is done with this object: it is Current, Failed, or cannot be judged. */
export function isSettled(health: Health): boolean {
  return health.status !== 'InProgress';
}
