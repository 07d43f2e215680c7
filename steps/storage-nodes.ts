// Which node each PV of the storage file lands on, for the cluster a run targets: the single
// placeholder (storage.nodeNamePlaceholder) becomes the target node as before, and each storage.nodes
// placeholder the node that holds its PVs' data, or the node it follows where that node does not exist.
// Offline (plan, lint) against the nodes the config lays out; live against the cluster's nodes.
import { describeLayout, plannedNodes, type PlannedNode } from '../src/cluster/node-layout.js';
import { pvAffinityTerms, termMatches } from '../src/diagnose/node-match.js';
import { healthOf } from '../src/health/rules.js';
import { parseManifests } from '../src/k8s/manifests.js';
import { pvHostnames, resolveStorageNodes, substitutePlaceholders, type NodeFacts } from '../src/k8s/pv-nodes.js';
import type { KubeObject } from '../src/k8s/types.js';
import type { KubeClient } from '../src/kube/client.js';
import type { KubeObject as LiveObject } from '../src/kube/types.js';
import { problemRecord, type PlanLine } from '../src/report/problems.js';
import type { RecoveryContext } from './context.js';

const facts = (node: LiveObject | PlannedNode): NodeFacts =>
  'metadata' in node ? { name: node.metadata.name, labels: node.metadata.labels ?? {} } : { name: node.name, labels: node.labels };

/** Placeholder → node on a cluster with these nodes, `target` being the single placeholder's node. */
export function placeholderNodes(ctx: RecoveryContext, nodes: readonly NodeFacts[], target: string): { map: Map<string, string>; problems: string[] } {
  const st = ctx.config.storage!;
  const { resolved, problems } = resolveStorageNodes(st, nodes, ctx.clusterName);
  return { map: new Map([[st.nodeNamePlaceholder, target], ...resolved.map((r): [string, string] => [r.placeholder, r.node])]), problems };
}

/**
 * The storage file's text with every placeholder replaced for the target cluster; throws when a
 * placeholder has no node. Where the provider lays the nodes out (k3d, kwok), `follows` picks from that
 * layout, so agent:0 stays <cluster>-agent-0 when a node is gone (verify then names the missing node)
 * instead of sliding onto another agent; provider existing picks from the live nodes.
 */
export async function substituteLive(ctx: RecoveryContext, text: string, target: string): Promise<string> {
  const planned = plannedNodes(ctx.providerName, ctx.clusterName, ctx.config.cluster);
  const nodes = planned ? planned.map(facts) : (await (await ctx.kube()).list({ apiVersion: 'v1', kind: 'Node' })).map(facts);
  const { map, problems } = placeholderNodes(ctx, nodes, target);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return substitutePlaceholders(text, map);
}

/**
 * The plan's view, without a cluster: where each placeholder's PVs land on the cluster the config lays
 * out, and problem records for a PV pinned to a node that cluster will not have. Provider existing lays
 * out nothing (its nodes are the live cluster's): verify checks those.
 */
export function plannedStorageLines(ctx: RecoveryContext, text: string, file: string): PlanLine[] {
  const st = ctx.config.storage!;
  const planned = plannedNodes(ctx.providerName, ctx.clusterName, ctx.config.cluster);
  if (!planned) return st.nodes.map((e) => `PVs of ${e.placeholder} on node ${e.node} (provider existing: checked against the live nodes by verify)`);
  const target = planned.find((n) => n.name === ctx.config.cluster.nodeName)?.name ?? planned[0]!.name;
  const { map, problems } = placeholderNodes(ctx, planned.map(facts), target);
  const problem = (object: string, message: string): PlanLine => ({ problem: problemRecord({ step: 'storage', check: 'pv-nodes', object, file, message }) });
  const lines: PlanLine[] = st.nodes.flatMap((e) => (map.has(e.placeholder) ? [`PVs of ${e.placeholder} on node ${map.get(e.placeholder)}${map.get(e.placeholder) === e.node ? '' : ` (in place of ${e.node}: follows ${e.follows})`}`] : []));
  lines.push(...problems.map((p) => problem('storage.nodes', p)));
  const names = planned.map((n) => n.name);
  // A placeholder left in because its node is missing is already said above.
  const unresolved = new Set(st.nodes.map((e) => e.placeholder).filter((p) => !map.has(p)));
  for (const { obj } of parseManifests(substitutePlaceholders(text, map), file)) {
    if (obj.kind !== 'PersistentVolume') continue;
    const unknown = pvHostnames(obj).filter((h) => !names.includes(h) && !unresolved.has(h));
    for (const h of unknown) lines.push(problem(`PV ${obj.metadata.name}`, `PV ${obj.metadata.name} is pinned to node ${h}, which cluster ${ctx.clusterName} will not have (${ctx.providerName}: ${describeLayout(planned)})`));
  }
  return lines;
}

function ready(node: LiveObject): boolean {
  return healthOf(node).status === 'Current';
}

/** Every PV's node exists and is Ready; every pod that runs with a PV's claim runs on a node the PV allows. */
export async function pvNodeProblems(kube: KubeClient, pvs: readonly KubeObject[]): Promise<string[]> {
  const [nodes, claims, pods] = await Promise.all([
    kube.list({ apiVersion: 'v1', kind: 'Node' }),
    kube.list({ apiVersion: 'v1', kind: 'PersistentVolumeClaim' }),
    kube.list({ apiVersion: 'v1', kind: 'Pod' }),
  ]);
  const problems: string[] = [];
  for (const pv of pvs) {
    for (const host of pvHostnames(pv)) {
      const node = nodes.find((n) => n.metadata.name === host);
      if (!node) problems.push(`PV ${pv.metadata.name} is pinned to node ${host}, which does not exist (nodes: ${nodes.map((n) => n.metadata.name).join(', ') || 'none'})`);
      else if (!ready(node)) problems.push(`PV ${pv.metadata.name} is pinned to node ${host}, which is not Ready`);
    }
  }
  for (const pod of pods) {
    const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    const node = nodes.find((n) => n.metadata.name === nodeName);
    if (!node) continue;
    for (const claimName of podClaims(pod)) {
      const claim = claims.find((c) => c.metadata.name === claimName && c.metadata.namespace === pod.metadata.namespace);
      const pv = pvs.find((p) => p.metadata.name === (claim?.spec as { volumeName?: string } | undefined)?.volumeName);
      const terms = pv ? pvAffinityTerms(pv as unknown as LiveObject) : [];
      if (terms.length > 0 && !terms.some((t) => termMatches(t, node))) {
        problems.push(`pod ${pod.metadata.namespace}/${pod.metadata.name} runs on node ${nodeName}, but its PV ${pv!.metadata.name} (PVC ${claimName}) lives on ${pvHostnames(pv!).join(', ')}`);
      }
    }
  }
  return problems;
}

function podClaims(pod: LiveObject): string[] {
  const volumes = (pod.spec as { volumes?: Array<{ persistentVolumeClaim?: { claimName?: string } }> } | undefined)?.volumes ?? [];
  return volumes.flatMap((v) => (v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : []));
}
