// The claim check of the storage step's verify and of preflight on a live cluster: for every PVC
// the apps declare with a selector, whether the live PVs let it bind, and if not, the best candidate
// PV with every cause and the commands that remove them (pv-candidates.ts). Pure.
import { claimName } from '../k8s/pv-match.js';
import type { KubeObject } from '../kube/types.js';
import { specOf, statusOf } from './findings.js';
import { describeCauses, rankCandidates, type ClaimContext } from './pv-candidates.js';

export interface ClaimProblem {
  claim: string;
  pv: string;
  message: string;
}

export interface LiveStorage extends ClaimContext {
  pvs: readonly KubeObject[];
}

/** `appClaims` come from the manifests; the live PVC of the same name, when there is one, stands in for each. */
export function liveClaimProblems(appClaims: readonly KubeObject[], live: LiveStorage): ClaimProblem[] {
  return appClaims.filter((c) => specOf(c)['selector'] !== undefined).flatMap((manifest): ClaimProblem[] => {
    const claim = claimName(manifest);
    const pvc = live.claims.find((c) => claimName(c) === claim) ?? manifest;
    if (statusOf(pvc)['phase'] === 'Bound') return [];
    const [best] = rankCandidates(pvc, live.pvs, live);
    if (!best || best.causes.length === 0) return [];
    const fix = best.command ? `fix: ${best.command} (${best.safety})` : `no PV can take it by a change in place: create a PV that matches it`;
    return [{ claim, pv: best.name, message: `PVC ${claim} cannot bind: best candidate PV ${best.name} ${describeCauses(best)}; ${fix}` }];
  });
}
