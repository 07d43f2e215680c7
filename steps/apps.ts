import type { Step, StepLedger } from '../src/engine/types.js';
import { healthOf, hasHealthRule } from '../src/health/rules.js';
import type { KubeClient } from '../src/kube/client.js';
import { refOf } from '../src/kube/types.js';
import { orderForApply } from '../src/k8s/manifests.js';
import { describeObject, type KubeObject } from '../src/k8s/types.js';
import { errorMessage } from '../src/util/errors.js';
import { applyCounted, asWire } from './apply-objects.js';
import { isPodSecurityRejection, podProbeFor, rejectionSummary, type Rejection } from './apps-logic.js';
import type { RecoveryContext } from './context.js';
import { appSource } from './inputs.js';
import { appObjects } from './preflight-checks.js';
import { gitRemoteUses } from './uses.js';

function kindSummary(kinds: string[]): string {
  const counts = new Map<string, number>();
  for (const k of kinds) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}

async function desiredObjects(ctx: RecoveryContext): Promise<KubeObject[]> {
  return orderForApply(appObjects(await ctx.inputs.apps())).map((o) => o.obj);
}

async function waitHealthy(kube: KubeClient, obj: KubeObject, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  await kube.waitFor(
    { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name ?? '' },
    (live) => healthOf(live).ready,
    { timeoutMs, signal, what: `${describeObject(obj)} to become healthy`, describe: (items) => items.map((i) => healthOf(i).message).join('; ') || 'not found' },
  );
}

/** Dry-runs every object (and a pod probe per workload); returns every rejection. */
async function dryRunAll(kube: KubeClient, objects: readonly KubeObject[]): Promise<Rejection[]> {
  const rejections: Rejection[] = [];
  for (const obj of objects) {
    for (const candidate of [obj, podProbeFor(obj)]) {
      if (!candidate) continue;
      try {
        await kube.apply(asWire(candidate), { dryRun: true, force: true });
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
  for (const crd of crds) {
    const applied = await applyCounted(kube, crd, ledger);
    if (applied.outcome !== 'failed') await waitHealthy(kube, crd, timeoutMs);
  }
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
  for (const obj of rest) {
    if (ctx.signal.aborted) {
      const [kind, ...name] = describeObject(obj).split(' ');
      ledger.record(kind!, name.join(' '), 'skipped', 'interrupted before it was applied');
      continue;
    }
    await applyCounted(kube, obj, ledger);
  }
  // Watches, not sleeps; a timeout is not recorded here: verify names what is unhealthy.
  await Promise.allSettled(rest.filter(hasHealthRule).map((o) => waitHealthy(kube, o, timeoutMs, ctx.signal)));
}

export const apps: Step<RecoveryContext> = {
  id: 'apps',
  title: 'Apps: render, dry-run all, apply, wait for health',
  needs: ['storage', 'reseal-secrets'],
  destructive: false,
  uses: async (ctx) => [
    ...ctx.config.apps.items.map((app) => {
      const tool = appSource(app).how === 'helm' ? 'helm' : 'kubectl';
      return { name: `tool ${tool} (${app.name})`, target: tool, inCluster: false, reason: 'built into the local cache' };
    }),
    ...(await gitRemoteUses(ctx)),
  ],
  plan: async (ctx) => {
    const rendered = await ctx.inputs.apps();
    const total = rendered.reduce((n, r) => n + r.objects.length, 0);
    return [
      `${rendered.length} app(s), ${total} object(s): server-side dry-run of all of them before the first real apply`,
      ...rendered.map((r) => `${r.app.name} (${r.how} ${appSource(r.app).path}): ${kindSummary(r.objects.map((o) => o.obj.kind))}`),
      `wait for health with watches, up to ${Math.round(ctx.config.apps.wait.timeoutMs / 1000)} s`,
    ];
  },
  apply: applyApps,
  verify: async (ctx) => {
    const kube = await ctx.kube();
    const missing: string[] = [];
    const desired = await desiredObjects(ctx);
    const checked = desired.map((obj) => ({ kind: obj.kind, name: obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : (obj.metadata.name ?? '') }));
    for (const obj of desired) {
      const live = await kube.get(refOf(asWire(obj)));
      if (!live) missing.push(`${describeObject(obj)} does not exist`);
      else {
        const health = healthOf(live);
        if (!health.ready) {
          missing.push(`${describeObject(obj)}: ${health.message}`);
          // The diagnosis ladder says why (unbound claim, unlabelled PV, admission, scheduling), indented under it.
          const { explainUnhealthy } = await import('../src/diagnose/diagnose.js');
          missing.push(...(await explainUnhealthy(kube, live)).map((line) => `  ${line}`));
        }
      }
    }
    return { ok: missing.length === 0, missing, checked };
  },
};
