// Issue 16 on the real control plane: a homelab of 1 server and 2 agents, rehearsed by the CLI (dr-test
// on kwok, kept), with one PV on each node. The real scheduler must place each app where its PV lives;
// diagnose must name a PV whose node is cordoned; verify must go red when a pod runs away from its PV
// and when a PV's node is gone. The same cluster reached as provider existing: plan and verify count
// its nodes and say which hold which PVs.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwokProvider } from '../../src/cluster/kwok.js';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { cachedBinary } from '../../src/util/binaries.js';

const cli = resolve('bin/homelab-dr.js');
const cluster = `hdr-mn-${process.pid}`;
let dir: string;
let stateHome: string;
let kube: KubeClient;
let provider: KwokProvider;
let kubeconfig: string;

function homelabDrWith(env: NodeJS.ProcessEnv, ...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args, '--config', join(dir, 'homelab.yaml')], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, NO_COLOR: '1', XDG_STATE_HOME: stateHome, ...env },
  });
  return { ...r, all: `${r.stdout}${r.stderr}` };
}

const homelabDr = (...args: string[]) => homelabDrWith({}, ...args);

const hostOf = (pv: KubeObject): unknown =>
  (pv.spec as { nodeAffinity: { required: { nodeSelectorTerms: Array<{ matchExpressions: Array<{ values: string[] }> }> } } }).nodeAffinity.required.nodeSelectorTerms[0]!.matchExpressions[0]!.values;

async function podOf(app: string, predicate: (pod: KubeObject) => boolean, what: string): Promise<KubeObject> {
  return kube.waitFor({ apiVersion: 'v1', kind: 'Pod', namespace: 'stores', labelSelector: `app=${app}` }, predicate, { timeoutMs: 120_000, what });
}

const nodeOf = (pod: KubeObject): unknown => (pod.spec as { nodeName?: string }).nodeName;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hdr-multinode-'));
  cpSync(resolve('test/fixtures/multinode'), dir, { recursive: true });
  stateHome = join(dir, '.xdg');
  provider = new KwokProvider({ root: join(stateHome, 'homelab-dr', 'kwok') });
  const run = homelabDr('dr-test', '--yes', '--keep', '--name', cluster);
  expect(run.status, run.all).toBe(0);
  kubeconfig = await provider.kubeconfig(cluster);
  kube = await KubeClient.fromKubeconfig(kubeconfig);
}, 300_000);

afterAll(async () => {
  kube?.close();
  await provider?.delete(cluster);
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('a homelab of 1 server and 2 agents, rehearsed on kwok', () => {
  it('makes every configured node with its role, labels and taint, pins each PV to its node, and the scheduler puts each app there', async () => {
    const nodes = await kube.list({ apiVersion: 'v1', kind: 'Node' });
    expect(nodes.map((n) => [n.metadata.name, n.metadata.labels?.['node-role.kubernetes.io/control-plane'] ?? '-', n.metadata.labels?.['homelab.dev/disk'] ?? '-']).sort()).toEqual([
      [`${cluster}-agent-0`, '-', '-'],
      [`${cluster}-agent-1`, '-', 'ssd'],
      [`${cluster}-server-0`, 'true', '-'],
    ]);
    // The configured taint, and no other (k3s taints nothing unless told to).
    expect(nodes.map((n) => [n.metadata.name, (n.spec as { taints?: unknown[] } | undefined)?.taints ?? []]).sort()).toEqual([
      [`${cluster}-agent-0`, []],
      [`${cluster}-agent-1`, [{ key: 'dedicated', value: 'nas', effect: 'NoSchedule' }]],
      [`${cluster}-server-0`, []],
    ]);
    const pvs = await kube.list({ apiVersion: 'v1', kind: 'PersistentVolume' });
    expect(Object.fromEntries(pvs.map((pv) => [pv.metadata.name, hostOf(pv)]))).toEqual({
      'config-pv': [`${cluster}-server-0`], // NODE_NAME: the target node, the first server
      'media-pv': [`${cluster}-agent-0`], // follows agent:0 in place of k3d-multinode-agent-0
      'nas-pv': [`${cluster}-agent-1`], // follows label homelab.dev/disk=ssd
    });
    for (const [app, node] of [['config', 'server-0'], ['media', 'agent-0'], ['nas', 'agent-1']] as const) {
      const pod = await podOf(app, (p) => nodeOf(p) !== undefined, `pod of ${app} scheduled`);
      expect(nodeOf(pod)).toBe(`${cluster}-${node}`);
    }
    const verify = homelabDr('verify', '--name', cluster);
    expect(verify.status, verify.all).toBe(0);
  });

  it('provider existing: plan and verify count the live nodes by role and say which hold which PVs, compactly', async () => {
    // Five more PVs on agent 0, so its row must shorten to the count, three names and "… N more".
    const extra = Array.from({ length: 5 }, (_, i) => `extra-${i}-pv`);
    for (const name of extra) {
      await kube.apply({
        apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name },
        spec: {
          capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'extra', local: { path: `/srv/${name}` },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [`${cluster}-agent-0`] }] }] } },
        },
      });
    }
    try {
      const existing = ['--provider', 'existing', '--kubeconfig', kubeconfig];
      // Each line's cells, apart by the columns' padding.
      const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const table = [
        ['Nodes: 3 (1 server, 2 agents)'],
        ['NODE', 'ROLE', 'READY', 'PVS PINNED TO IT'],
        [`${cluster}-agent-0`, 'agent', 'yes', '6 PVs: extra-0-pv, extra-1-pv, extra-2-pv … 3 more'],
        [`${cluster}-agent-1`, 'agent', 'yes', 'nas-pv'],
        [`${cluster}-server-0`, 'server', 'yes', 'config-pv'],
      ].map((cells) => cells.map(escape).join(' +'));
      const verify = homelabDr('verify', ...existing);
      expect(verify.status, verify.all).toBe(0);
      expect(verify.stdout, verify.all).toMatch(new RegExp(table.join('\\n *')));
      // plan takes no --kubeconfig: provider existing reads $KUBECONFIG.
      const plan = homelabDrWith({ KUBECONFIG: kubeconfig }, 'plan', '--provider', 'existing');
      expect(plan.status, plan.all).toBe(0);
      expect(plan.stdout, plan.all).toMatch(new RegExp(`The live cluster a restore runs into \\(provider existing\\):\\n *${table.join('\\n *')}`));
      // -o json lists every PV of every node.
      type Nodes = { nodes: Array<{ name: string; role: string; ready: boolean; pvs: string[] }> };
      const agent0 = (nodes: Nodes['nodes']) => nodes.find((n) => n.name === `${cluster}-agent-0`);
      const json = homelabDr('verify', ...existing, '-o', 'json');
      expect(json.status, json.all).toBe(0);
      expect(agent0((JSON.parse(json.stdout) as Nodes).nodes)).toEqual({ name: `${cluster}-agent-0`, role: 'agent', ready: true, pvs: [...extra, 'media-pv'] });
      const planJson = homelabDrWith({ KUBECONFIG: kubeconfig }, 'plan', '--provider', 'existing', '-o', 'json');
      expect(planJson.status, planJson.all).toBe(0);
      expect(agent0((JSON.parse(planJson.stdout) as { liveNodes: Nodes }).liveNodes.nodes)?.pvs).toHaveLength(6);
    } finally {
      for (const name of extra) await kube.delete({ apiVersion: 'v1', kind: 'PersistentVolume', name });
    }
  });

  it('diagnose names the Pending pod whose PV lives on a cordoned node', async () => {
    const agent = `${cluster}-agent-1`;
    const kubectl = (verb: string): void => void execFileSync(cachedBinary('kubernetes', 'kubectl'), ['--kubeconfig', kubeconfig, verb, agent], { stdio: 'ignore' });
    kubectl('cordon');
    try {
      const old = await podOf('nas', () => true, 'pod of nas');
      await kube.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'stores', name: old.metadata.name });
      // The replacement stays unscheduled for as long as the node is cordoned.
      await podOf('nas', (p) => p.metadata.name !== old.metadata.name && ((p.status as { conditions?: Array<{ type: string; status: string }> }).conditions ?? []).some((c) => c.type === 'PodScheduled' && c.status === 'False'), 'replacement nas pod unschedulable');
      await kube.waitFor({ apiVersion: 'v1', kind: 'Event', namespace: 'stores', fieldSelector: 'reason=FailedScheduling' }, () => true, { timeoutMs: 60_000, what: 'FailedScheduling in stores' });
      const diagnose = homelabDr('diagnose', 'stores', '--name', cluster);
      expect(diagnose.status, diagnose.all).toBe(1);
      expect(diagnose.stdout).toMatch(new RegExp(`Pod stores/nas-[a-z0-9-]+ \\(Deployment stores/nas\\): Pending: PV nas-pv lives on node ${agent}, which is cordoned \\(spec.unschedulable=true\\)`));
      expect(diagnose.stdout).toContain(`fix: kubectl uncordon ${agent} (the pod can only run where its PV's data is)`);
    } finally {
      kubectl('uncordon');
    }
    await podOf('nas', (p) => nodeOf(p) === agent, 'nas pod back on its node');
  });

  it('verify goes red when a pod runs away from its PV, and when a PV\'s node is gone', async () => {
    // A pod placed by hand (spec.nodeName skips the scheduler) on the server, with the NAS agent's claim.
    await kube.apply({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'runaway', namespace: 'stores' },
      spec: { nodeName: `${cluster}-server-0`, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'nas-pvc' } }] },
    });
    const runaway = homelabDr('verify', '--name', cluster, '--only', 'storage');
    expect(runaway.status, runaway.all).toBe(1);
    expect(runaway.all).toContain(`pod stores/runaway runs on node ${cluster}-server-0, but its PV nas-pv (PVC nas-pvc) lives on ${cluster}-agent-1`);
    await kube.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'stores', name: 'runaway' });

    await kube.delete({ apiVersion: 'v1', kind: 'Node', name: `${cluster}-agent-0` });
    const gone = homelabDr('verify', '--name', cluster);
    expect(gone.status, gone.all).toBe(1);
    expect(gone.all).toContain(`cluster ${cluster}: Ready nodes 2/3 (want 1 server(s), 2 agent(s))`);
    expect(gone.all).toContain(`Ready agent nodes 1/2: ${cluster}-agent-1 Ready`);
    expect(gone.all).toContain(`PV media-pv is pinned to node ${cluster}-agent-0, which does not exist (nodes: ${cluster}-agent-1, ${cluster}-server-0)`);
  });
});
