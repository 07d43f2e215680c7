// create-cluster's verify: the cluster has as many Ready nodes of each role as the config lays out
// (node-layout.ts), not merely "at least one Ready node". Provider existing makes no nodes: there at
// least one of the live cluster's nodes must be Ready.
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
    // A flaky node of a cluster homelab-dr did not make must not block every --from run; the storage
    // step's verify names the nodes its PVs need.
    if (live.length === 0) return [`cluster ${cluster} has no nodes`];
    const notReady = live.flatMap(readiness);
    return notReady.length === live.length ? [`cluster ${cluster}: Ready nodes 0/${live.length}`, ...notReady] : [];
  }
  // By role, not by name: a cluster made outside this run (a test's, an older create) may name its
  // nodes otherwise, and what runs on it depends on how many Ready nodes of each role it has.
  const missing: string[] = [];
  for (const role of ['server', 'agent'] as const) {
    const want = planned.filter((n) => n.role === role).length;
    const ofRole = live.filter((n) => roleOf(n.metadata.labels) === role);
    const ready = ofRole.filter((n) => readiness(n).length === 0);
    if (ready.length >= want) continue;
    const states = ofRole.map((n) => (readiness(n).length === 0 ? `${n.metadata.name} Ready` : readiness(n)[0]!.replace(/^node /, '')));
    missing.push(`Ready ${role} nodes ${ready.length}/${want}${states.length > 0 ? `: ${states.join('; ')}` : `: the cluster has no ${role} node`}`);
  }
  if (missing.length > 0) {
    const ready = live.filter((n) => readiness(n).length === 0).length;
    const servers = planned.filter((n) => n.role === 'server').length;
    missing.unshift(`cluster ${cluster}: Ready nodes ${ready}/${planned.length} (want ${servers} server(s), ${planned.length - servers} agent(s))`);
  }
  return missing;
}
