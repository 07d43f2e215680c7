// Which node of a live cluster holds which PVs (a local PV's data is on the node its affinity names):
// the blast-radius screen's nodes table, and for provider existing (a cluster homelab-dr does not
// make, so no layout says what it has) plan's and verify's count of its nodes by role.
import { roleOf, type NodeRole } from '../cluster/node-layout.js';
import { healthOf } from '../health/rules.js';
import { pvHostnames } from '../k8s/pv-nodes.js';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';
import { errorMessage } from '../util/errors.js';
import { alignColumns } from '../util/helpers.js';

/** A node of the live cluster, and the PVs pinned to it (their data is on that node). */
export interface NodeRow {
  name: string;
  role: NodeRole;
  ready: boolean;
  pvs: string[];
}

/** How many PV names a node's row shows before "… N more": the table stays one line per node at 200 PVs. */
export const PV_NAMES_SHOWN = 3;

const byNameNumeric = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

/** Every node with its role, readiness and the PVs pinned to it (provider existing: these are all the nodes there are). */
export function nodeRows(nodes: readonly KubeObject[], pvs: readonly KubeObject[]): NodeRow[] {
  const pinned = new Map<string, string[]>();
  for (const pv of pvs) {
    for (const host of new Set(pvHostnames(pv))) pinned.set(host, [...(pinned.get(host) ?? []), pv.metadata.name]);
  }
  return nodes
    .map((node) => ({
      name: node.metadata.name,
      role: roleOf(node.metadata.labels),
      ready: healthOf(node).status === 'Current',
      pvs: (pinned.get(node.metadata.name) ?? []).sort(byNameNumeric),
    }))
    .sort((a, b) => byNameNumeric(a.name, b.name));
}

export async function readNodeRows(kube: KubeClient): Promise<NodeRow[]> {
  const [nodes, pvs] = await Promise.all([kube.list({ apiVersion: 'v1', kind: 'Node' }), kube.list({ apiVersion: 'v1', kind: 'PersistentVolume' })]);
  return nodeRows(nodes, pvs);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "pv-a, pv-b", or "25 PVs: pv0, pv8, pv16 … 22 more". */
function pvList(pvs: readonly string[]): string {
  if (pvs.length === 0) return '-';
  if (pvs.length <= PV_NAMES_SHOWN) return pvs.join(', ');
  return `${plural(pvs.length, 'PV')}: ${pvs.slice(0, PV_NAMES_SHOWN).join(', ')} … ${pvs.length - PV_NAMES_SHOWN} more`;
}

/** "Nodes: 3 (1 server, 2 agents)" and one row per node with the PVs pinned to it. */
export function renderNodes(nodes: readonly NodeRow[]): string[] {
  const servers = nodes.filter((n) => n.role === 'server').length;
  const notReady = nodes.filter((n) => !n.ready).length;
  const head = `Nodes: ${nodes.length} (${plural(servers, 'server')}, ${plural(nodes.length - servers, 'agent')}${notReady ? `; ${notReady} NOT READY` : ''})`;
  if (nodes.length === 0) return [head];
  return [head, ...alignColumns([['NODE', 'ROLE', 'READY', 'PVS PINNED TO IT'], ...nodes.map((n) => [n.name, n.role, n.ready ? 'yes' : 'NO', pvList(n.pvs)])], '  ')];
}

/** The nodes section as text and data; a cluster that cannot be read says why, never nothing. */
export interface NodesSection {
  lines: string[];
  data: { nodes: NodeRow[] } | { nodesUnreadable: string };
}

export async function nodesSection(read: () => Promise<NodeRow[]>): Promise<NodesSection> {
  try {
    const nodes = await read();
    return { lines: renderNodes(nodes), data: { nodes } };
  } catch (err) {
    const reason = errorMessage(err);
    return { lines: [`Nodes: cannot be counted (${reason})`], data: { nodesUnreadable: reason } };
  }
}
