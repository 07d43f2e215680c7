// The PV and PVC fields the binder compares, read one way for the field-by-field comparison
// (pv-match.ts) and for the index that narrows which PVs a claim is compared with (pv-index.ts).
import { parseQuantity } from './quantity.js';
import { isRecord } from '../util/helpers.js';
import type { KubeObject } from './types.js';

export interface LabelRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
}

export function specOf(obj: KubeObject): Record<string, unknown> {
  return isRecord(obj.spec) ? obj.spec : {};
}

export function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

export function storageClassOf(obj: KubeObject): string {
  const fromSpec = specOf(obj).storageClassName;
  // The beta annotation still wins over the field in the binder, for old manifests.
  const fromAnnotation = obj.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'];
  return String(fromAnnotation ?? fromSpec ?? '');
}

export function pvCapacity(pv: KubeObject): string | undefined {
  const capacity = specOf(pv).capacity;
  return isRecord(capacity) && capacity.storage !== undefined ? String(capacity.storage) : undefined;
}

/** The PV's capacity as a number for ordering (the binder picks the smallest match); no or an invalid capacity sorts last. */
export function capacitySortKey(pv: KubeObject): number {
  const quantity = parseQuantity(pvCapacity(pv) ?? '');
  return quantity ? Number(quantity.numerator) / Number(quantity.denominator) : Number.POSITIVE_INFINITY;
}

/** The PVC's volumeName when it names one: the claim is pre-bound to that PV. */
export function wantedVolumeOf(pvc: KubeObject): string | undefined {
  const volumeName = specOf(pvc).volumeName;
  return typeof volumeName === 'string' && volumeName !== '' ? volumeName : undefined;
}

/** matchLabels and matchExpressions as one list; undefined when the PVC has no selector. */
export function selectorRequirements(pvc: KubeObject): LabelRequirement[] | undefined {
  const selector = specOf(pvc).selector;
  if (!isRecord(selector)) return undefined;
  const fromLabels = Object.entries(isRecord(selector.matchLabels) ? selector.matchLabels : {}).map(
    ([key, value]): LabelRequirement => ({ key, operator: 'In', values: [String(value)] }),
  );
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  const fromExpressions = expressions.filter(isRecord).map(
    (expression): LabelRequirement => ({
      key: String(expression.key),
      operator: String(expression.operator) as LabelRequirement['operator'],
      values: stringArray(expression.values),
    }),
  );
  return [...fromLabels, ...fromExpressions];
}
