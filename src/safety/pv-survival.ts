// Whether a PV's data outlives the cluster. Pure: the PV object and the cluster config decide it.
import { posix } from 'node:path';
import type { ClusterConfig } from '../config/types.js';
import type { KubeObject } from '../kube/types.js';

export type PvFate = 'survives' | 'lost' | 'rehearsal' | 'untouched' | 'unknown';

export interface PvVerdict {
  name: string;
  fate: PvFate;
  /** Where the data is: "hostPath /srv/homelab/appdata on k3d-homelab-server-0", "nfs nas:/export". */
  source: string;
  reason: string;
}

interface PvSpec {
  hostPath?: { path?: string };
  local?: { path?: string };
  nfs?: { server?: string; path?: string };
  csi?: { driver?: string; volumeHandle?: string };
  nodeAffinity?: { required?: { nodeSelectorTerms?: Array<{ matchExpressions?: Array<{ key?: string; operator?: string; values?: string[] }> }> } };
  [source: string]: unknown;
}

interface Mount {
  source: string;
  target: string;
  nodeFilters: string[];
}

const NETWORK_SOURCES = ['nfs', 'iscsi', 'cephfs', 'rbd', 'glusterfs', 'fc'];

/** Normalized, without a trailing slash, so that "/data/" and "/data" are one directory. */
function cleanPath(path: string): string {
  return posix.normalize(path).replace(/(.)\/+$/, '$1');
}

/** k3d's "SOURCE:DEST[:OPTIONS]"; a bare DEST is an anonymous volume, which no host path backs. */
function parseMount(volume: { volume: string; nodeFilters: string[] }): Mount | undefined {
  const [source, target] = volume.volume.split(':');
  if (!source || !target) return undefined;
  return { source, target: cleanPath(target), nodeFilters: volume.nodeFilters };
}

/** Whether one k3d node filter ("all", "server:*", "agent:0,2", "server:0-1", "server:0:direct") selects a node. */
function filterSelects(filter: string, role: 'server' | 'agent', index: number): boolean {
  if (filter === 'all') return true;
  const [filterRole = '', spec = '*'] = filter.split(':');
  if (filterRole.replace(/s$/, '') !== role) return false;
  if (spec === '*') return true;
  return spec.split(',').some((part) => {
    const [first, last = first] = part.split('-').map(Number);
    return first !== undefined && last !== undefined && index >= first && index <= last;
  });
}

/** The pod-hosting nodes of a k3d cluster, as role and index (k3d names them k3d-<cluster>-<role>-<index>). */
function k3dNodes(cluster: ClusterConfig): Array<{ role: 'server' | 'agent'; index: number; name: string }> {
  const nodes = (role: 'server' | 'agent', count: number) => Array.from({ length: count }, (_, index) => ({ role, index, name: `k3d-${cluster.name}-${role}-${index}` }));
  return [...nodes('server', cluster.servers), ...nodes('agent', cluster.agents)];
}

/** The node a PV is pinned to by `kubernetes.io/hostname In [one]`, if any. */
export function pinnedNode(spec: PvSpec): string | undefined {
  for (const term of spec.nodeAffinity?.required?.nodeSelectorTerms ?? []) {
    for (const expr of term.matchExpressions ?? []) {
      if (expr.key === 'kubernetes.io/hostname' && expr.operator === 'In' && expr.values?.length === 1) return expr.values[0];
    }
  }
  return undefined;
}

function under(path: string, dir: string): boolean {
  return dir === '/' || path === dir || path.startsWith(`${dir}/`);
}

function hostPathVerdict(name: string, path: string, spec: PvSpec, cluster: ClusterConfig): PvVerdict {
  const nodes = k3dNodes(cluster);
  const pinned = pinnedNode(spec);
  const pinnedNodes = nodes.filter((n) => n.name === pinned);
  // A PV not pinned to a known node may land on any node, so its mount must exist on every one.
  const candidates = pinnedNodes.length > 0 ? pinnedNodes : nodes;
  const where = pinnedNodes.length > 0 ? `on ${pinned}` : 'on any node';
  const normalized = cleanPath(path);
  const mount = (cluster.volumes.map(parseMount).filter(Boolean) as Mount[]).find(
    (m) => under(normalized, m.target) && candidates.every((n) => m.nodeFilters.some((f) => filterSelects(f, n.role, n.index))),
  );
  const source = `${spec.local ? 'local' : 'hostPath'} ${normalized} ${where}`;
  if (!mount) {
    return { name, fate: 'lost', source, reason: `the path is inside the node container${candidates.length === 1 ? ` ${candidates[0]!.name}` : 's'}, and no cluster.volumes mount covers it ${where}: deleted with the cluster` };
  }
  const rest = normalized.slice(mount.target.length).replace(/^\//, '');
  if (!mount.source.startsWith('/')) {
    return { name, fate: 'survives', source, reason: `kept in docker volume ${mount.source}${rest ? ` at ${rest}` : ''} (mount ${mount.source}:${mount.target}); k3d deletes only the volumes it created` };
  }
  return { name, fate: 'survives', source, reason: `kept on the host at ${posix.join(mount.source, rest)} (mount ${mount.source}:${mount.target})` };
}

// k3d: a hostPath/local PV survives only when its path lies under the container side of a cluster.volumes
// mount that reaches its node; any other path is inside the node container and is deleted with it.
export function pvSurvival(pv: KubeObject, cluster: ClusterConfig): PvVerdict {
  const name = pv.metadata.name;
  const spec = (pv.spec ?? {}) as PvSpec;
  const localPath = spec.hostPath?.path ?? spec.local?.path;
  const source = localPath !== undefined ? `${spec.local ? 'local' : 'hostPath'} ${localPath}` : describeSource(spec);
  if (cluster.provider === 'kwok') return { name, fate: 'rehearsal', source, reason: 'rehearsal (kwok): the node is fake and stores nothing, so no data is at stake' };
  if (cluster.provider === 'existing') return { name, fate: 'untouched', source, reason: 'provider existing never deletes the cluster: the data stays where it is' };
  if (localPath !== undefined) return hostPathVerdict(name, localPath, spec, cluster);
  if (spec.csi) return { name, fate: 'unknown', source, reason: `CSI driver ${spec.csi.driver ?? '?'}: whether the data survives depends on where that driver keeps it` };
  const network = NETWORK_SOURCES.find((key) => spec[key] !== undefined);
  if (network) return { name, fate: 'survives', source, reason: `${network} storage outside the cluster: only the PV object is deleted` };
  return { name, fate: 'unknown', source, reason: 'volume source not recognised: check by hand where its data lives' };
}

function describeSource(spec: PvSpec): string {
  if (spec.nfs) return `nfs ${spec.nfs.server ?? '?'}:${spec.nfs.path ?? '?'}`;
  if (spec.csi) return `csi ${spec.csi.driver ?? '?'} ${spec.csi.volumeHandle ?? ''}`.trim();
  const key = Object.keys(spec).find((k) => NETWORK_SOURCES.includes(k));
  return key ?? 'unknown source';
}
