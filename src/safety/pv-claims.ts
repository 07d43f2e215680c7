// What happens to a PV *object* (not its data, see pv-survival.ts) and to the claim it holds: deleted
// with the cluster and re-created by the storage step only when the storage file declares it, or kept
// as it is (provider existing) with whatever stale claimRef it carries. Pure.
import type { ProviderName } from '../config/types.js';
import { claimName } from '../k8s/pv-match.js';
import type { KubeObject } from '../kube/types.js';

export type PvObjectFate = 'recreated' | 'not-recreated' | 'kept';

export interface PvObjectVerdict {
  object: PvObjectFate;
  /** Its claim now and afterwards: "stale claimRef to deleted PVC home/recipes-data: dropped, …". */
  claim: string;
}

interface ClaimRef {
  namespace?: string;
  name?: string;
  uid?: string;
}

/** The claimRef judged against the live PVCs: current, stale (deleted or re-created), or none. */
function describeClaimRef(pv: KubeObject, claims: readonly KubeObject[]): { stale: boolean; text: string } | undefined {
  const ref = ((pv.spec ?? {}) as { claimRef?: ClaimRef }).claimRef;
  if (!ref) return undefined;
  const named = `${ref.namespace ?? 'default'}/${ref.name ?? ''}`;
  const live = claims.find((c) => claimName(c) === named);
  if (live && (ref.uid === undefined || ref.uid === live.metadata.uid)) return { stale: false, text: `bound to PVC ${named}` };
  return { stale: true, text: `stale claimRef to PVC ${named} (${live ? 'deleted, and re-created since with another uid' : 'deleted'})` };
}

/** `declared`: the storage file's PV names; undefined when the config has no storage file. */
export function pvObjectFate(pv: KubeObject, opts: { provider: ProviderName; declared?: readonly string[]; claims: readonly KubeObject[] }): PvObjectVerdict {
  const ref = describeClaimRef(pv, opts.claims);
  if (opts.provider === 'existing') {
    if (!ref?.stale) return { object: 'kept', claim: ref ? `${ref.text}: stays bound` : 'no claim' };
    // Applying the storage file over a live PV changes neither its claimRef nor its phase.
    return { object: 'kept', claim: `KEEPS its ${ref.text}: no PVC binds it until it is cleared (kubectl patch pv ${pv.metadata.name} --type merge -p '{"spec":{"claimRef":null}}')` };
  }
  if (!opts.declared?.includes(pv.metadata.name)) {
    const why = opts.declared ? 'not in the storage file (made by hand, or provisioned)' : 'the config has no storage file';
    return { object: 'not-recreated', claim: `${why}: nothing re-creates this PV${ref ? `; its ${ref.text} goes with it` : ''}` };
  }
  if (!ref) return { object: 'recreated', claim: 'no claim; re-created from the storage file' };
  return { object: 'recreated', claim: `re-created from the storage file without its ${ref.text}: a PVC that matches binds it afresh` };
}
