// What a throwaway cluster (dr-test, drill) gets in place of production's host ports and host paths.
// The drill runs while production is up: production's ports are taken, and a second cluster running
// the same apps on production's data directory can corrupt it. Pure: the provider hands in the scratch
// directory and the free ports it picked; the plan prints the result, create-cluster and storage apply it.
import { posix } from 'node:path';
import type { ClusterConfig, VolumeSeed } from '../config/types.js';
import type { KubeObject } from '../k8s/types.js';

export interface PortMapping {
  /** The production entry, as written in cluster.ports. */
  spec: string;
  /** The entry the throwaway cluster gets instead; undefined when it is dropped. */
  to?: string;
  reason: string;
}

export interface PathMapping {
  /** Production's host path (or Docker volume name): never mounted by a throwaway cluster. */
  source: string;
  /** Where production's node sees it; production's PV paths live under it. */
  nodePath: string;
  /** The scratch directory that replaces it, under the run's state directory; the node sees it at the same path. */
  scratch: string;
  seed: VolumeSeed;
  /** Whether the provider mounts it (k3d); kwok's fake nodes mount nothing, but PV paths still follow. */
  mounted: boolean;
}

export interface ThrowawayIsolation {
  ports: PortMapping[];
  paths: PathMapping[];
}

/** What a provider publishes on the host for a cluster of this config. */
export interface HostExposure {
  ports: string[];
  paths: string[];
}

/** A k3d volume "SOURCE:DEST[:ro|rw|z|Z]" split; undefined when it has no destination. */
export function parseVolume(spec: string): { source: string; nodePath: string; options?: string } | undefined {
  const [source = '', nodePath, options, ...rest] = spec.split(':');
  if (source === '' || nodePath === undefined || nodePath === '' || rest.length > 0) return undefined;
  return { source, nodePath, ...(options !== undefined ? { options } : {}) };
}

/** The container port of a k3d port entry "[HOST:][HOSTPORT:]CONTAINERPORT[/PROTO][@FILTER]", if it is one port. */
function containerPortOf(spec: string): { port: string; proto: string } | undefined {
  const withoutFilter = spec.split('@')[0] ?? '';
  const [mapping = '', proto = 'tcp'] = withoutFilter.split('/');
  const port = mapping.replace(/^\[[^\]]*\]/, '').split(':').pop() ?? '';
  return /^\d{1,5}$/.test(port) ? { port, proto } : undefined;
}

/**
 * Each production port becomes a free port on loopback (reachable from this host for a check, never
 * from the network), or is dropped when it is a range: nothing in a drill reaches the cluster through
 * a published port, and a range of free ports cannot be promised. `freePorts` come from the caller;
 * without them (the plan) the entry says a free port is chosen at creation.
 */
export function mapPorts(ports: ClusterConfig['ports'], freePorts?: readonly number[]): PortMapping[] {
  let next = 0;
  return ports.map(({ port: spec }) => {
    const target = containerPortOf(spec);
    if (!target) return { spec, reason: 'dropped: a port range or unreadable entry; nothing in a drill reaches the cluster through it' };
    const free = freePorts?.[next++];
    const hostPort = free === undefined ? '<free port>' : String(free);
    const suffix = target.proto === 'tcp' ? '' : `/${target.proto}`;
    return { spec, to: `127.0.0.1:${hostPort}:${target.port}${suffix}`, reason: 'production keeps its host port; the throwaway cluster gets a free port on loopback' };
  });
}

/** How many free ports mapPorts will take. */
export function portsNeeded(ports: ClusterConfig['ports']): number {
  return ports.filter((p) => containerPortOf(p.port) !== undefined).length;
}

/** Each volume's source becomes scratchRoot/volume-<i>, seen by the node at that same path. */
export function mapPaths(volumes: ClusterConfig['volumes'], scratchRoot: string, mounted: boolean): PathMapping[] {
  return volumes.flatMap((v, index) => {
    const parsed = parseVolume(v.volume);
    if (!parsed) return [];
    return [{ source: parsed.source, nodePath: parsed.nodePath, scratch: posix.join(scratchRoot, `volume-${index}`), seed: v.seed, mounted }];
  });
}

/** The cluster section a throwaway cluster is created from: production's, with ports and volumes mapped. */
export function throwawayClusterConfig(config: ClusterConfig, isolation: ThrowawayIsolation): ClusterConfig {
  const ports = config.ports.flatMap((p, i) => {
    const to = isolation.ports[i]?.to;
    return to === undefined ? [] : [{ ...p, port: to }];
  });
  const volumes = config.volumes.flatMap((v) => {
    const parsed = parseVolume(v.volume);
    const mapping = isolation.paths.find((m) => parsed && m.source === parsed.source && m.nodePath === parsed.nodePath);
    if (!parsed || !mapping) return [];
    const options = parsed.options !== undefined ? `:${parsed.options}` : '';
    return [{ ...v, volume: `${mapping.scratch}:${mapping.scratch}${options}` }];
  });
  return { ...config, ports, volumes };
}

/** `path` moved from under a mapping's node path into its scratch directory, or undefined when no mapping holds it. */
export function mappedPath(path: string, paths: readonly PathMapping[]): string | undefined {
  const normal = posix.normalize(path);
  for (const m of paths) {
    const base = posix.normalize(m.nodePath).replace(/\/$/, '');
    if (normal === base) return m.scratch;
    if (normal.startsWith(`${base}/`)) return posix.join(m.scratch, normal.slice(base.length + 1));
  }
  return undefined;
}

export interface PvPathChange {
  pv: string;
  from: string;
  to: string;
}

/**
 * PVs whose hostPath/local path lies under a remapped volume point into its scratch directory, so the
 * drill's apps bind the scratch copy and never production's data.
 */
export function remapPvPaths(objects: readonly KubeObject[], paths: readonly PathMapping[]): { objects: KubeObject[]; changes: PvPathChange[] } {
  const changes: PvPathChange[] = [];
  const mapped = objects.map((obj) => {
    if (obj.kind !== 'PersistentVolume') return obj;
    const spec = (obj.spec ?? {}) as Record<string, unknown>;
    const next = { ...spec };
    for (const source of ['local', 'hostPath'] as const) {
      const volume = spec[source] as { path?: unknown } | undefined;
      if (typeof volume?.path !== 'string') continue;
      const to = mappedPath(volume.path, paths);
      if (to === undefined) continue;
      next[source] = { ...volume, path: to };
      changes.push({ pv: obj.metadata.name ?? '', from: volume.path, to });
    }
    return changes.some((c) => c.pv === obj.metadata.name) ? { ...obj, spec: next } : obj;
  });
  return { objects: mapped, changes };
}

/** Human lines for the plan and the screen: every port and path, and what the throwaway cluster gets. */
export function isolationLines(isolation: ThrowawayIsolation): string[] {
  return [
    ...isolation.ports.map((p) => (p.to !== undefined ? `port ${p.spec} → ${p.to} (${p.reason})` : `port ${p.spec} ${p.reason}`)),
    ...isolation.paths.map((m) => {
      const what = m.seed === 'copy' ? `a copy of ${m.source} taken at creation` : 'an empty directory';
      const where = m.mounted ? `mounted at ${m.scratch} instead of ${m.nodePath}` : 'not mounted (fake nodes); PV paths follow';
      return `volume ${m.source}:${m.nodePath} → scratch ${m.scratch}: ${what}, ${where}; removed at teardown`;
    }),
  ];
}
