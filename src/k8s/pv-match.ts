// Why a PVC stays Pending: compare it with every PV field by field, the way the PV binder does,
// and name what differs ("PV appdata-pv (local-storage, 50Gi, RWO) lacks label environment").
import { compareQuantities, parseQuantity } from './quantity.js';
import { isRecord } from '../util/helpers.js';
import { indexPvs } from './pv-index.js';
import { selectorRequirements, specOf, storageClassOf, stringArray, pvCapacity, wantedVolumeOf, type LabelRequirement } from './pv-fields.js';
import type { KubeObject } from './types.js';

export interface ClaimMatch {
  ok: boolean;
  /** Phrases that follow the PV's description, e.g. "lacks label environment". */
  mismatches: string[];
}

export type ClaimCheck =
  | { claim: string; ok: true; pv: string }
  | { claim: string; ok: false; nearestPv?: string; mismatches: string[]; message: string };

const ACCESS_MODE_ABBREVIATIONS: Record<string, string> = {
  ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP',
};

function abbreviate(mode: string): string {
  return ACCESS_MODE_ABBREVIATIONS[mode] ?? mode;
}

function claimRequest(pvc: KubeObject): string | undefined {
  const resources = specOf(pvc).resources;
  const requests = isRecord(resources) && isRecord(resources.requests) ? resources.requests : {};
  return requests.storage !== undefined ? String(requests.storage) : undefined;
}

function volumeModeOf(obj: KubeObject): string {
  return String(specOf(obj).volumeMode ?? 'Filesystem');
}

export function claimName(pvc: KubeObject): string {
  return `${pvc.metadata.namespace ?? 'default'}/${pvc.metadata.name ?? '(unnamed)'}`;
}

/** "appdata-pv (local-storage, 50Gi, RWO)" */
export function describePv(pv: KubeObject): string {
  const modes = stringArray(specOf(pv).accessModes).map(abbreviate).join(',') || 'no access modes';
  const storageClass = storageClassOf(pv) || 'no storageClassName';
  return `${pv.metadata.name ?? '(unnamed)'} (${storageClass}, ${pvCapacity(pv) ?? 'no capacity'}, ${modes})`;
}

/** kubectl's selector syntax: "environment=prod,tier in (ssd,nvme),!legacy" (node selectors add Gt and Lt). */
export function describeRequirement({ key, operator, values }: { key: string; operator: string; values: readonly string[] }): string {
  if (operator === 'In') return values.length === 1 ? `${key}=${values[0]}` : `${key} in (${values.join(',')})`;
  if (operator === 'NotIn') return `${key} notin (${values.join(',')})`;
  if (operator === 'Exists') return key;
  if (operator === 'DoesNotExist') return `!${key}`;
  return `${key} ${operator === 'Gt' ? '>' : operator === 'Lt' ? '<' : operator} ${values.join(',')}`;
}

export function describeSelector(pvc: KubeObject): string {
  return (selectorRequirements(pvc) ?? []).map(describeRequirement).join(',');
}

function labelMismatch(requirement: LabelRequirement, labels: Record<string, string>): string | undefined {
  const { key, operator, values } = requirement;
  const has = Object.hasOwn(labels, key);
  const value = labels[key];
  switch (operator) {
    case 'In':
      if (!has) return `lacks label ${key}`;
      return values.includes(String(value)) ? undefined : `has label ${key}=${value}, not ${describeRequirement(requirement)}`;
    case 'NotIn':
      return has && values.includes(String(value)) ? `has label ${key}=${value}, excluded by ${describeRequirement(requirement)}` : undefined;
    case 'Exists':
      return has ? undefined : `lacks label ${key}`;
    case 'DoesNotExist':
      return has ? `has label ${key}, which the selector requires absent` : undefined;
    default:
      return `cannot be matched: unknown selector operator ${String(operator)}`;
  }
}

function capacityMismatch(pv: KubeObject, pvc: KubeObject): string | undefined {
  const requested = claimRequest(pvc);
  if (requested === undefined) return undefined;
  const offered = pvCapacity(pv);
  if (offered === undefined) return 'has no capacity';
  const offeredQuantity = parseQuantity(offered);
  const requestedQuantity = parseQuantity(requested);
  if (!offeredQuantity) return `has an invalid capacity ${offered}`;
  if (!requestedQuantity) return `cannot be compared: the PVC requests an invalid ${requested}`;
  return compareQuantities(offeredQuantity, requestedQuantity) < 0
    ? `has ${offered}, less than the ${requested} requested`
    : undefined;
}

function claimRefMismatch(pv: KubeObject, pvc: KubeObject): string | undefined {
  const claimRef = specOf(pv).claimRef;
  if (!isRecord(claimRef)) return undefined;
  const refName = `${claimRef.namespace ?? 'default'}/${claimRef.name ?? ''}`;
  const sameUid = claimRef.uid === undefined || pvc.metadata.uid === undefined || claimRef.uid === pvc.metadata.uid;
  // "claimRef", not "bound": a Released PV keeps the claimRef of a PVC that no longer exists.
  return refName === claimName(pvc) && sameUid ? undefined : `has a claimRef to PVC ${refName}${sameUid ? '' : ` uid ${String(claimRef.uid)}`}`;
}

/** What the binder compares that the PV's owner cannot change without changing what the volume is. */
export function specMismatches(pv: KubeObject, pvc: KubeObject): string[] {
  const mismatches: string[] = [];
  const wantedVolume = wantedVolumeOf(pvc);
  if (wantedVolume !== undefined && wantedVolume !== pv.metadata.name) {
    mismatches.push(`is not ${wantedVolume}, the PV the PVC names in volumeName`);
  }
  const pvClass = storageClassOf(pv);
  const pvcClass = storageClassOf(pvc);
  if (pvClass !== pvcClass) {
    mismatches.push(`has ${pvClass ? `storageClassName ${pvClass}` : 'no storageClassName'}, not ${pvcClass || 'none'}`);
  }
  const offeredModes = stringArray(specOf(pv).accessModes);
  for (const mode of stringArray(specOf(pvc).accessModes)) {
    if (!offeredModes.includes(mode)) mismatches.push(`lacks access mode ${abbreviate(mode)}`);
  }
  const capacity = capacityMismatch(pv, pvc);
  if (capacity) mismatches.push(capacity);
  if (volumeModeOf(pv) !== volumeModeOf(pvc)) {
    mismatches.push(`has volumeMode ${volumeModeOf(pv)}, not ${volumeModeOf(pvc)}`);
  }
  return mismatches;
}

export interface LabelProblem {
  /** "lacks label tier", as pvMatchesClaim says it. */
  mismatch: string;
  /** The `kubectl label` argument that fixes it: "tier=gold", "legacy-"; undefined when none can. */
  argument?: string;
  overwrite: boolean;
}

function labelFix(requirement: LabelRequirement, mismatch: string): Omit<LabelProblem, 'mismatch'> {
  const { key, operator, values } = requirement;
  if (operator === 'In') return { argument: `${key}=${values[0] ?? ''}`, overwrite: mismatch.startsWith('has ') };
  if (operator === 'Exists') return { argument: `${key}=`, overwrite: false };
  if (operator === 'NotIn' || operator === 'DoesNotExist') return { argument: `${key}-`, overwrite: false };
  return { overwrite: false };
}

/** Every selector requirement of the PVC the PV's labels fail, each with the label change that fixes it. */
export function labelProblems(pv: KubeObject, pvc: KubeObject, requirements = selectorRequirements(pvc)): LabelProblem[] {
  return (requirements ?? []).flatMap((requirement) => {
    const mismatch = labelMismatch(requirement, pv.metadata.labels ?? {});
    return mismatch ? [{ mismatch, ...labelFix(requirement, mismatch) }] : [];
  });
}

/** Compares one PV with one PVC on every field the binder compares (`requirements`: the PVC's selector, read once by a caller comparing many PVs). */
export function pvMatchesClaim(pv: KubeObject, pvc: KubeObject, requirements = selectorRequirements(pvc)): ClaimMatch {
  const mismatches = [...specMismatches(pv, pvc), ...labelProblems(pv, pvc, requirements).map((p) => p.mismatch)];
  const claimRef = claimRefMismatch(pv, pvc);
  if (claimRef) mismatches.push(claimRef);
  return { ok: mismatches.length === 0, mismatches };
}

/**
 * For every PVC with a selector: the PV it would bind to (the smallest match, one claim per PV,
 * as the binder picks), or the nearest PV (fewest mismatches) and what differs.
 */
export function checkClaims(pvs: readonly KubeObject[], pvcs: readonly KubeObject[]): ClaimCheck[] {
  const taken = new Map<string, string>();
  const index = indexPvs(pvs);
  const results: ClaimCheck[] = [];
  for (const pvc of pvcs) {
    const requirements = selectorRequirements(pvc);
    if (requirements === undefined) continue;
    const claim = claimName(pvc);
    // The first candidate in the binder's order that is free and matches on every field.
    const match = index.candidates(pvc).map((position) => index.bySize[position]!)
      .find((pv) => !taken.has(pv.metadata.name ?? '') && pvMatchesClaim(pv, pvc, requirements).ok);
    if (match) {
      taken.set(match.metadata.name ?? '', claim);
      results.push({ claim, ok: true, pv: match.metadata.name ?? '' });
      continue;
    }
    // No match: every PV is compared in full, to name the nearest and what differs.
    const compared = index.bySize.map((pv) => {
      const { mismatches } = pvMatchesClaim(pv, pvc, requirements);
      const holder = taken.get(pv.metadata.name ?? '');
      return { pv, mismatches: holder ? [...mismatches, `is already matched to PVC ${holder}`] : mismatches };
    });
    results.push(claimFailure(pvc, index.written, compared));
  }
  return results;
}

function claimFailure(
  pvc: KubeObject,
  written: ReadonlyMap<KubeObject, number>,
  compared: Array<{ pv: KubeObject; mismatches: string[] }>,
): ClaimCheck {
  const claim = claimName(pvc);
  const prefix = `PVC ${claim} selects ${describeSelector(pvc) || 'everything'}`;
  // Nearest: fewest mismatches; ties go to the PV written first.
  const nearest = [...compared].sort(
    (a, b) => a.mismatches.length - b.mismatches.length || written.get(a.pv)! - written.get(b.pv)!,
  )[0];
  if (!nearest) return { claim, ok: false, mismatches: [], message: `${prefix}; no PV exists` };
  return {
    claim,
    ok: false,
    nearestPv: nearest.pv.metadata.name,
    mismatches: nearest.mismatches,
    message: `${prefix}; PV ${describePv(nearest.pv)} ${nearest.mismatches.join('; ')}`,
  };
}

export interface RequiredLabelProblem {
  pv: string;
  label: string;
  message: string;
}

/** Every PV must carry every required label with the required value. */
export function checkRequiredLabels(pvs: readonly KubeObject[], required: Record<string, string>): RequiredLabelProblem[] {
  const problems: RequiredLabelProblem[] = [];
  for (const pv of pvs.filter((obj) => obj.kind === 'PersistentVolume')) {
    const name = pv.metadata.name ?? '(unnamed)';
    const labels = pv.metadata.labels ?? {};
    for (const [key, value] of Object.entries(required)) {
      if (!Object.hasOwn(labels, key)) {
        problems.push({ pv: name, label: key, message: `PV ${name} lacks label ${key}=${value}` });
      } else if (labels[key] !== value) {
        problems.push({ pv: name, label: key, message: `PV ${name} has label ${key}=${labels[key]}, not ${key}=${value}` });
      }
    }
  }
  return problems;
}
