// Which PVs a claim needs comparing with. The field-by-field comparison (pvMatchesClaim) stays the
// judge; the index only narrows 200 claims × 200 PVs to the few PVs that can match each claim, so
// checking a large homelab's claims is not quadratic. Every list it returns holds every PV that can
// match (a superset), in the binder's order.
import { capacitySortKey, selectorRequirements, storageClassOf, wantedVolumeOf } from './pv-fields.js';
import type { KubeObject } from './types.js';

export interface PvIndex {
  /** Every PV in the binder's order: smallest capacity first, ties in the order written. */
  bySize: readonly KubeObject[];
  /** Where the PV was written (ties between equally near PVs go to the one written first). */
  written: ReadonlyMap<KubeObject, number>;
  /** Positions in bySize, ascending, of every PV that can match the claim (and maybe some that cannot). */
  candidates(pvc: KubeObject): readonly number[];
}

function push<K>(map: Map<K, number[]>, key: K, position: number): void {
  const list = map.get(key);
  if (list) list.push(position);
  else map.set(key, [position]);
}

/** "key" NUL "value": one map key per label pair (a NUL in a key, invalid anyway, could only merge two buckets: still a superset). */
function labelKey(key: string, value: string): string {
  return `${key}\0${value}`;
}

export function indexPvs(pvs: readonly KubeObject[]): PvIndex {
  const sizes = new Map(pvs.map((pv) => [pv, capacitySortKey(pv)]));
  // The same comparator as the binder's order always had (a stable sort; no capacity sorts last).
  const bySize = [...pvs].sort((a, b) => sizes.get(a)! - sizes.get(b)!);
  const byClass = new Map<string, number[]>();
  const byName = new Map<string, number[]>();
  const byLabel = new Map<string, number[]>();
  bySize.forEach((pv, position) => {
    push(byClass, storageClassOf(pv), position);
    push(byName, pv.metadata.name ?? '', position);
    // String(): the comparison reads label values the same way (a YAML 1.1 number stays comparable).
    for (const [key, value] of Object.entries(pv.metadata.labels ?? {})) push(byLabel, labelKey(key, String(value)), position);
  });
  const candidates = (pvc: KubeObject): readonly number[] => {
    // Each source alone holds every PV that can match (an In requirement: the PVs of any of its
    // values); the smallest is the cheapest to compare, and only it is merged into one list.
    const sources: Array<ReadonlyArray<readonly number[]>> = [[byClass.get(storageClassOf(pvc)) ?? []]];
    const volume = wantedVolumeOf(pvc);
    if (volume !== undefined) sources.push([byName.get(volume) ?? []]);
    for (const requirement of selectorRequirements(pvc) ?? []) {
      if (requirement.operator !== 'In') continue;
      sources.push([...new Set(requirement.values)].map((value) => byLabel.get(labelKey(requirement.key, value)) ?? []));
    }
    const size = (source: ReadonlyArray<readonly number[]>) => source.reduce((sum, list) => sum + list.length, 0);
    const smallest = sources.reduce((best, source) => (size(source) < size(best) ? source : best));
    return smallest.length === 1 ? smallest[0]! : smallest.flat().sort((a, b) => a - b);
  };
  // The first place written, as indexOf would say, should the same object be listed twice.
  const written = new Map<KubeObject, number>();
  pvs.forEach((pv, i) => { if (!written.has(pv)) written.set(pv, i); });
  return { bySize, written, candidates };
}
