import { describe, expect, it } from 'vitest';
import type { HomelabConfig } from '../../src/config/types.js';
import type { KubeObject } from '../../src/kube/types.js';
import { THROUGH_CLUSTER_LINE } from '../../src/safety/access-path.js';
import { blastRadius, countByNamespace, renderBlastRadius, type BlastRadius } from '../../src/safety/blast-radius.js';
import { continueCommand, rollbackTable } from '../../src/safety/rollback.js';

const STEPS = ['preflight', 'delete-cluster', 'create-cluster', 'namespaces', 'storage', 'sealed-secrets-controller', 'sealed-secrets-available', 'reseal-secrets', 'apps', 'firewall', 'publish-cert'];

const obj = (kind: string, name: string, namespace?: string): KubeObject => ({ apiVersion: 'v1', kind, metadata: { name, ...(namespace ? { namespace } : {}) } });

const screen: BlastRadius = {
  command: 'hard-reset',
  cluster: 'homelab',
  provider: 'k3d',
  live: {
    reachable: true,
    namespaces: [{ name: 'apps', pods: 3, workloads: 2 }, { name: 'networking', pods: 1, workloads: 1 }],
    pods: 4,
    workloads: { Deployment: 2, StatefulSet: 1, DaemonSet: 0 },
    pvs: [
      { name: 'appdata-pv', fate: 'survives', source: 'hostPath /srv/homelab/appdata on any node', reason: 'kept on the host at /srv/homelab/appdata (mount /srv/homelab:/srv/homelab)', object: 'recreated', claim: 'no claim; re-created from the storage file' },
      { name: 'scratch-pv', fate: 'lost', source: 'hostPath /var/scratch on any node', reason: 'the path is inside the node container k3d-homelab-server-0, and no cluster.volumes mount covers it on any node: deleted with the cluster', object: 'not-recreated', claim: 'not in the storage file (made by hand, or provisioned): nothing re-creates this PV' },
    ],
    nodes: [
      { name: 'k3d-homelab-server-0', role: 'server', ready: true, pvs: ['appdata-pv'] },
      { name: 'k3d-homelab-agent-0', role: 'agent', ready: false, pvs: [] },
    ],
  },
  access: { kind: 'through-cluster', throughCluster: true, headline: THROUGH_CLUSTER_LINE, details: ['SSH peer 127.0.0.1 is this host: a tunnel ends here, and the cluster runs networking/cloudflared-1 (cloudflared)'] },
  alternates: [
    { name: 'tailscale', check: 'tailscale status --peers=false', ok: false, detail: 'exit 1: Tailscale is stopped.' },
    { name: 'lan', check: 'true', ok: true, detail: 'exit 0' },
  ],
  rollback: rollbackTable(['preflight', 'delete-cluster', 'create-cluster', 'apps']),
  resume: continueCommand('hard-reset'),
};

describe('renderBlastRadius', () => {
  it('renders counts, PV fates, the access line, alternates and the rollback table', () => {
    expect(renderBlastRadius(screen)).toBe(`BLAST RADIUS: hard-reset deletes cluster "homelab" (provider k3d)

What will be destroyed: 2 namespaces, 4 pods, 3 workloads (2 Deployments, 1 StatefulSet, 0 DaemonSets)
  NAMESPACE   PODS  WORKLOADS
  apps        3     2
  networking  1     1

Persistent volumes: 2 (1 survives, 1 lost)
  PV          DATA      PV OBJECT       WHERE, AND ITS CLAIM
  appdata-pv  SURVIVES  re-created      hostPath /srv/homelab/appdata on any node: kept on the host at /srv/homelab/appdata (mount /srv/homelab:/srv/homelab); no claim; re-created from the storage file
  scratch-pv  LOST      NOT RE-CREATED  hostPath /var/scratch on any node: the path is inside the node container k3d-homelab-server-0, and no cluster.volumes mount covers it on any node: deleted with the cluster; not in the storage file (made by hand, or provisioned): nothing re-creates this PV

Nodes: 2 (1 server, 1 agent; 1 NOT READY)
  NODE                  ROLE    READY  PVS PINNED TO IT
  k3d-homelab-server-0  server  yes    appdata-pv
  k3d-homelab-agent-0   agent   NO     -

Access path:
  !!! YOUR SSH SESSION RUNS THROUGH THE CLUSTER: it will drop when the cluster is deleted
      SSH peer 127.0.0.1 is this host: a tunnel ends here, and the cluster runs networking/cloudflared-1 (cloudflared)

Alternate access: 1/2 ok
  tailscale  FAILED  tailscale status --peers=false: exit 1: Tailscale is stopped.
  lan        ok      true: exit 0

If the run fails, the machine is left:
  FAILS IN        LEFT IN
  preflight       nothing touched: the cluster runs as before
  delete-cluster  the cluster is partly or wholly deleted: every pod is down, tunnels through it included
  create-cluster  no working cluster: the old one is gone, the new one absent or not ready
  apps            cluster up, apps partially applied (a failed server-side dry-run applies none)
  to continue after fixing the cause: homelab-dr hard-reset --resume (green steps are skipped)
`);
  });

  it('says when the cluster cannot be counted, when no way back is configured, and when it is a rehearsal', () => {
    const text = renderBlastRadius({
      ...screen,
      provider: 'kwok',
      live: { reachable: false, reason: 'connect ECONNREFUSED 127.0.0.1:6443' },
      access: { kind: 'rehearsal', throughCluster: false, headline: 'rehearsal (kwok): no session depends on it', details: [] },
      alternates: [],
    });
    expect(text).toContain('  rehearsal: kwok runs a real control plane with fake nodes; no real workload or data is at stake\n');
    expect(text).toContain('What will be destroyed: cannot be counted (connect ECONNREFUSED 127.0.0.1:6443)\n');
    expect(text).toContain('Alternate access: none configured (access.alternate): if this session drops, the console is the only way back\n');
    expect(text).toContain('Access path:\n  rehearsal (kwok): no session depends on it\n');
  });
});

describe('rollbackTable', () => {
  it('follows the run order and has a row for every step of the default DAG', () => {
    const rows = rollbackTable(STEPS);
    expect(rows.map((r) => r.step)).toEqual(STEPS);
    expect(rows.every((r) => !r.leftIn.startsWith('the steps before it done'))).toBe(true);
    expect(rows.find((r) => r.step === 'create-cluster')!.leftIn).toMatch(/^no working cluster/);
    expect(rows.find((r) => r.step === 'apps')!.leftIn).toMatch(/^cluster up, apps partially applied/);
  });

  it('says something honest about a step it has no knowledge of', () => {
    expect(rollbackTable(['argo-bootstrap'])).toEqual([{ step: 'argo-bootstrap', leftIn: 'the steps before it done, this one partly applied' }]);
  });
});

describe('countByNamespace', () => {
  it('counts pods and workloads per namespace, empty namespaces included, sorted', () => {
    const counts = countByNamespace(
      [obj('Namespace', 'networking'), obj('Namespace', 'apps'), obj('Namespace', 'empty')],
      [obj('Pod', 'a', 'apps'), obj('Pod', 'b', 'apps'), obj('Pod', 'c', 'networking')],
      [obj('Deployment', 'd', 'apps')],
    );
    expect(counts).toEqual([
      { name: 'apps', pods: 2, workloads: 1 },
      { name: 'empty', pods: 0, workloads: 0 },
      { name: 'networking', pods: 1, workloads: 0 },
    ]);
  });
});

describe('blastRadius without a cluster', () => {
  it('reports the cluster as not countable and assumes the worst about a loopback SSH peer', async () => {
    const config = { cluster: { provider: 'k3d', name: 'homelab', servers: 1, agents: 0, ports: [], volumes: [], k3sArgs: [] }, access: { alternate: [] } } as unknown as HomelabConfig;
    const br = await blastRadius(undefined, config, { stepIds: ['preflight', 'delete-cluster'], env: { SSH_CONNECTION: '127.0.0.1 5000 127.0.0.1 22' }, dockerNetworks: [] });
    expect(br.live).toEqual({ reachable: false, reason: 'no client for it: the cluster does not exist, or its kubeconfig cannot be read' });
    expect(br.access).toMatchObject({ kind: 'unknown', throughCluster: true });
    expect(br.rollback.map((r) => r.step)).toEqual(['preflight', 'delete-cluster']);
    expect(br.resume).toBe('homelab-dr hard-reset --resume');
  });
});
