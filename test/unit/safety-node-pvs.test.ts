import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/types.js';
import { nodeRows, nodesSection, renderNodes } from '../../src/safety/node-pvs.js';

const pinned = (name: string, ...hosts: string[]): KubeObject => ({
  apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name },
  spec: { nodeAffinity: { required: { nodeSelectorTerms: hosts.map((h) => ({ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [h] }] })) } } },
});
const node = (name: string, server = false): KubeObject => ({
  apiVersion: 'v1', kind: 'Node',
  metadata: { name, labels: server ? { 'node-role.kubernetes.io/control-plane': 'true' } : {} },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});

describe('which node holds which PVs', () => {
  it('orders nodes and PVs by name with numbers as numbers, and lists a PV under each node it may live on, once', () => {
    const rows = nodeRows([node('n10'), node('n2'), node('s0', true)], [pinned('pv10', 'n2'), pinned('pv9', 'n2', 'n2'), pinned('both', 'n2', 'n10'), pinned('stray', 'gone')]);
    expect(rows).toEqual([
      { name: 'n2', role: 'agent', ready: true, pvs: ['both', 'pv9', 'pv10'] },
      { name: 'n10', role: 'agent', ready: true, pvs: ['both'] },
      { name: 's0', role: 'server', ready: true, pvs: [] },
    ]);
  });

  it('keeps a node of 25 PVs to one line: the count, the first three and how many more', () => {
    const pvs = Array.from({ length: 25 }, (_, i) => pinned(`pv${i * 8}`, 'agent-0'));
    const lines = renderNodes(nodeRows([node('server-0', true), node('agent-0'), node('agent-1')], [...pvs, pinned('a', 'agent-1'), pinned('b', 'agent-1'), pinned('c', 'agent-1')]));
    expect(lines).toEqual([
      'Nodes: 3 (1 server, 2 agents)',
      '  NODE      ROLE    READY  PVS PINNED TO IT',
      '  agent-0   agent   yes    25 PVs: pv0, pv8, pv16 … 22 more',
      '  agent-1   agent   yes    a, b, c',
      '  server-0  server  yes    -',
    ]);
  });

  it('says why the nodes cannot be counted, in the text and the data', async () => {
    const section = await nodesSection(async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
    });
    expect(section).toEqual({ lines: ['Nodes: cannot be counted (connect ECONNREFUSED 127.0.0.1:6443)'], data: { nodesUnreadable: 'connect ECONNREFUSED 127.0.0.1:6443' } });
  });
});
