// The blast-radius screen against the real apiserver of the shared test cluster: it counts what lives
// there, judges each PV from its live spec, and finds a tunnel pod by its image.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig, HomelabConfig } from '../../src/config/types.js';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { THROUGH_CLUSTER_LINE } from '../../src/safety/access-path.js';
import { blastRadius, renderBlastRadius } from '../../src/safety/blast-radius.js';
import { integrationCluster } from './context.js';

const NS = 'safety-br';
const STEPS = ['preflight', 'delete-cluster', 'create-cluster', 'namespaces', 'storage', 'apps'];
const LOOPBACK_SSH = { SSH_CONNECTION: '127.0.0.1 51234 127.0.0.1 22' };
let kube: KubeClient;

function config(cluster: Partial<ClusterConfig>): HomelabConfig {
  return {
    source: '/dev/null',
    warnings: [],
    cluster: { provider: 'k3d', name: 'homelab', servers: 1, agents: 0, ports: [], volumes: [{ volume: '/srv/homelab:/srv/homelab', nodeFilters: ['server:*'] }], k3sArgs: [], ...cluster },
    secretStores: {},
    secrets: [],
    apps: { items: [], wait: { timeoutMs: 60_000 } },
    access: { alternate: [{ name: 'lan', check: 'true' }, { name: 'tailscale', check: 'exit 7' }] },
    drill: {},
  };
}

function hostPathPv(name: string, path: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, labels: { test: NS } },
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', storageClassName: 'safety-br', hostPath: { path } },
  };
}

function podTemplate(name: string, image: string): Record<string, unknown> {
  return { metadata: { labels: { app: name } }, spec: { automountServiceAccountToken: false, containers: [{ name, image }] } };
}

beforeAll(async () => {
  kube = await KubeClient.fromKubeconfig(integrationCluster().kubeconfig);
  await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  // Pods are admitted only once the namespace's default service account exists.
  await kube.waitFor({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: NS, name: 'default' }, () => true, { timeoutMs: 60_000, what: `service account ${NS}/default` });
  await kube.apply({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: NS },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: podTemplate('web', 'nginx:1.27') },
  });
  await kube.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'cloudflared', namespace: NS }, spec: (podTemplate('cloudflared', 'cloudflare/cloudflared:2024.6.1').spec as object) });
  await kube.apply(hostPathPv('safety-br-kept', '/srv/homelab/safety-br'));
  await kube.apply(hostPathPv('safety-br-lost', '/var/lib/rancher/k3s/storage/safety-br'));
  await kube.waitUntil({ apiVersion: 'v1', kind: 'Pod', namespace: NS }, (pods) => (pods.length === 3 ? true : undefined), { timeoutMs: 60_000, what: `3 pods in ${NS}`, describe: (pods) => `${pods.length} pod(s)` });
});

afterAll(async () => {
  await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: NS });
  for (const name of ['safety-br-kept', 'safety-br-lost']) await kube.delete({ apiVersion: 'v1', kind: 'PersistentVolume', name });
  kube.close();
});

describe('blast radius on the real apiserver', () => {
  it('counts the namespace, its pods and workloads, judges each PV, and finds the tunnel pod', async () => {
    const br = await blastRadius(kube, config({}), { stepIds: STEPS, env: LOOPBACK_SSH, dockerNetworks: [] });
    if (!br.live.reachable) throw new Error(`cluster not reachable: ${br.live.reason}`);
    expect(br.live.namespaces.find((n) => n.name === NS)).toEqual({ name: NS, pods: 3, workloads: 1 });
    expect(br.live.pods).toBe((await kube.list({ apiVersion: 'v1', kind: 'Pod' })).length);
    expect(br.live.workloads.Deployment).toBe((await kube.list({ apiVersion: 'apps/v1', kind: 'Deployment' })).length);
    expect(br.live.pvs.filter((pv) => pv.name.startsWith(NS)).map((pv) => [pv.name, pv.fate])).toEqual([['safety-br-kept', 'survives'], ['safety-br-lost', 'lost']]);
    expect(br.access).toMatchObject({ kind: 'through-cluster', headline: THROUGH_CLUSTER_LINE });
    expect(br.access.details.join('\n')).toContain(`${NS}/cloudflared (cloudflared)`);

    const text = renderBlastRadius(br);
    expect(text).toMatch(new RegExp(`\\n  ${NS} +3 +1\\n`));
    expect(text).toMatch(/safety-br-kept +SURVIVES +NOT RE-CREATED +hostPath \/srv\/homelab\/safety-br on any node: kept on the host at \/srv\/homelab\/safety-br \(mount \/srv\/homelab:\/srv\/homelab\); the config has no storage file: nothing re-creates this PV\n/);
    expect(text).toMatch(/safety-br-lost +LOST +NOT RE-CREATED +hostPath \/var\/lib\/rancher\/k3s\/storage\/safety-br on any node: the path is inside the node container k3d-homelab-server-0, and no cluster.volumes mount covers it on any node: deleted with the cluster; the config has no storage file: nothing re-creates this PV\n/);
    expect(text).toContain(`  !!! ${THROUGH_CLUSTER_LINE}\n`);
    expect(text).toContain('Alternate access: 1/2 ok\n');
    expect(text).toMatch(/tailscale +FAILED +exit 7: exit 7\n/);
    expect(text).toContain('  create-cluster  no working cluster: the old one is gone, the new one absent or not ready\n');
  });

  it('for the kwok provider the same cluster is a rehearsal: no data at stake, no session carried', async () => {
    const br = await blastRadius(kube, config({ provider: 'kwok', name: integrationCluster().cluster }), { stepIds: STEPS, command: 'dr-test', env: LOOPBACK_SSH });
    if (!br.live.reachable) throw new Error(`cluster not reachable: ${br.live.reason}`);
    expect(br.live.pvs.filter((pv) => pv.name.startsWith(NS)).every((pv) => pv.fate === 'rehearsal')).toBe(true);
    expect(br.access).toMatchObject({ kind: 'rehearsal', throughCluster: false });
    const text = renderBlastRadius(br);
    expect(text).toContain('rehearsal: kwok runs a real control plane with fake nodes');
    expect(text).not.toContain('!!!');
    expect(text).toContain('to continue after fixing the cause: homelab-dr dr-test --resume');
  });
});
