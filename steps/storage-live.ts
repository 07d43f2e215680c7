// The live half of the claim check, shared by the storage step's verify and preflight on a cluster
// that is kept (`--from storage`): read every PV, PVC and node once, then judge (claim-problems.ts).
import { liveClaimProblems as judge, type ClaimProblem } from '../src/diagnose/claim-problems.js';
import type { KubeClient } from '../src/kube/client.js';
import type { KubeObject } from '../src/kube/types.js';

/** The live PVs, PVCs (every namespace) and nodes. */
export async function readLiveStorage(kube: KubeClient): Promise<{ pvs: KubeObject[]; claims: KubeObject[]; nodes: KubeObject[] }> {
  const [pvs, claims, nodes] = await Promise.all([
    kube.list({ apiVersion: 'v1', kind: 'PersistentVolume' }),
    kube.list({ apiVersion: 'v1', kind: 'PersistentVolumeClaim' }),
    kube.list({ apiVersion: 'v1', kind: 'Node' }),
  ]);
  return { pvs, claims, nodes };
}

/** Why each selecting PVC of the apps cannot bind to the live PVs (after `predict`, when given). */
export async function liveClaimProblems(
  kube: KubeClient,
  appClaims: readonly KubeObject[],
  declared: readonly KubeObject[],
  predict?: (pvs: KubeObject[]) => KubeObject[],
): Promise<ClaimProblem[]> {
  const live = await readLiveStorage(kube);
  return judge(appClaims, { ...live, pvs: predict ? predict(live.pvs) : live.pvs, declared });
}
