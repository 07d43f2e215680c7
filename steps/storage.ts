import { readFile } from 'node:fs/promises';
import type { Step } from '../src/engine/types.js';
import type { PlanLine } from '../src/report/problems.js';
import { remapPvPaths, type PvPathChange } from '../src/cluster/isolation.js';
import { KubeApiError } from '../src/kube/errors.js';
import { parseManifests } from '../src/k8s/manifests.js';
import { checkClaims, checkRequiredLabels, describePv } from '../src/k8s/pv-match.js';
import { describeObject, type KubeObject } from '../src/k8s/types.js';
import { errorMessage } from '../src/util/errors.js';
import { applyCounted } from './apply-objects.js';
import type { RecoveryContext } from './context.js';
import { isThrowaway, targetNodeName } from './create-cluster.js';
import { appObjects } from './preflight-checks.js';
import { liveClaimProblems } from './storage-live.js';
import { plannedStorageLines, pvNodeProblems, substituteLive } from './storage-nodes.js';

/** PVCs of every app, for the label check. */
export async function appClaims(ctx: RecoveryContext): Promise<KubeObject[]> {
  return appObjects(await ctx.inputs.apps()).map((o) => o.obj).filter((o) => o.kind === 'PersistentVolumeClaim');
}

/**
 * A throwaway run's PVs point into its scratch directories wherever production's point under a
 * remapped volume, so the drill's apps bind the scratch copy and never production's data.
 */
async function throwawayPaths(ctx: RecoveryContext, objects: KubeObject[]): Promise<{ objects: KubeObject[]; changes: PvPathChange[] }> {
  if (!isThrowaway(ctx)) return { objects, changes: [] };
  const isolation = (await ctx.provider()).throwawayIsolation(ctx.clusterName, ctx.config.cluster);
  return remapPvPaths(objects, isolation.paths);
}

/** The storage file's objects with the real node name in place of the placeholder (and a throwaway's paths). */
export async function desiredStorage(ctx: RecoveryContext): Promise<KubeObject[]> {
  const st = ctx.config.storage!;
  const text = await substituteLive(ctx, await readFile(st.file, 'utf8'), await targetNodeName(ctx));
  return (await throwawayPaths(ctx, parseManifests(text, st.file).map((o) => o.obj))).objects;
}

// A PV's source and node affinity cannot change after creation: say so, with the fix, instead of
// printing the apiserver's field path alone.
function explainStorageError(err: unknown, obj: KubeObject): string {
  if (obj.kind === 'PersistentVolume' && err instanceof KubeApiError && err.status === 422) {
    // The apiserver appends a Go struct diff; its first line says which field, which is what to read.
    const field = err.apiMessage.split('\n')[0]!.trim();
    return `PV ${obj.metadata.name} already exists with a different immutable spec (${field}); ` +
      `the fix: make ${obj.metadata.name} in the storage file match the live PV, or delete the PV ` +
      `(kubectl delete pv ${obj.metadata.name}; a local volume's data on the host stays) and run again`;
  }
  return errorMessage(err);
}

function pvPath(pv: KubeObject): string | undefined {
  const spec = pv.spec as { local?: { path?: string }; hostPath?: { path?: string } } | undefined;
  return spec?.local?.path ?? spec?.hostPath?.path;
}

export const storage: Step<RecoveryContext> = {
  id: 'storage',
  title: 'Storage: StorageClass, PVs, and the PV label check',
  needs: ['namespaces'],
  destructive: false,
  uses: async () => [],
  plan: async (ctx) => {
    const st = ctx.config.storage;
    if (!st) return ['no storage section: nothing to do'];
    const objects = (await ctx.inputs.storage()).map((o) => o.obj);
    const pvs = objects.filter((o) => o.kind === 'PersistentVolume');
    const classes = objects.filter((o) => o.kind === 'StorageClass').map((o) => o.metadata.name);
    const lines: PlanLine[] = [
      `${classes.length} StorageClass (${classes.join(', ')}), ${pvs.length} PVs: ${pvs.map(describePv).join('; ')}`,
      `node name substituted for ${st.nodeNamePlaceholder} from the provider's node`,
      ...plannedStorageLines(ctx, await readFile(st.file, 'utf8'), st.file),
    ];
    for (const c of (await throwawayPaths(ctx, objects)).changes) lines.push(`throwaway: PV ${c.pv} path ${c.from} → ${c.to} (scratch, removed at teardown)`);
    for (const p of checkRequiredLabels(pvs, st.requiredLabels)) lines.push({ problem: { step: 'storage', check: 'pv-labels', object: `PV ${p.pv}`, message: p.message } });
    for (const c of checkClaims(pvs, await appClaims(ctx))) {
      lines.push(c.ok ? `PVC ${c.claim} → ${c.pv}` : { problem: { step: 'storage', check: 'pv-claims', object: `PVC ${c.claim}`, message: c.message } });
    }
    return lines;
  },
  apply: async (ctx, ledger) => {
    if (!ctx.config.storage) return;
    const kube = await ctx.kube();
    for (const obj of await desiredStorage(ctx)) {
      if (ctx.signal.aborted) {
        ledger.record(obj.kind, obj.metadata.name ?? '', 'skipped', 'interrupted before it was applied');
        continue;
      }
      await applyCounted(kube, obj, ledger, explainStorageError);
    }
  },
  // Live: every PV of the file exists with the required labels, and every selecting PVC of the apps
  // has a live PV that satisfies it field by field, and that its claimRef, phase and node let it take.
  // A claim the live check names is said once, by it (it names the cause and the fix).
  verify: async (ctx) => {
    const st = ctx.config.storage;
    if (!st) return { ok: true, missing: [] };
    const kube = await ctx.kube();
    const desired = await desiredStorage(ctx);
    const missing: string[] = [];
    const livePvs: KubeObject[] = [];
    const checked = desired.map((obj) => ({ kind: obj.kind, name: obj.metadata.name ?? '' }));
    for (const obj of desired) {
      const live = await kube.get({ apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name ?? '' });
      if (!live) missing.push(`${describeObject(obj)} does not exist`);
      else if (obj.kind === 'PersistentVolume') {
        livePvs.push(live);
        // A throwaway's PV on production's path would hand production's data to the drill's apps.
        const [want, have] = [pvPath(obj), pvPath(live)];
        if (want !== have) missing.push(`PV ${obj.metadata.name} points at ${have ?? '(no path)'}, want ${want ?? '(no path)'}`);
      }
    }
    missing.push(...checkRequiredLabels(livePvs, st.requiredLabels).map((p) => p.message));
    const claims = await appClaims(ctx);
    const live = await liveClaimProblems(kube, claims, desired.filter((o) => o.kind === 'PersistentVolume'));
    const named = new Set(live.map((p) => p.claim));
    for (const c of checkClaims(livePvs, claims)) if (!c.ok && !named.has(c.claim)) missing.push(c.message);
    missing.push(...live.map((p) => p.message));
    missing.push(...(await pvNodeProblems(kube, livePvs)));
    return { ok: missing.length === 0, missing, checked };
  },
};
