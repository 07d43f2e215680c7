// Preflight on a cluster the run keeps (hard-reset --from storage, or provider existing): the storage
// step will apply the storage file over the live PVs, which adds the file's labels but leaves each PV's
// claimRef, phase and node affinity as they are. Predict that, and name every claim of the apps that
// still could not bind, with the cause and the fix, before the run starts.
import type { KubeObject } from '../src/kube/types.js';
import { errorMessage } from '../src/util/errors.js';
import type { RecoveryContext } from './context.js';
import type { Problem } from './preflight-checks.js';
import { appClaims, desiredStorage } from './storage.js';
import { liveClaimProblems } from './storage-live.js';

/** The PVs after the storage step: live ones with the file's labels added, the file's others new and Available. */
export function afterStorageApply(live: readonly KubeObject[], declared: readonly KubeObject[]): KubeObject[] {
  const merged = live.map((pv) => {
    const file = declared.find((d) => d.metadata.name === pv.metadata.name);
    return file ? { ...pv, metadata: { ...pv.metadata, labels: { ...pv.metadata.labels, ...file.metadata.labels } } } : pv;
  });
  const fresh = declared
    .filter((d) => !live.some((pv) => pv.metadata.name === d.metadata.name))
    .map((d) => ({ ...d, status: { phase: 'Available' } }));
  return [...merged, ...fresh];
}

export async function keptClusterProblems(ctx: RecoveryContext): Promise<Problem[]> {
  if (!ctx.config.storage || !ctx.keepsCluster) return [];
  try {
    // A cluster that is not there keeps nothing: create-cluster makes it, and the storage file's PVs are new.
    if (!(await (await ctx.provider()).exists(ctx.clusterName))) return [];
    const declared = (await desiredStorage(ctx)).filter((o) => o.kind === 'PersistentVolume');
    const problems = await liveClaimProblems(await ctx.kube(), await appClaims(ctx), declared, (pvs) => afterStorageApply(pvs, declared));
    return problems.map((p) => ({ check: 'pv-claims' as const, subject: `PVC ${p.claim}`, message: `on the live cluster, after the storage step: ${p.message}` }));
  } catch (err) {
    return [{ check: 'pv-claims', subject: `cluster ${ctx.clusterName}`, message: `the live PVs and PVCs could not be read: ${errorMessage(err)}` }];
  }
}
