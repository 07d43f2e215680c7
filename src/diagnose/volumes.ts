// Why a PVC stays unbound (or its PV cannot reach a node): every PV compared with the PVC field by
// field (src/k8s/pv-match.ts), naming the nearest PV and exactly what it lacks.
import { claimName, describePv, describeSelector, pvMatchesClaim } from '../k8s/pv-match.js';
import type { KubeObject } from '../kube/types.js';
import { record, records, specOf, statusOf } from './findings.js';
import { describeTerms, pvAffinityTerms, termMatches } from './node-match.js';
import type { Diagnosis } from './placement.js';

export function claimNamesOf(pod: KubeObject): string[] {
  return records(specOf(pod)['volumes'])
    .map((volume) => record(volume['persistentVolumeClaim'])['claimName'])
    .filter((name): name is string => typeof name === 'string');
}

function selectedValue(pvc: KubeObject, key: string): string | undefined {
  const value = record(record(specOf(pvc)['selector'])['matchLabels'])[key];
  return value === undefined ? undefined : String(value);
}

/** "lacks label environment" → "lacks label environment=prod that PVC apps/appdata-pvc selects". */
function phraseMismatch(mismatch: string, pvc: KubeObject): string {
  const lacks = /^lacks label (\S+)$/.exec(mismatch);
  if (lacks) {
    const value = selectedValue(pvc, lacks[1]!);
    return `lacks label ${lacks[1]}${value !== undefined ? `=${value}` : ''} that PVC ${claimName(pvc)} selects`;
  }
  if (mismatch.startsWith('has label ')) return `${mismatch} that PVC ${claimName(pvc)} selects`;
  return mismatch;
}

function fixFor(mismatch: string, pv: string, pvc: KubeObject): string {
  const lacks = /^lacks label (\S+)$/.exec(mismatch);
  if (lacks) {
    const value = selectedValue(pvc, lacks[1]!);
    if (value !== undefined) return `kubectl label pv ${pv} ${lacks[1]}=${value} (and add it to the PV manifest)`;
  }
  const differs = /^has label (\S+)=\S*, not (\S+)$/.exec(mismatch);
  if (differs) return `kubectl label pv ${pv} ${differs[2]} --overwrite (and fix the PV manifest)`;
  if (mismatch === `is bound to PVC ${claimName(pvc)}`) {
    // Same name, other uid: the PV still holds the claim of a PVC deleted before (a rebuild leftover).
    return `PV ${pv} is Released from an earlier PVC ${claimName(pvc)}: kubectl patch pv ${pv} --type json -p '[{"op":"remove","path":"/spec/claimRef"}]'`;
  }
  if (mismatch.startsWith('is bound to PVC ')) return `PV ${pv} ${mismatch}: create another PV for PVC ${claimName(pvc)}`;
  return `make PV ${pv} and PVC ${claimName(pvc)} agree: the PV ${mismatch}`;
}

function describeClaim(pvc: KubeObject): string {
  const spec = specOf(pvc);
  const request = record(record(spec['resources'])['requests'])['storage'];
  const modes = Array.isArray(spec['accessModes']) ? spec['accessModes'].join(',') : 'no access modes';
  const selector = describeSelector(pvc);
  return `PVC ${claimName(pvc)} wants storageClassName ${String(spec['storageClassName'] ?? 'none')}, ${String(request ?? 'no request')}, ${modes}${selector ? `, labels ${selector}` : ''}`;
}

/** A PV pinned (nodeAffinity) to nodes that do not exist: the NODE_NAME placeholder left in, say. */
function unreachablePv(pv: KubeObject, nodes: readonly KubeObject[]): Diagnosis | undefined {
  const terms = pvAffinityTerms(pv);
  if (terms.length === 0 || nodes.some((node) => terms.some((term) => termMatches(term, node)))) return undefined;
  return {
    problem: `PV ${pv.metadata.name} is pinned by node affinity to ${describeTerms(terms)}, which no node matches`,
    evidence: [`nodes: ${nodes.map((n) => n.metadata.name).join(', ') || 'none'}`],
    fix: [`recreate PV ${pv.metadata.name} with node affinity naming an existing node (a PV's nodeAffinity cannot be changed in place)`],
  };
}

/** undefined when a PV matches and can reach a node: binding is only waiting, nothing is wrong. */
export function claimDiagnosis(pvc: KubeObject, pvs: readonly KubeObject[], nodes: readonly KubeObject[]): Diagnosis | undefined {
  const claim = claimName(pvc);
  if (statusOf(pvc)['phase'] === 'Bound') {
    const volumeName = String(specOf(pvc)['volumeName'] ?? '');
    const bound = pvs.find((pv) => pv.metadata.name === volumeName);
    if (!bound) return { problem: `PVC ${claim} is bound to PV ${volumeName}, which does not exist`, evidence: [], fix: [`recreate PV ${volumeName}, or delete and recreate PVC ${claim}`] };
    return unreachablePv(bound, nodes);
  }
  if (pvs.length === 0) {
    return { problem: `PVC ${claim} is not bound: no PV exists`, evidence: [describeClaim(pvc)], fix: [`create a PV that matches it (${describeClaim(pvc)})`] };
  }
  const compared = pvs.map((pv, order) => ({ pv, order, mismatches: pvMatchesClaim(pv, pvc).mismatches }));
  const match = compared.find((c) => c.mismatches.length === 0);
  if (match) return unreachablePv(match.pv, nodes);
  // Nearest: fewest mismatches; on a tie, a PV of the claim's storage class (a missing label is the
  // usual rebuild fault, a foreign class rarely is), then the PV listed first.
  const otherClass = (c: { mismatches: string[] }) => (c.mismatches.some((m) => m.includes('storageClassName')) ? 1 : 0);
  const [nearest, ...others] = [...compared].sort(
    (a, b) => a.mismatches.length - b.mismatches.length || otherClass(a) - otherClass(b) || a.order - b.order,
  );
  const pvName = nearest!.pv.metadata.name;
  return {
    problem: `PVC ${claim} is not bound: ${nearest!.mismatches.map((m) => `PV ${pvName} ${phraseMismatch(m, pvc)}`).join('; ')}`,
    evidence: [
      `${describeClaim(pvc)}; nearest PV ${describePv(nearest!.pv)}`,
      ...others.map((o) => `PV ${describePv(o.pv)} ${o.mismatches.map((m) => phraseMismatch(m, pvc)).join('; ')}`),
    ],
    fix: nearest!.mismatches.map((m) => fixFor(m, pvName, pvc)),
  };
}

/** For a pod the volume binder holds back: what is wrong with each of its claims. */
export function podVolumeDiagnoses(pod: KubeObject, pvcs: readonly KubeObject[], pvs: readonly KubeObject[], nodes: readonly KubeObject[]): Diagnosis[] {
  const namespace = pod.metadata.namespace ?? 'default';
  return claimNamesOf(pod).flatMap((name): Diagnosis[] => {
    const pvc = pvcs.find((c) => c.metadata.name === name && (c.metadata.namespace ?? 'default') === namespace);
    if (!pvc) return [{ problem: `it uses PVC ${namespace}/${name}, which does not exist`, evidence: [], fix: [`create PVC ${namespace}/${name}`] }];
    const diagnosis = claimDiagnosis(pvc, pvs, nodes);
    return diagnosis ? [diagnosis] : [];
  });
}
