// create-cluster's verify: the cluster has every node the config lays out (node-layout.ts), each Ready
// and with its role, not merely "at least one Ready node". Provider existing makes no nodes, so there
// the live cluster's own nodes are the layout: at least one, and every one of them Ready.
import { roleOf, type PlannedNode } from '../src/cluster/node-layout.js';
import { healthOf } from '../src/health/rules.js';
import type { KubeObject } from '../src/kube/types.js';

/** [] when the node is Ready, else the one line that says it is not. */
function readiness(node: KubeObject): string[] {
  const health = healthOf(node);
  return health.status === 'Current' ? [] : [`node ${node.metadata.name} is not Ready${health.message ? ` (${health.message})` : ''}`];
}

/** What is missing from `live` for the layout `planned` (undefined: provider existing). */
export function nodeLayoutMissing(cluster: string, planned: readonly PlannedNode[] | undefined, live: readonly KubeObject[]): string[] {
  if (!planned) {
    if (live.length === 0) return [`cluster ${cluster} has no nodes`];
    return live.flatMap(readiness);
  }
  const missing: string[] = [];
  for (const want of planned) {
    const node = live.find((n) => n.metadata.name === want.name);
    if (!node) missing.push(`node ${want.name} (${want.role}) does not exist`);
    else if (roleOf(node.metadata.labels) !== want.role) missing.push(`node ${want.name} is a ${roleOf(node.metadata.labels)}, want a ${want.role}`);
    else missing.push(...readiness(node));
  }
  if (missing.length > 0) {
    const ready = live.filter((n) => readiness(n).length === 0).length;
    const servers = planned.filter((n) => n.role === 'server').length;
    missing.unshift(`cluster ${cluster}: Ready nodes ${ready}/${planned.length} (want ${servers} server(s), ${planned.length - servers} agent(s))`);
  }
  return missing;
}
