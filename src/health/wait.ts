// Every readiness wait of the project: watches (never sleeps) until each object is settled by the rule
// table, and stops at the first Failed instead of running out its timeout. Workloads are also judged
// through their pods, because a Deployment says only "Available: 0/1" while its pod crash-loops.
import type { KubeClient } from '../kube/client.js';
import { WaitTimeoutError } from '../kube/errors.js';
import type { KubeObject } from '../kube/types.js';
import { errorMessage } from '../util/errors.js';
import { healthOf, isSettled, type Health } from './rules.js';
import { failedPodOf, judgesPods } from './pod.js';

export interface HealthWaitResult {
  /** The first Failed object and why; the wait ended there. */
  failed?: { object: string; message: string };
  /** What was still InProgress (or absent) when the time ran out, with its last message. */
  timedOut: string[];
  /** Objects that exist but that no rule and no status can judge: listed, not counted healthy. */
  notJudged: string[];
}

export function describeRef(obj: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`;
}

class StoppedEarly extends Error {}

function waitOne(kube: KubeClient, obj: KubeObject, timeoutMs: number, signal: AbortSignal): Promise<Health> {
  return kube.waitUntil(
    { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name },
    (items) => {
      const health = items[0] ? healthOf(items[0]) : undefined;
      return health && isSettled(health) ? health : undefined;
    },
    { timeoutMs, signal, what: `${describeRef(obj)} to become healthy`, describe: (items) => (items[0] ? healthOf(items[0]).message : 'not found') },
  );
}

/** One watch of the pods of a namespace; resolves with the first workload of `workloads` whose pod is Failed. */
function waitFailedPod(kube: KubeClient, namespace: string, workloads: readonly KubeObject[], timeoutMs: number, signal: AbortSignal) {
  return kube.waitUntil(
    { apiVersion: 'v1', kind: 'Pod', namespace },
    (pods) => {
      for (const w of workloads) {
        const stuck = failedPodOf(w, pods);
        if (stuck) return { object: describeRef(w), message: stuck.message };
      }
      return undefined;
    },
    { timeoutMs, signal, what: `pods of namespace ${namespace}` },
  );
}

/**
 * Waits until every object is Current (or NotJudged), or one is Failed, or the time runs out. `objects`
 * are desired objects (their names and, for workloads, their pod selectors); health is read live.
 * `alsoFailOn`: objects not waited for, whose Failed (or a Failed pod of theirs) ends the wait too, named
 * as its cause (SealedSecrets need no Available controller, but a crash-looping one never syncs them).
 */
export async function waitForHealth(
  kube: KubeClient,
  objects: readonly KubeObject[],
  opts: { timeoutMs: number; signal?: AbortSignal; alsoFailOn?: readonly KubeObject[] },
): Promise<HealthWaitResult> {
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([stop.signal, opts.signal]) : stop.signal;
  const result: HealthWaitResult = { timedOut: [], notJudged: [] };
  const fail = (object: string, message: string): void => {
    if (result.failed) return;
    result.failed = { object, message };
    stop.abort(new StoppedEarly(`stopped at the first Failed: ${object}`));
  };
  const byNamespace = new Map<string, KubeObject[]>();
  const guards = opts.alsoFailOn ?? [];
  for (const w of [...objects, ...guards].filter(judgesPods)) {
    const ns = w.metadata.namespace ?? 'default';
    byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), w]);
  }
  const podWatches = [...byNamespace].map(([ns, workloads]) =>
    waitFailedPod(kube, ns, workloads, opts.timeoutMs, signal).then((f) => fail(f.object, f.message), () => undefined),
  );
  const guardWaits = guards.map((obj) =>
    waitOne(kube, obj, opts.timeoutMs, signal).then(
      (health) => (health.status === 'Failed' ? fail(describeRef(obj), health.message) : undefined),
      () => undefined,
    ),
  );
  await Promise.all(
    objects.map(async (obj) => {
      try {
        const health = await waitOne(kube, obj, opts.timeoutMs, signal);
        if (health.status === 'Failed') fail(describeRef(obj), health.message);
        if (health.status === 'NotJudged') result.notJudged.push(`${describeRef(obj)}: ${health.message}`);
      } catch (err) {
        if (err instanceof StoppedEarly || signal.aborted) return;
        result.timedOut.push(err instanceof WaitTimeoutError ? err.message : `${describeRef(obj)}: ${errorMessage(err)}`);
      }
    }),
  );
  // Every object is settled: the pod watches have nothing left to find.
  if (!stop.signal.aborted) stop.abort(new StoppedEarly('every object is settled'));
  await Promise.all([...podWatches, ...guardWaits]);
  return result;
}

/** The wait's verdict as an error to throw from a step's apply: the Failed cause, or what timed out. */
export function healthWaitError(result: HealthWaitResult): Error | undefined {
  if (result.failed) return new Error(`${result.failed.object} is Failed: ${result.failed.message}`);
  if (result.timedOut.length > 0) return new Error(result.timedOut.join('; '));
  return undefined;
}
