// Which node each PV of the storage file is pinned to. A placeholder in the file (storage.nodes) stands
// for the node that holds the data; on a cluster that has no node of that name (a throwaway cluster,
// a kwok rehearsal) the PV follows the node the config names by role (agent:1) or label (label:k=v).
// Pure: the callers pass the nodes, live or planned.
import type { StorageConfig } from '../config/types.js';
import { roleOf, type NodeRole } from '../cluster/node-layout.js';
import type { KubeObject } from './types.js';

/** What resolution needs of a node. */
export interface NodeFacts {
  name: string;
  labels: Record<string, string>;
}

export interface ResolvedNode {
  placeholder: string;
  node: string;
  /** How it was found: the configured name, or the node that `follows` picked in its place. */
  via: 'name' | 'follows';
}

const byName = (a: NodeFacts, b: NodeFacts): number => a.name.localeCompare(b.name, 'en', { numeric: true });

/** The node a `follows` (`server:N`, `agent:N`, `label:key=value`) picks, or why none. */
export function followNode(follows: string, nodes: readonly NodeFacts[]): { node?: string; why?: string } {
  const label = /^label:([^=]+)=(.*)$/.exec(follows);
  if (label) {
    const [, key, value] = label as unknown as [string, string, string];
    const found = nodes.filter((n) => n.labels[key] === value).sort(byName);
    return found[0] ? { node: found[0].name } : { why: `no node has label ${key}=${value}` };
  }
  const role = /^(server|agent):(\d+)$/.exec(follows);
  if (!role) return { why: `follows ${follows} is neither server:N, agent:N nor label:key=value` };
  const index = Number(role[2]);
  const ofRole = nodes.filter((n) => roleOf(n.labels) === (role[1] as NodeRole)).sort(byName);
  return ofRole[index] ? { node: ofRole[index].name } : { why: `the cluster has ${ofRole.length} ${role[1]} node(s), so no ${follows}` };
}

/** Each storage.nodes entry's node on a cluster with these nodes; `problems` name the entries that have none. */
export function resolveStorageNodes(
  storage: Pick<StorageConfig, 'nodes'>,
  nodes: readonly NodeFacts[],
  cluster: string,
): { resolved: ResolvedNode[]; problems: string[] } {
  const resolved: ResolvedNode[] = [];
  const problems: string[] = [];
  const names = nodes.map((n) => n.name);
  for (const entry of storage.nodes) {
    if (names.includes(entry.node)) {
      resolved.push({ placeholder: entry.placeholder, node: entry.node, via: 'name' });
      continue;
    }
    const followed = entry.follows ? followNode(entry.follows, nodes) : { why: 'storage.nodes gives it no follows (server:N, agent:N or label:key=value) to use in its place' };
    if (followed.node) resolved.push({ placeholder: entry.placeholder, node: followed.node, via: 'follows' });
    else problems.push(`PVs of ${entry.placeholder} are pinned to node ${entry.node}, which cluster ${cluster} does not have (nodes: ${names.join(', ') || 'none'}); ${followed.why}`);
  }
  return { resolved, problems };
}

/** Replaces every placeholder with its node, the longest placeholder first (NODE_A before NODE). */
export function substitutePlaceholders(text: string, nodes: ReadonlyMap<string, string>): string {
  const order = [...nodes.keys()].filter((p) => p !== '').sort((a, b) => b.length - a.length);
  return order.reduce((out, placeholder) => out.split(placeholder).join(nodes.get(placeholder)!), text);
}

/** The node names a PV's required node affinity pins it to (kubernetes.io/hostname In ...). */
export function pvHostnames(pv: KubeObject): string[] {
  const spec = pv.spec as { nodeAffinity?: { required?: { nodeSelectorTerms?: Array<{ matchExpressions?: Array<{ key?: string; operator?: string; values?: unknown[] }> }> } } } | undefined;
  return (spec?.nodeAffinity?.required?.nodeSelectorTerms ?? []).flatMap((term) =>
    (term.matchExpressions ?? []).filter((e) => e.key === 'kubernetes.io/hostname' && e.operator === 'In').flatMap((e) => (e.values ?? []).map(String)),
  );
}
