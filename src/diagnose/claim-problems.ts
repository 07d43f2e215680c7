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

/**
 * A PV made by hand that matched first and took the claim (the binder takes any PV that fits): the
 * app then writes to that volume, while the storage file's PV for it, with the app's data, stays
 * Available. Named with the PV the claim should have, and how to move it there.
 */
function stolenClaim(pvc: KubeObject, live: LiveStorage): ClaimProblem[] {
  const claim = claimName(pvc);
  const volume = String(specOf(pvc)['volumeName'] ?? '');
  if (!live.declared || live.declared.some((d) => d.metadata.name === volume)) return [];
  const free = live.pvs.filter((pv) => live.declared!.some((d) => d.metadata.name === pv.metadata.name) && statusOf(pv)['phase'] === 'Available');
  const [meant] = rankCandidates({ ...pvc, spec: { ...specOf(pvc), volumeName: undefined } }, free, live);
  if (!meant || meant.causes.length > 0) return [];
  const ns = pvc.metadata.namespace ?? 'default';
  return [{
    claim,
    pv: volume,
    message:
      `PVC ${claim} is bound to PV ${volume}, which is not in the storage file (made by hand): it took the claim before the storage file's PV ${meant.name}, which matches it and stands Available; ` +
      `the app writes to ${volume}'s volume, not ${meant.name}'s. If the app's data is on ${meant.name}: stop the app, then ` +
      `kubectl patch pv ${volume} --type merge -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}' && kubectl -n ${ns} delete pvc ${pvc.metadata.name} && kubectl delete pv ${volume}, ` +
      `and apply the app again (its PVC then binds ${meant.name}; ${volume}'s files stay where they are)`,
  }];
}

/** `appClaims` come from the manifests; the live PVC of the same name, when there is one, stands in for each. */
export function liveClaimProblems(appClaims: readonly KubeObject[], live: LiveStorage): ClaimProblem[] {
  return appClaims.filter((c) => specOf(c)['selector'] !== undefined).flatMap((manifest): ClaimProblem[] => {
    const claim = claimName(manifest);
    const pvc = live.claims.find((c) => claimName(c) === claim) ?? manifest;
    if (statusOf(pvc)['phase'] === 'Bound') return stolenClaim(pvc, live);
    const [best] = rankCandidates(pvc, live.pvs, live);
    if (!best || best.causes.length === 0) return [];
    const unsafe = best.safety?.startsWith('UNSAFE');
    const fix = !best.command
      ? 'no PV can take it by a change in place: create a PV that matches it'
      : unsafe ? `${best.safety}; the command: ${best.command}` : `fix: ${best.command} (${best.safety})`;
    return [{ claim, pv: best.name, message: `PVC ${claim} cannot bind: best candidate PV ${best.name} ${describeCauses(best)}; ${fix}` }];
  });
}
