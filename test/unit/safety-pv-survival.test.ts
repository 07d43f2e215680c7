import { describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../src/config/types.js';
import type { KubeObject } from '../../src/kube/types.js';
import { pvSurvival } from '../../src/safety/pv-survival.js';

const k3d = (over: Partial<ClusterConfig> = {}): ClusterConfig => ({
  provider: 'k3d',
  name: 'homelab',
  servers: 1,
  agents: 0,
  ports: [],
  volumes: [{ volume: '/srv/homelab:/srv/homelab', nodeFilters: ['server:*'] }],
  k3sArgs: [],
  ...over,
});

function pv(name: string, source: Record<string, unknown>, node?: string): KubeObject {
  const nodeAffinity = node
    ? { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } }
    : undefined;
  return { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name }, spec: { capacity: { storage: '1Gi' }, ...source, ...(nodeAffinity ? { nodeAffinity } : {}) } };
}

describe('pvSurvival on k3d', () => {
  it('a hostPath under a host bind mount survives, at the host path it maps to', () => {
    const v = pvSurvival(pv('appdata-pv', { hostPath: { path: '/srv/homelab/appdata' } }), k3d());
    expect(v).toEqual({
      name: 'appdata-pv',
      fate: 'survives',
      source: 'hostPath /srv/homelab/appdata on any node',
      reason: 'kept on the host at /srv/homelab/appdata (mount /srv/homelab:/srv/homelab)',
    });
  });

  it('maps a container path to a different host directory', () => {
    const v = pvSurvival(pv('media', { local: { path: '/data/media/' } }, 'k3d-homelab-server-0'), k3d({ volumes: [{ volume: '/mnt/disk1:/data:rw', nodeFilters: ['all'] }] }));
    expect(v.fate).toBe('survives');
    expect(v.source).toBe('local /data/media on k3d-homelab-server-0');
    expect(v.reason).toBe('kept on the host at /mnt/disk1/media (mount /mnt/disk1:/data)');
  });

  it('a path outside every mount dies with the node container (k3s local-path default included)', () => {
    const v = pvSurvival(pv('pvc-1234', { hostPath: { path: '/var/lib/rancher/k3s/storage/pvc-1234_apps_data' } }, 'k3d-homelab-server-0'), k3d());
    expect(v.fate).toBe('lost');
    expect(v.reason).toBe('the path is inside the node container k3d-homelab-server-0, and no cluster.volumes mount covers it on k3d-homelab-server-0: deleted with the cluster');
  });

  it('a prefix that is not a whole path segment is not under the mount', () => {
    expect(pvSurvival(pv('x', { hostPath: { path: '/srv/homelab-old/x' } }), k3d()).fate).toBe('lost');
  });

  it('a mount filtered to other nodes does not save a PV pinned to an agent', () => {
    const cluster = k3d({ agents: 2, volumes: [{ volume: '/srv/homelab:/srv/homelab', nodeFilters: ['server:*', 'agent:0'] }] });
    expect(pvSurvival(pv('on-agent-0', { hostPath: { path: '/srv/homelab/a' } }, 'k3d-homelab-agent-0'), cluster).fate).toBe('survives');
    expect(pvSurvival(pv('on-agent-1', { hostPath: { path: '/srv/homelab/b' } }, 'k3d-homelab-agent-1'), cluster).fate).toBe('lost');
    // Not pinned: it may land on agent-1, which has no mount.
    expect(pvSurvival(pv('anywhere', { hostPath: { path: '/srv/homelab/c' } }), cluster).fate).toBe('lost');
    const ranged = k3d({ agents: 2, volumes: [{ volume: '/srv/homelab:/srv/homelab', nodeFilters: ['server:0', 'agent:0-1'] }] });
    expect(pvSurvival(pv('anywhere', { hostPath: { path: '/srv/homelab/c' } }), ranged).fate).toBe('survives');
  });

  it('a named docker volume keeps the data outside the container', () => {
    const v = pvSurvival(pv('db', { hostPath: { path: '/var/db/pg' } }), k3d({ volumes: [{ volume: 'homelab-db:/var/db', nodeFilters: ['server:0'] }] }));
    expect(v.fate).toBe('survives');
    expect(v.reason).toMatch(/^kept in docker volume homelab-db at pg/);
  });

  it('an anonymous volume (no source) is not a host mount', () => {
    expect(pvSurvival(pv('anon', { hostPath: { path: '/cache/x' } }), k3d({ volumes: [{ volume: '/cache', nodeFilters: ['all'] }] })).fate).toBe('lost');
  });

  it('network storage survives; CSI and unknown sources are not guessed', () => {
    expect(pvSurvival(pv('nas', { nfs: { server: 'nas.lan', path: '/export/media' } }), k3d())).toMatchObject({ fate: 'survives', source: 'nfs nas.lan:/export/media' });
    expect(pvSurvival(pv('longhorn', { csi: { driver: 'driver.longhorn.io', volumeHandle: 'v1' } }), k3d())).toMatchObject({ fate: 'unknown', source: 'csi driver.longhorn.io v1' });
    expect(pvSurvival(pv('odd', { flexVolume: { driver: 'x' } }), k3d()).fate).toBe('unknown');
  });
});

describe('pvSurvival on other providers', () => {
  it('kwok is a rehearsal; existing never deletes', () => {
    const hostPath = pv('appdata-pv', { hostPath: { path: '/var/lib/anything' } });
    expect(pvSurvival(hostPath, k3d({ provider: 'kwok' }))).toMatchObject({ fate: 'rehearsal', source: 'hostPath /var/lib/anything' });
    expect(pvSurvival(hostPath, k3d({ provider: 'existing' })).fate).toBe('untouched');
  });
});
