// Which PV should take an unbound PVC, and what exactly keeps it from binding. Every PV is a
// candidate, ranked by what an operator can do about it: a PV that differs only in what is fixed in
// place (labels, a stale claimRef, a Released or Failed phase) comes first, one that must be recreated
// (node affinity) next, one whose data belongs to another claim after that, and a PV bound elsewhere,
// or of another size, class, access mode or volumeMode, last. Pure: objects in, candidates out.
import { claimName, describePv, labelProblems, specMismatches, type LabelProblem } from '../k8s/pv-match.js';
import type { KubeObject } from '../kube/types.js';
import { asRecord } from '../util/helpers.js';
import { specOf, statusOf } from './findings.js';
import { describeTerms, pvAffinityTerms, termMatches } from './node-match.js';

/** What the ranking reads besides the PVs: the live claims, the nodes, the storage file's PVs. */
export interface ClaimContext {
  /** Every PVC of every namespace: a PV's claimRef is judged against the live PVC it names. */
  claims: readonly KubeObject[];
  /** The cluster's nodes; undefined when not read (node affinity is then not judged). */
  nodes?: readonly KubeObject[];
  /** The config's storage-file PVs; undefined when there is no storage file to compare with. */
  declared?: readonly KubeObject[];
}

/**
 * 0 fixed in place, safely; 1 recreated (node affinity), data kept; 2 fixed in place, but the data
 * belongs to another claim; 3 not this claim's PV (bound elsewhere, or another size, class, mode).
 */
export type Tier = 0 | 1 | 2 | 3;

export type CauseKind = 'label' | 'stale-claim' | 'foreign-claim' | 'failed' | 'node-gone' | 'bound-elsewhere' | 'spec';

export interface Cause {
  kind: CauseKind;
  /** Follows "PV <name> ": "is Released: its claimRef names PVC home/recipes-data (uid 1f2e…), which was deleted". */
  text: string;
}

const TIER_OF: Record<CauseKind, Tier> = {
  label: 0, 'stale-claim': 0, failed: 0, 'node-gone': 1, 'foreign-claim': 2, 'bound-elsewhere': 3, spec: 3,
};

export interface Candidate {
  pv: KubeObject;
  name: string;
  tier: Tier;
  causes: Cause[];
  /** False when the PV is not in the storage file (made by hand); undefined when there is no file. */
  declared?: boolean;
  /** The `kubectl label` arguments its label causes need ("tier=gold"), for the storage file too. */
  labels: string[];
  /** One shell line of kubectl commands that removes every cause; absent for tier 3. */
  command?: string;
  /** Why the command is safe for the data, or whose data it would hand to this claim. */
  safety?: string;
}

const short = (uid: unknown): string => String(uid ?? 'none').slice(0, 8);
const refName = (ref: Record<string, unknown>): string => `${String(ref['namespace'] ?? 'default')}/${String(ref['name'] ?? '')}`;
const phaseOf = (pv: KubeObject): string => String(statusOf(pv)['phase'] ?? 'Available');

function labelText(problem: LabelProblem, pvc: KubeObject, declaredPv: KubeObject | undefined): string {
  const lacks = /^lacks label (\S+)$/.exec(problem.mismatch);
  const wanted = problem.argument && !problem.argument.endsWith('-') ? problem.argument : undefined;
  const base = lacks && wanted ? `lacks label ${wanted}` : problem.mismatch;
  const key = wanted?.split('=')[0];
  const fileHas = key !== undefined && declaredPv?.metadata.labels?.[key] === wanted!.slice(key.length + 1);
  return `${base} that PVC ${claimName(pvc)} selects${fileHas ? ' (the storage file gives it that label)' : ''}`;
}

/** The claimRef and phase of a PV, judged against the live claim it names. */
function claimCauses(pv: KubeObject, pvc: KubeObject, claims: readonly KubeObject[]): Cause[] {
  const ref = asRecord(specOf(pv)['claimRef']);
  const phase = phaseOf(pv);
  const message = statusOf(pv)['message'];
  const said = phase === 'Failed' && message ? `Failed (${String(message)})` : phase;
  const failed: Cause[] = phase === 'Failed' ? [{ kind: 'failed', text: `is ${said}` }] : [];
  if (Object.keys(ref).length === 0) return failed;
  const named = refName(ref);
  // A claim read from a manifest has no uid: only a live PVC tells whether the claimRef is current.
  const live = claims.find((c) => claimName(c) === named) ?? (named === claimName(pvc) && pvc.metadata.uid ? pvc : undefined);
  const uid = ref['uid'];
  const sameAsLive = live !== undefined && (uid === undefined || uid === live.metadata.uid);
  if (named === claimName(pvc) && sameAsLive) return failed;
  if (sameAsLive) {
    return [{ kind: 'bound-elsewhere', text: phase === 'Bound' ? `is bound to PVC ${named}` : `is claimed by PVC ${named} (claimRef; phase ${said})` }];
  }
  const gone = live ? `which was deleted (PVC ${named} now has uid ${short(live.metadata.uid)})` : 'which no longer exists';
  return [{ kind: named === claimName(pvc) ? 'stale-claim' : 'foreign-claim', text: `is ${said}: its claimRef names PVC ${named} (uid ${short(uid)}), ${gone}` }];
}

function nodeCause(pv: KubeObject, nodes: readonly KubeObject[] | undefined): Cause[] {
  const terms = pvAffinityTerms(pv);
  if (!nodes || terms.length === 0 || nodes.some((node) => terms.some((term) => termMatches(term, node)))) return [];
  const names = nodes.map((n) => n.metadata.name).join(', ') || 'none';
  return [{ kind: 'node-gone', text: `is pinned by node affinity to ${describeTerms(terms)}, which no node matches (nodes: ${names})` }];
}

/** The hostnames a PV's node affinity names, for the sed that points it at a live node. */
export function pinnedHostnames(pv: KubeObject): string[] {
  return pvAffinityTerms(pv).flatMap((term) =>
    term.matchExpressions.filter((r) => r.key === 'kubernetes.io/hostname' && r.operator === 'In').flatMap((r) => r.values),
  );
}

/**
 * nodeAffinity is immutable, so the PV object is recreated pointing at the one node there is; its
 * volume (the files) is not touched. Undefined when the node to point at is not certain.
 */
export function repinCommand(pv: KubeObject, nodes: readonly KubeObject[]): string | undefined {
  const [from] = pinnedHostnames(pv);
  const to = nodes.length === 1 ? nodes[0]!.metadata.name : undefined;
  if (!from || !to) return undefined;
  return `kubectl get pv ${pv.metadata.name} -o json | sed 's/"${from}"/"${to}"/g' | kubectl replace --force -f -`;
}

const CLEAR_CLAIM_REF = `--type merge -p '{"spec":{"claimRef":null}}'`;

/** kubectl lines for every cause at once, in the order they must run (recreation reads the patched PV). */
function commandFor(candidate: Omit<Candidate, 'command' | 'safety'>, overwrite: boolean, nodes: readonly KubeObject[] | undefined): string | undefined {
  if (candidate.tier === 3) return undefined;
  const { name, causes, pv } = candidate;
  const has = (...kinds: CauseKind[]): boolean => causes.some((c) => kinds.includes(c.kind));
  const parts: string[] = [];
  if (candidate.labels.length > 0) parts.push(`kubectl label pv ${name} ${candidate.labels.join(' ')}${overwrite ? ' --overwrite' : ''}`);
  // A failed reclaim (Delete/Recycle) must not run again; and deleting a PV object whose policy is
  // Delete can delete its volume (CSI honours the policy on PV deletion), so a recreation needs Retain.
  if ((phaseOf(pv) === 'Failed' || has('node-gone')) && (specOf(pv)['persistentVolumeReclaimPolicy'] ?? 'Retain') !== 'Retain') {
    parts.push(`kubectl patch pv ${name} --type merge -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}'`);
  }
  if (has('stale-claim', 'foreign-claim', 'failed')) parts.push(`kubectl patch pv ${name} ${CLEAR_CLAIM_REF}`);
  if (has('node-gone')) {
    const repin = repinCommand(pv, nodes ?? []);
    if (!repin) return undefined;
    parts.push(repin);
  }
  return parts.join(' && ');
}

function safetyOf(candidate: Omit<Candidate, 'command' | 'safety'>, pvc: KubeObject): string | undefined {
  const { name, causes, pv } = candidate;
  const foreign = causes.find((c) => c.kind === 'foreign-claim');
  const ref = refName(asRecord(specOf(pv)['claimRef']));
  if (foreign) {
    return `UNSAFE: PV ${name} holds the data of PVC ${ref}, not of PVC ${claimName(pvc)}; freeing it hands that app's data to ${claimName(pvc)}. Run it only if ${claimName(pvc)} is meant to take over that data`;
  }
  if (candidate.tier === 3) return undefined;
  const kept: string[] = [];
  if (causes.some((c) => c.kind === 'stale-claim')) kept.push(`its claimRef names ${ref}, the claim now asking for it, so the data goes back to the same claim`);
  if (causes.some((c) => c.kind === 'node-gone')) kept.push('the PV object is recreated, the files of its volume are not touched');
  if (causes.some((c) => c.kind === 'label')) kept.push('labels change no data');
  if (kept.length === 0) kept.push('no claim holds it');
  return `safe: ${kept.join('; ')}; the data on the volume stays`;
}

function candidateOf(pv: KubeObject, pvc: KubeObject, context: ClaimContext): Candidate {
  const name = pv.metadata.name ?? '(unnamed)';
  const declaredPv = context.declared?.find((d) => d.metadata.name === name);
  const labels = labelProblems(pv, pvc);
  const causes: Cause[] = [
    ...specMismatches(pv, pvc).map((text): Cause => ({ kind: 'spec', text })),
    ...claimCauses(pv, pvc, context.claims),
    ...nodeCause(pv, context.nodes),
    ...labels.map((l): Cause => ({ kind: l.argument ? 'label' : 'spec', text: labelText(l, pvc, declaredPv) })),
  ];
  const tier = Math.max(0, ...causes.map((c) => TIER_OF[c.kind])) as Tier;
  const args = labels.map((l) => l.argument).filter((a): a is string => a !== undefined);
  const base = { pv, name, tier, causes, labels: args, ...(context.declared ? { declared: declaredPv !== undefined } : {}) };
  const command = causes.length > 0 ? commandFor(base, labels.some((l) => l.overwrite), context.nodes) : undefined;
  const safety = command ? safetyOf(base, pvc) : undefined;
  return { ...base, ...(command ? { command } : {}), ...(safety ? { safety } : {}) };
}

const otherClass = (c: Candidate): number => (c.causes.some((cause) => cause.text.includes('storageClassName')) ? 1 : 0);
const handMade = (c: Candidate): number => (c.declared === false ? 1 : 0);

/**
 * Every PV as a candidate for the PVC, best first: by tier, then fewest causes, then a PV of the
 * storage file before one made by hand, then the claim's storage class, then the order listed.
 */
export function rankCandidates(pvc: KubeObject, pvs: readonly KubeObject[], context: ClaimContext): Candidate[] {
  const candidates = pvs.map((pv) => candidateOf(pv, pvc, context));
  return candidates
    .map((candidate, order) => ({ candidate, order }))
    .sort((a, b) =>
      a.candidate.tier - b.candidate.tier ||
      a.candidate.causes.length - b.candidate.causes.length ||
      handMade(a.candidate) - handMade(b.candidate) ||
      otherClass(a.candidate) - otherClass(b.candidate) ||
      a.order - b.order)
    .map(({ candidate }) => candidate);
}

/** "recipes-pv (local-storage, 10Gi, RWO; made by hand: not in the storage file)" */
export function describeCandidate(candidate: Candidate): string {
  return candidate.declared === false ? `${describePv(candidate.pv).replace(/\)$/, '; made by hand: not in the storage file)')}` : describePv(candidate.pv);
}

/** "is Released: …; lacks label tier=gold that PVC home/recipes-data selects" */
export function describeCauses(candidate: Candidate): string {
  return candidate.causes.map((c) => c.text).join('; ');
}
