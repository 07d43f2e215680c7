// Issue 16: several nodes. The layout a config promises (k3d and kwok), where each PV's placeholder
// lands (by name, or by what it follows on a cluster without that node), what create-cluster's verify
// expects of the live nodes, and the config checks of storage.nodes and of provider existing.
import { describe, expect, it } from 'vitest';
import { nodeFilterMatches, parseTaint, plannedNodes } from '../../src/cluster/node-layout.js';
import { k3dSimpleConfig } from '../../src/cluster/k3d-config.js';
import { kwokNodes } from '../../src/cluster/kwok.js';
import type { ClusterConfig } from '../../src/config/types.js';
import { parseConfig } from '../../src/config/load.js';
import { InputError } from '../../src/util/errors.js';
import { followNode, pvHostnames, resolveStorageNodes } from '../../src/k8s/pv-nodes.js';
import type { KubeObject } from '../../src/kube/types.js';
import { nodeLayoutMissing } from '../../steps/node-readiness.js';
import { nodeRows } from '../../src/safety/node-pvs.js';
import { claimDiagnosis, type VolumeView } from '../../src/diagnose/volumes.js';

const cluster = (over: Partial<ClusterConfig> = {}): ClusterConfig => ({
  provider: 'kwok', name: 'lab', servers: 1, agents: 2, ports: [], volumes: [], k3sArgs: [], ...over,
});

describe('node layout', () => {
  it('names k3d nodes as k3d does and kwok nodes <cluster>-<role>-<index>, servers first', () => {
    expect(plannedNodes('k3d', 'lab', cluster({ servers: 3, agents: 1 }))!.map((n) => n.name)).toEqual([
      'k3d-lab-server-0', 'k3d-lab-server-1', 'k3d-lab-server-2', 'k3d-lab-agent-0',
    ]);
    expect(plannedNodes('kwok', 'lab', cluster({ nodeName: 'box' }))!.map((n) => `${n.name}/${n.role}/${n.index}`)).toEqual([
      'box/server/0', 'lab-agent-0/agent/0', 'lab-agent-1/agent/1',
    ]);
    expect(plannedNodes('existing', 'lab', cluster())).toBeUndefined();
  });

  it('gives servers the roles k3s gives them (etcd only with several servers) and agents none', () => {
    const one = plannedNodes('kwok', 'lab', cluster())!;
    expect(one[0]!.labels).toEqual({
      'kubernetes.io/hostname': 'lab-server-0', 'node-role.kubernetes.io/control-plane': 'true', 'node-role.kubernetes.io/master': 'true',
    });
    expect(one[1]!.labels).toEqual({ 'kubernetes.io/hostname': 'lab-agent-0' });
    expect(plannedNodes('kwok', 'lab', cluster({ servers: 3 }))![2]!.labels['node-role.kubernetes.io/etcd']).toBe('true');
    expect(one.every((n) => n.taints.length === 0)).toBe(true);
  });

  it('takes labels and taints from k3s args by node filter, and taints nothing unless configured', () => {
    const nodes = plannedNodes('kwok', 'lab', cluster({
      k3sArgs: [
        { arg: '--node-label=disk=ssd', nodeFilters: ['agent:1'] },
        { arg: '--node-taint=CriticalAddonsOnly=true:NoExecute', nodeFilters: ['server:*'] },
        { arg: '--disable=traefik', nodeFilters: [] },
      ],
    }))!;
    expect(nodes.map((n) => n.labels['disk'])).toEqual([undefined, undefined, 'ssd']);
    expect(nodes.map((n) => n.taints)).toEqual([[{ key: 'CriticalAddonsOnly', value: 'true', effect: 'NoExecute' }], [], []]);
    // The kwok provider's fake nodes carry them.
    const fake = kwokNodes('lab', { config: cluster({ k3sArgs: [{ arg: '--node-taint=dedicated:NoSchedule', nodeFilters: ['agent:0'] }] }) });
    expect(fake.map((n) => n.metadata.name)).toEqual(['lab-server-0', 'lab-agent-0', 'lab-agent-1']);
    expect(fake[1]!.spec).toEqual({ taints: [{ key: 'dedicated', effect: 'NoSchedule' }] });
    expect(fake[0]).not.toHaveProperty('spec');
  });

  it('reads k3d node filters: all, role:*, indexes, lists and ranges', () => {
    expect(nodeFilterMatches('all', 'agent', 3)).toBe(true);
    expect(nodeFilterMatches('server:*', 'agent', 0)).toBe(false);
    expect(nodeFilterMatches('agent:0,2', 'agent', 2)).toBe(true);
    expect(nodeFilterMatches('agent:0,2', 'agent', 1)).toBe(false);
    expect(nodeFilterMatches('agent:1-3', 'agent', 3)).toBe(true);
    expect(nodeFilterMatches('loadbalancer', 'server', 0)).toBe(false);
    expect(parseTaint('bad')).toBeUndefined();
  });

  it('passes servers and agents through to the k3d config', () => {
    const simple = k3dSimpleConfig('lab', cluster({ provider: 'k3d', servers: 3, agents: 5 }));
    expect([simple.servers, simple.agents]).toEqual([3, 5]);
  });
});

describe('storage nodes', () => {
  const nodes = plannedNodes('kwok', 'lab-dt-1', cluster({ k3sArgs: [{ arg: '--node-label=disk=ssd', nodeFilters: ['agent:1'] }] }))!
    .map((n) => ({ name: n.name, labels: n.labels }));

  it('keeps a node the cluster has, and follows role or label where it has not', () => {
    const { resolved, problems } = resolveStorageNodes({
      nodes: [
        { placeholder: 'A', node: 'lab-dt-1-agent-0' },
        { placeholder: 'B', node: 'k3d-lab-agent-0', follows: 'agent:0' },
        { placeholder: 'C', node: 'nas', follows: 'label:disk=ssd' },
        { placeholder: 'D', node: 'k3d-lab-server-0', follows: 'server:0' },
      ],
    }, nodes, 'lab-dt-1');
    expect(problems).toEqual([]);
    expect(resolved.map((r) => `${r.placeholder}=${r.node}/${r.via}`)).toEqual([
      'A=lab-dt-1-agent-0/name', 'B=lab-dt-1-agent-0/follows', 'C=lab-dt-1-agent-1/follows', 'D=lab-dt-1-server-0/follows',
    ]);
  });

  it('names the node the cluster does not have, and why nothing stands in for it', () => {
    const { problems } = resolveStorageNodes({
      nodes: [{ placeholder: 'A', node: 'gone' }, { placeholder: 'B', node: 'nas', follows: 'agent:4' }, { placeholder: 'C', node: 'x', follows: 'label:gpu=yes' }],
    }, nodes, 'lab-dt-1');
    expect(problems).toEqual([
      'PVs of A are pinned to node gone, which cluster lab-dt-1 does not have (nodes: lab-dt-1-server-0, lab-dt-1-agent-0, lab-dt-1-agent-1); storage.nodes gives it no follows (server:N, agent:N or label:key=value) to use in its place',
      'PVs of B are pinned to node nas, which cluster lab-dt-1 does not have (nodes: lab-dt-1-server-0, lab-dt-1-agent-0, lab-dt-1-agent-1); the cluster has 2 agent node(s), so no agent:4',
      'PVs of C are pinned to node x, which cluster lab-dt-1 does not have (nodes: lab-dt-1-server-0, lab-dt-1-agent-0, lab-dt-1-agent-1); no node has label gpu=yes',
    ]);
  });

  it('counts nodes of a role by name in numeric order (agent-10 after agent-9)', () => {
    const many = Array.from({ length: 11 }, (_, i) => ({ name: `n-agent-${i}`, labels: {} }));
    expect(followNode('agent:10', many.reverse()).node).toBe('n-agent-10');
  });

  it('reads the nodes a PV is pinned to', () => {
    const pv = { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'p' }, spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['a', 'b'] }] }] } } } };
    expect(pvHostnames(pv)).toEqual(['a', 'b']);
  });
});

describe("create-cluster's node readiness", () => {
  const node = (name: string, role: 'server' | 'agent', ready: boolean): KubeObject => ({
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: role === 'server' ? { 'node-role.kubernetes.io/control-plane': 'true' } : {} },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'KubeletNotReady', message: '' }] },
  });
  const planned = plannedNodes('kwok', 'lab', cluster())!;

  it('holds only when the configured number of nodes of each role is Ready', () => {
    expect(nodeLayoutMissing('lab', planned, [node('lab-server-0', 'server', true), node('lab-agent-0', 'agent', true), node('lab-agent-1', 'agent', true)])).toEqual([]);
    // Names do not matter (a cluster made outside the run may name its nodes otherwise); roles and readiness do.
    expect(nodeLayoutMissing('lab', planned, [node('s', 'server', true), node('a', 'agent', true), node('b', 'agent', true)])).toEqual([]);
    expect(nodeLayoutMissing('lab', planned, [node('lab-server-0', 'server', true), node('lab-agent-0', 'server', true)])).toEqual([
      'cluster lab: Ready nodes 2/3 (want 1 server(s), 2 agent(s))',
      'Ready agent nodes 0/2: the cluster has no agent node',
    ]);
    const notReady = nodeLayoutMissing('lab', planned, [node('lab-server-0', 'server', true), node('lab-agent-0', 'agent', false), node('lab-agent-1', 'agent', true)]);
    expect(notReady).toEqual(['cluster lab: Ready nodes 2/3 (want 1 server(s), 2 agent(s))', expect.stringMatching(/^Ready agent nodes 1\/2: lab-agent-0 is not Ready.*; lab-agent-1 Ready$/)]);
  });

  it('for provider existing, wants at least one Ready node (the PVs\' nodes are the storage step\'s to check)', () => {
    expect(nodeLayoutMissing('lab', undefined, [])).toEqual(['cluster lab has no nodes']);
    expect(nodeLayoutMissing('lab', undefined, [node('a', 'agent', true), node('b', 'agent', false)])).toEqual([]);
    expect(nodeLayoutMissing('lab', undefined, [node('b', 'agent', false)])).toEqual(['cluster lab: Ready nodes 0/1', expect.stringMatching(/^node b is not Ready/)]);
  });
});

describe('config: storage.nodes and node counts', () => {
  const head = (provider: string, extra = '') => `apiVersion: homelab-dr/v1
kind: RecoveryPlan
cluster:
  provider: ${provider}
  name: homelab
${extra}`;
  const errorOf = (text: string, provider?: 'existing' | 'k3d' | 'kwok'): InputError => {
    try {
      parseConfig(text, 'homelab.yaml', { checkFiles: false, ...(provider ? { provider } : {}) });
    } catch (err) {
      return err as InputError;
    }
    throw new Error('expected the config to be rejected');
  };

  it('keeps the single-node shape valid and defaults storage.nodes to none', () => {
    const config = parseConfig(`${head('kwok')}storage:\n  file: ./s.yaml\n`, 'homelab.yaml', { checkFiles: false });
    expect(config.storage).toMatchObject({ nodeNamePlaceholder: 'NODE_NAME', nodes: [] });
    expect(config.cluster).toMatchObject({ servers: 1, agents: 0 });
  });

  it('refuses one placeholder on two nodes, naming both lines', () => {
    const err = errorOf(`${head('kwok')}storage:
  file: ./s.yaml
  nodes:
    - { placeholder: NAS, node: agent-0 }
    - { placeholder: NAS, node: agent-1 }
`);
    expect(err.exitCode).toBe(2);
    expect(err.details.join('\n')).toContain('homelab.yaml:10:22: storage.nodes[1].placeholder: placeholder NAS is mapped to node agent-1 here and to node agent-0 before; a placeholder stands for one node: give the PVs on each node their own placeholder (first at line 9)');
  });

  it('refuses a follows that is neither a role index nor a label, and the single placeholder reused', () => {
    const err = errorOf(`${head('kwok')}storage:
  file: ./s.yaml
  nodes:
    - { placeholder: NODE_NAME, node: a, follows: worker }
`);
    expect(err.details).toEqual([
      expect.stringContaining('homelab.yaml:9:22: storage.nodes[0].placeholder: placeholder NODE_NAME is storage.nodeNamePlaceholder'),
      'homelab.yaml:9:51: storage.nodes[0].follows: must be server:N, agent:N or label:key=value',
    ]);
  });

  it('refuses agents (and extra servers) for provider existing, which creates no nodes', () => {
    const err = errorOf(head('existing', '  agents: 2\n'), 'existing');
    expect(err.details).toEqual([expect.stringMatching(/^homelab\.yaml:6:11: cluster\.agents: provider existing creates no nodes, so agents: 2 would never be made/)]);
    // A k3d config rehearsed with --provider existing keeps its k3d counts.
    expect(() => parseConfig(head('k3d', '  agents: 2\n'), 'homelab.yaml', { checkFiles: false, provider: 'existing' })).not.toThrow();
  });
});

describe('which node holds which PV: the blast-radius screen and diagnose', () => {
  const pinned = (name: string, host: string): KubeObject => ({
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name },
    spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [host] }] }] } } },
  });
  const liveNode = (name: string, extra: { server?: boolean; cordoned?: boolean; ready?: boolean } = {}): KubeObject => ({
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(extra.server ? { 'node-role.kubernetes.io/control-plane': 'true' } : {}) } },
    ...(extra.cordoned ? { spec: { unschedulable: true } } : {}),
    status: { conditions: [{ type: 'Ready', status: extra.ready === false ? 'Unknown' : 'True', reason: extra.ready === false ? 'NodeStatusUnknown' : 'KubeletReady' }] },
  });

  it('lists every node with its role, readiness and the PVs pinned to it', () => {
    const rows = nodeRows([liveNode('a-agent-1'), liveNode('a-server-0', { server: true }), liveNode('a-agent-0', { ready: false })], [pinned('p2', 'a-agent-1'), pinned('p1', 'a-agent-1'), pinned('p0', 'a-server-0')]);
    expect(rows).toEqual([
      { name: 'a-agent-0', role: 'agent', ready: false, pvs: [] },
      { name: 'a-agent-1', role: 'agent', ready: true, pvs: ['p1', 'p2'] },
      { name: 'a-server-0', role: 'server', ready: true, pvs: ['p0'] },
    ]);
  });

  it("names a bound claim's PV whose node is cordoned or not Ready, and says nothing when it can run", () => {
    const pvc: KubeObject = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: 'n' }, spec: { volumeName: 'p' }, status: { phase: 'Bound' } };
    const view = (nodes: KubeObject[]) => ({ pvs: [pinned('p', 'a-agent-1')], nodes, claims: [pvc], declared: [] }) as unknown as VolumeView;
    expect(claimDiagnosis(pvc, view([liveNode('a-agent-1', { cordoned: true })]))).toEqual({
      problem: 'PV p lives on node a-agent-1, which is cordoned (spec.unschedulable=true)',
      evidence: ['node a-agent-1 is cordoned (spec.unschedulable=true)'],
      fix: ["kubectl uncordon a-agent-1 (the pod can only run where its PV's data is)"],
    });
    expect(claimDiagnosis(pvc, view([liveNode('a-agent-1', { ready: false })]))!.problem).toBe('PV p lives on node a-agent-1, which is not Ready (NodeStatusUnknown)');
    expect(claimDiagnosis(pvc, view([liveNode('a-agent-1')]))).toBeUndefined();
    expect(claimDiagnosis(pvc, view([liveNode('a-agent-0')]))!.problem).toBe('PV p is pinned by node affinity to kubernetes.io/hostname=a-agent-1, which no node matches');
  });
});
