import type { Step, StepLedger } from '../src/engine/types.js';
import { healthWithPods } from '../src/health/pod.js';
import { healthOf } from '../src/health/rules.js';
import { healthWaitError, waitForHealth } from '../src/health/wait.js';
import type { KubeClient } from '../src/kube/client.js';
import { refOf, type KubeObject } from '../src/kube/types.js';
import { orderForApply } from '../src/k8s/manifests.js';
import { describeObject } from '../src/k8s/types.js';
import { errorMessage } from '../src/util/errors.js';
import { applyCounted } from './apply-objects.js';
import { isPodSecurityRejection, podProbeFor, rejectionSummary, type Rejection } from './apps-logic.js';
import type { RecoveryContext } from './context.js';
import { appSource } from './inputs.js';
import { appObjects } from './preflight-checks.js';
import { gitRemoteUses, registryUses } from './uses.js';

function kindSummary(kinds: string[], allowEmpty: boolean): string {
  if (kinds.length === 0) return allowEmpty ? 'no objects (allowEmpty)' : 'NO OBJECTS: it renders nothing';
  const counts = new Map<string, number>();
  for (const k of kinds) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}

async function desiredObjects(ctx: RecoveryContext): Promise<KubeObject[]> {
  return orderForApply(appObjects(await ctx.inputs.apps())).map((o) => o.obj);
}

/** Dry-runs every object (and a pod probe per workload); returns every rejection. */
async function dryRunAll(kube: KubeClient, objects: readonly KubeObject[]): Promise<Rejection[]> {
  const rejections: Rejection[] = [];
  for (const obj of objects) {
    for (const candidate of [obj, podProbeFor(obj)]) {
      if (!candidate) continue;
      try {
        await kube.apply(candidate, { dryRun: true, force: true });
      } catch (err) {
        const message = errorMessage(err);
        if (candidate !== obj && !isPodSecurityRejection(message)) continue;
        rejections.push({ object: describeObject(obj), message: candidate === obj ? message : `its pods would be rejected: ${message}` });
        break;
      }
    }
  }
  return rejections;
}

async function applyApps(ctx: RecoveryContext, ledger: StepLedger): Promise<void> {
  const kube = await ctx.kube();
  const objects = await desiredObjects(ctx);
  const timeoutMs = ctx.config.apps.wait.timeoutMs;
  // CRDs first, and Established before anything that uses them is even dry-run.
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
  const appliedCrds: KubeObject[] = [];
  for (const crd of crds) if ((await applyCounted(kube, crd, ledger)).outcome !== 'failed') appliedCrds.push(crd);
  const established = healthWaitError(await waitForHealth(kube, appliedCrds, { timeoutMs, signal: ctx.signal }));
  if (established) throw established;
  if (ledger.parent.failed('apps').length > 0) return;
  const rest = objects.filter((o) => o.kind !== 'CustomResourceDefinition');
  const rejections = await dryRunAll(kube, rest);
  if (rejections.length > 0) {
    for (const r of rejections) {
      const [kind, ...name] = r.object.split(' ');
      ledger.record(kind!, name.join(' '), 'failed', r.message);
    }
    const summary = rejectionSummary(rejections, rest.length);
    const rejected = new Set(rejections.map((r) => r.object));
    for (const obj of rest) {
      if (rejected.has(describeObject(obj))) continue;
      const [kind, ...name] = describeObject(obj).split(' ');
      ledger.record(kind!, name.join(' '), 'skipped', summary);
    }
    return;
  }
  const applied: KubeObject[] = [];
  for (const obj of rest) {
    if (ctx.signal.aborted) {
      const [kind, ...name] = describeObject(obj).split(' ');
      ledger.record(kind!, name.join(' '), 'skipped', 'interrupted before it was applied');
      continue;
    }
    if ((await applyCounted(kube, obj, ledger)).outcome !== 'failed') applied.push(obj);
  }
  // Watches, not sleeps, ending at the first Failed (named here); a timeout is not recorded here:
  // verify names what is unhealthy, with the diagnosis ladder. What failed to apply is not awaited.
  const waited = await waitForHealth(kube, applied, { timeoutMs, signal: ctx.signal });
  if (waited.failed) throw healthWaitError(waited);
}

export const apps: Step<RecoveryContext> = {
  id: 'apps',
  title: 'Apps: render, dry-run all, apply, wait for health',
  needs: ['storage', 'reseal-secrets'],
  destructive: false,
  uses: async (ctx) => [
    ...ctx.config.apps.items.map((app) => {
      const tool = appSource(app).how === 'helm' ? 'helm' : 'kubectl';
      return { name: `tool ${tool} (${app.name})`, target: tool, inCluster: false, reason: 'renders the app on this machine' };
    }),
    ...(await gitRemoteUses(ctx)),
    ...(await registryUses(ctx)),
  ],
  plan: async (ctx) => {
    const rendered = await ctx.inputs.apps();
    const total = rendered.reduce((n, r) => n + r.objects.length, 0);
    return [
      `${rendered.length} app(s), ${total} object(s): server-side dry-run of all of them before the first real apply`,
      ...rendered.map((r) => `${r.app.name} (${r.how} ${appSource(r.app).path}): ${kindSummary(r.objects.map((o) => o.obj.kind), r.app.allowEmpty === true)}`),
      `wait for health with watches, up to ${Math.round(ctx.config.apps.wait.timeoutMs / 1000)} s, ending at the first Failed (crash loop, image pull, missing config, SealedSecret not Synced, ...)`,
    ];
  },
  apply: applyApps,
  verify: async (ctx) => {
    const kube = await ctx.kube();
    const missing: string[] = [];
    const notJudged: string[] = [];
    const desired = await desiredObjects(ctx);
    const checked = desired.map((obj) => ({ kind: obj.kind, name: obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : (obj.metadata.name ?? '') }));
    const pods = podsByNamespace(kube);
    for (const obj of desired) {
      const live = await kube.get(refOf(obj));
      if (!live) {
        missing.push(`${describeObject(obj)} does not exist`);
        continue;
      }
      const health = healthWithPods(healthOf(live), live, await pods(obj.metadata.namespace));
      if (health.status === 'NotJudged') notJudged.push(`${describeObject(obj)}: ${health.message}`);
      if (health.status !== 'InProgress' && health.status !== 'Failed') continue;
      missing.push(`${describeObject(obj)}: ${health.status === 'Failed' ? 'Failed: ' : ''}${health.message}`);
      // The diagnosis ladder says why (unbound claim, unlabelled PV, admission, scheduling), indented under it.
      const { explainUnhealthy } = await import('../src/diagnose/diagnose.js');
      missing.push(...(await explainUnhealthy(kube, live)).map((line) => `  ${line}`));
    }
    return { ok: missing.length === 0, missing, checked, notJudged };
  },
};

/** The pods of a namespace, listed once per verify (workloads are judged through them). */
function podsByNamespace(kube: KubeClient): (namespace: string | undefined) => Promise<KubeObject[]> {
  const lists = new Map<string, Promise<KubeObject[]>>();
  return (namespace) => {
    if (!namespace) return Promise.resolve([]);
    let list = lists.get(namespace);
    if (!list) lists.set(namespace, (list = kube.list({ apiVersion: 'v1', kind: 'Pod', namespace })));
    return list;
  };
}
