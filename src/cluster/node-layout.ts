// The nodes a cluster of this config will have, before it exists: names, roles, labels and taints as
// k3s sets them (k3d) or as the kwok provider makes its fake nodes, so that lint can say a PV is pinned
// to a node the cluster will not have, create-cluster can expect every node, and kwok rehearses the
// scheduling (roles, labels, taints, node affinity) of the real cluster. Pure.
import type { ClusterConfig, ProviderName } from '../config/types.js';

export type NodeRole = 'server' | 'agent';

export interface NodeTaint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface PlannedNode {
  name: string;
  role: NodeRole;
  /** Index among the nodes of its role, as k3d counts them (server:0, agent:1). */
  index: number;
  labels: Record<string, string>;
  taints: NodeTaint[];
}

/** The label k3s gives servers (and kubeadm control planes); agents carry no role label. */
export const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';

/** Whether a k3d node filter (`all`, `server:*`, `agent:1`, `server:0,2`, `agent:0-2`) selects this node. */
export function nodeFilterMatches(filter: string, role: NodeRole, index: number): boolean {
  if (filter === 'all') return true;
  const [filterRole, spec = '*'] = filter.split(':', 2);
  const roles = filterRole === 'servers' ? 'server' : filterRole === 'agents' ? 'agent' : filterRole;
  if (roles !== role) return false;
  if (spec === '*') return true;
  return spec.split(',').some((part) => {
    const [from, to] = part.split('-').map(Number);
    return to === undefined ? from === index : from! <= index && index <= to;
  });
}

/** `key=value:Effect` or `key:Effect`, as k3s' --node-taint takes it; undefined when it is not one. */
export function parseTaint(text: string): NodeTaint | undefined {
  const match = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(text);
  if (!match) return undefined;
  return { key: match[1]!, ...(match[2] !== undefined ? { value: match[2] } : {}), effect: match[3] as NodeTaint['effect'] };
}

/** The value of a k3s flag given as `--flag=value` (or `--flag value` written as one arg). */
function flagValue(arg: string, flag: string): string | undefined {
  for (const sep of ['=', ' ']) if (arg.startsWith(`${flag}${sep}`)) return arg.slice(flag.length + 1).trim();
  return undefined;
}

/** Labels and taints the config's k3s args (`--node-label`, `--node-taint`) give this node. */
function k3sNodeFlags(config: ClusterConfig, role: NodeRole, index: number): { labels: Record<string, string>; taints: NodeTaint[] } {
  const labels: Record<string, string> = {};
  const taints: NodeTaint[] = [];
  for (const a of config.k3sArgs) {
    // k3d applies an arg with no node filter to every server only.
    const filters = a.nodeFilters.length > 0 ? a.nodeFilters : ['server:*'];
    if (!filters.some((f) => nodeFilterMatches(f, role, index))) continue;
    const label = flagValue(a.arg, '--node-label');
    if (label !== undefined) {
      const at = label.indexOf('=');
      labels[at < 0 ? label : label.slice(0, at)] = at < 0 ? '' : label.slice(at + 1);
    }
    const taint = parseTaint(flagValue(a.arg, '--node-taint') ?? '');
    if (taint) taints.push(taint);
  }
  return { labels, taints };
}

/** k3d names its nodes k3d-<cluster>-<role>-<index>; the kwok provider <cluster>-<role>-<index> (server-0 may be named by cluster.nodeName). */
function nodeName(provider: 'k3d' | 'kwok', cluster: string, config: ClusterConfig, role: NodeRole, index: number): string {
  if (provider === 'k3d') return `k3d-${cluster}-${role}-${index}`;
  if (role === 'server' && index === 0 && config.nodeName) return config.nodeName;
  return `${cluster}-${role}-${index}`;
}

/**
 * The nodes cluster `cluster` of this config will have, or undefined for provider existing, whose
 * nodes are whatever the live cluster has. Roles as k3s labels them: servers are control-plane and
 * master, and etcd when there are several (embedded etcd); agents carry no role label. No taint
 * unless the config's k3s args set one (k3s taints nothing by default).
 */
export function plannedNodes(provider: ProviderName, cluster: string, config: ClusterConfig): PlannedNode[] | undefined {
  if (provider === 'existing') return undefined;
  const roles: NodeRole[] = [...Array<NodeRole>(config.servers).fill('server'), ...Array<NodeRole>(config.agents).fill('agent')];
  return roles.map((role, at) => {
    const index = role === 'server' ? at : at - config.servers;
    const name = nodeName(provider, cluster, config, role, index);
    const roleLabels: Record<string, string> = role === 'server'
      ? { [CONTROL_PLANE_LABEL]: 'true', 'node-role.kubernetes.io/master': 'true', ...(config.servers > 1 ? { 'node-role.kubernetes.io/etcd': 'true' } : {}) }
      : {};
    const flags = k3sNodeFlags(config, role, index);
    return { name, role, index, labels: { 'kubernetes.io/hostname': name, ...roleLabels, ...flags.labels }, taints: flags.taints };
  });
}

/** The role a live node has by its labels. */
export function roleOf(labels: Record<string, string> | undefined): NodeRole {
  return labels && Object.hasOwn(labels, CONTROL_PLANE_LABEL) ? 'server' : 'agent';
}

export function describeLayout(nodes: readonly PlannedNode[]): string {
  const servers = nodes.filter((n) => n.role === 'server').length;
  return `${servers} server(s), ${nodes.length - servers} agent(s): ${nodes.map((n) => n.name).join(', ')}`;
}
