// What Docker shows of k3d clusters' containers, for the production e2e: each container's identity,
// start time, published host ports and mount sources, and the containers of a drill's throwaway
// clusters caught while they run (they are gone when the drill returns).
import { spawn, spawnSync } from 'node:child_process';
import { docker } from './k3d-tier.js';

export interface ContainerState {
  id: string;
  startedAt: string;
  running: boolean;
  hostPorts: string[];
  mounts: string[];
}

interface DockerInspect {
  Id: string;
  State: { StartedAt: string; Running: boolean };
  NetworkSettings: { Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null };
  Mounts: Array<{ Source: string }>;
}

function containerStates(inspectJson: string): ContainerState[] {
  return (JSON.parse(inspectJson) as DockerInspect[]).map((c) => ({
    id: c.Id,
    startedAt: c.State.StartedAt,
    running: c.State.Running,
    // Sorted: Docker lists both in no fixed order.
    hostPorts: Object.values(c.NetworkSettings.Ports ?? {}).flatMap((bindings) => (bindings ?? []).map((b) => b.HostPort)).sort(),
    mounts: c.Mounts.map((m) => m.Source).sort(),
  }));
}

export function inspect(ids: readonly string[]): ContainerState[] {
  return ids.length === 0 ? [] : containerStates(docker(['inspect', ...ids]).join('\n'));
}

/** A container's state, or nothing when it is already gone. */
function stillThere(id: string): ContainerState[] {
  const r = spawnSync('docker', ['inspect', id], { encoding: 'utf8' });
  return r.status === 0 ? containerStates(r.stdout) : [];
}

export const clusterContainers = (cluster: string) => inspect(docker(['ps', '-a', '--filter', `label=k3d.cluster=${cluster}`, '--format', '{{.ID}}']));

export interface Sighting extends ContainerState {
  cluster: string;
  name: string;
  /** Whether production's server node was running at the moment this throwaway container was. */
  productionRunning: boolean;
}

/**
 * Watches Docker for containers of the drill's throwaway clusters starting, and inspects each while it
 * runs. `--since` replays from before the drill started, so no start is missed however soon it comes.
 */
export function watchThrowaways(prefix: string, productionServer: string, since: Date): { stop: () => Sighting[] } {
  const events = spawn('docker', ['events', '--since', String(Math.floor(since.getTime() / 1000)), '--filter', 'type=container', '--filter', 'event=start', '--format', '{{json .}}']);
  const sightings: Sighting[] = [];
  let pending = '';
  events.stdout.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) {
      const event = JSON.parse(line) as { Actor: { ID: string; Attributes: Record<string, string> } };
      const cluster = event.Actor.Attributes['k3d.cluster'] ?? '';
      if (!cluster.startsWith(`${prefix}-dt-`)) continue;
      // k3d's tools container runs one command and is gone: only what can still be inspected counts.
      const [state] = stillThere(event.Actor.ID);
      if (state) sightings.push({ ...state, cluster, name: event.Actor.Attributes['name'] ?? '', productionRunning: stillThere(productionServer)[0]?.running ?? false });
    }
  });
  return {
    stop: () => {
      events.kill();
      return sightings;
    },
  };
}
