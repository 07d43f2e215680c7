// Why a PVC stays unbound (or its PV cannot reach a node): every PV ranked as a candidate for the PVC
// (pv-candidates.ts), naming the best one, every cause that keeps it, and the commands that remove them.
import { claimName, describeSelector } from '../k8s/pv-match.js';
import type { KubeObject } from '../kube/types.js';
import { asRecord } from '../util/helpers.js';
import { records, specOf, statusOf } from './findings.js';
import { describeTerms, pvAffinityTerms, termMatches } from './node-match.js';
import type { Diagnosis } from './placement.js';
import { describeCandidate, describeCauses, rankCandidates, type Candidate, type ClaimContext } from './pv-candidates.js';

export function claimNamesOf(pod: KubeObject): string[] {
  return records(specOf(pod)['volumes'])
    .map((volume) => asRecord(volume['persistentVolumeClaim'])['claimName'])
    .filter((name): name is string => typeof name === 'string');
}

function describeClaim(pvc: KubeObject): string {
  const spec = specOf(pvc);
  const request = asRecord(asRecord(spec['resources'])['requests'])['storage'];
  const modes = Array.isArray(spec['accessModes']) ? spec['accessModes'].join(',') : 'no access modes';
  const selector = describeSelector(pvc);
  return `PVC ${claimName(pvc)} wants storageClassName ${String(spec['storageClassName'] ?? 'none')}, ${String(request ?? 'no request')}, ${modes}${selector ? `, labels ${selector}` : ''}`;
}

/** Why a node that exists takes no new pod: cordoned, or not Ready (its data is there, its kubelet is not). */
function nodeUnusable(node: KubeObject): string | undefined {
  if (specOf(node)['unschedulable'] === true) return 'cordoned (spec.unschedulable=true)';
  const ready = records(statusOf(node)['conditions']).find((c) => c['type'] === 'Ready');
  return ready && ready['status'] !== 'True' ? `not Ready (${String(ready['reason'] ?? ready['status'])})` : undefined;
}

/** The PV's data lives on nodes that exist, but none of them takes a pod: the pod cannot follow its data anywhere. */
function strandedPv(pv: KubeObject, holders: readonly KubeObject[]): Diagnosis | undefined {
  const states = holders.map((node) => ({ node: node.metadata.name, why: nodeUnusable(node) }));
  if (states.some((s) => s.why === undefined)) return undefined;
  return {
    problem: `PV ${pv.metadata.name} lives on node ${states.map((s) => `${s.node}, which is ${s.why}`).join('; node ')}`,
    evidence: states.map((s) => `node ${s.node} is ${s.why}`),
    fix: states.map((s) => (s.why!.startsWith('cordoned') ? `kubectl uncordon ${s.node} (the pod can only run where its PV's data is)` : `bring node ${s.node} back (its PV's data is there; the pod cannot run elsewhere)`)),
  };
}

/** A PV pinned (nodeAffinity) to nodes that do not exist (the NODE_NAME placeholder left in, a node gone), or only to nodes that take no pod. */
function unreachablePv(pv: KubeObject, nodes: readonly KubeObject[]): Diagnosis | undefined {
  const terms = pvAffinityTerms(pv);
  if (terms.length === 0) return undefined;
  const holders = nodes.filter((node) => terms.some((term) => termMatches(term, node)));
  if (holders.length > 0) return strandedPv(pv, holders);
  return {
    problem: `PV ${pv.metadata.name} is pinned by node affinity to ${describeTerms(terms)}, which no node matches`,
    evidence: [`nodes: ${nodes.map((n) => n.metadata.name).join(', ') || 'none'}`],
    fix: [`recreate PV ${pv.metadata.name} with node affinity naming an existing node (a PV's nodeAffinity cannot be changed in place)`],
  };
}

/** What the claim diagnosis reads: the PVs, and what the ranking judges them by (pv-candidates.ts). */
export interface VolumeView extends ClaimContext {
  pvs: readonly KubeObject[];
  nodes: readonly KubeObject[];
}

/** Besides the live fix: the storage file must say the same, or the next rebuild brings the fault back. */
function storageFileLine(candidate: Candidate): string[] {
  const missing = candidate.causes.some((c) => c.kind === 'label' && !c.text.endsWith('(the storage file gives it that label)'));
  const labels = missing ? ` with ${candidate.labels.join(' ')}` : '';
  if (candidate.declared === false) return [`PV ${candidate.name} is not in the storage file (it was made by hand): add it there${labels}, so a rebuild makes it`];
  return missing ? [`and in the storage file, give PV ${candidate.name} ${candidate.labels.join(' ')}, so a rebuild makes it with ${candidate.labels.length === 1 ? 'it' : 'them'}`] : [];
}

function fixesFor(best: Candidate, pvc: KubeObject): string[] {
  if (best.command) {
    // Read before it is run: a command that hands over another app's data comes after the warning.
    const ordered = best.safety!.startsWith('UNSAFE') ? [best.safety!, best.command] : [best.command, best.safety!];
    return [...ordered, ...storageFileLine(best)];
  }
  if (best.tier < 3) return [`recreate PV ${best.name} with node affinity naming the node that holds its data (a PV's nodeAffinity cannot be changed in place)`];
  const held = best.causes.filter((c) => c.kind === 'bound-elsewhere').map(() => `do not free PV ${best.name} for it: ${best.name} holds the data of the claim it is bound to`);
  return [`no PV can take PVC ${claimName(pvc)} by a change in place: create a PV that matches it (${describeClaim(pvc)}), or change the PVC`, ...held];
}

/** undefined when a PV matches and can reach a node: binding is only waiting, nothing is wrong. */
export function claimDiagnosis(pvc: KubeObject, view: VolumeView): Diagnosis | undefined {
  const claim = claimName(pvc);
  const { pvs, nodes } = view;
  if (statusOf(pvc)['phase'] === 'Bound') {
    const volumeName = String(specOf(pvc)['volumeName'] ?? '');
    const bound = pvs.find((pv) => pv.metadata.name === volumeName);
    if (!bound) return { problem: `PVC ${claim} is bound to PV ${volumeName}, which does not exist`, evidence: [], fix: [`recreate PV ${volumeName}, or delete and recreate PVC ${claim}`] };
    return unreachablePv(bound, nodes);
  }
  if (pvs.length === 0) {
    return { problem: `PVC ${claim} is not bound: no PV exists`, evidence: [describeClaim(pvc)], fix: [`create a PV that matches it (${describeClaim(pvc)})`] };
  }
  const [best, ...others] = rankCandidates(pvc, pvs, view);
  if (best!.causes.length === 0) return undefined;
  return {
    problem: `PVC ${claim} is not bound: PV ${best!.name} ${describeCauses(best!)}`,
    evidence: [
      `${describeClaim(pvc)}; best candidate PV ${describeCandidate(best!)}`,
      ...others.map((o) => `PV ${describeCandidate(o)} ${describeCauses(o)}`),
    ],
    fix: fixesFor(best!, pvc),
  };
}

/** For a pod the volume binder holds back: what is wrong with each of its claims. */
export function podVolumeDiagnoses(pod: KubeObject, pvcs: readonly KubeObject[], view: VolumeView): Diagnosis[] {
  const namespace = pod.metadata.namespace ?? 'default';
  return claimNamesOf(pod).flatMap((name): Diagnosis[] => {
    const pvc = pvcs.find((c) => c.metadata.name === name && (c.metadata.namespace ?? 'default') === namespace);
    if (!pvc) return [{ problem: `it uses PVC ${namespace}/${name}, which does not exist`, evidence: [], fix: [`create PVC ${namespace}/${name}`] }];
    const diagnosis = claimDiagnosis(pvc, view);
    return diagnosis ? [diagnosis] : [];
  });
}
