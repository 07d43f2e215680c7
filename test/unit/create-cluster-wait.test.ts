// create-cluster's apply waits for the planned nodes to turn Ready before verify checks them: k3d's
// create returns on the server's log line, while the kubelet reports Ready seconds later (seen on real
// k3d: verify found "KubeletNotReady" 15 s after the create). The provider and the client are small fakes.
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import type { ClusterProvider } from '../../src/cluster/provider.js';
import type { ClusterConfig, HomelabConfig } from '../../src/config/types.js';
import { Ledger } from '../../src/engine/ledger.js';
import type { KubeClient } from '../../src/kube/client.js';
import { WaitTimeoutError } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/types.js';
import type { RecoveryContext } from '../../steps/context.js';
import { createCluster } from '../../steps/create-cluster.js';

const cluster = { provider: 'k3d', name: 'homelab', servers: 1, agents: 1, ports: [], volumes: [], k3sArgs: [] } as unknown as ClusterConfig;
const node = (name: string, role: 'server' | 'agent', ready: boolean): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: role === 'server' ? { 'node-role.kubernetes.io/control-plane': 'true' } : {} },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'KubeletNotReady' }] },
}) as KubeObject;

/** A context whose client replays `snapshots` of the node list to the wait, or fails it with `failWith`. */
function context(snapshots: KubeObject[][], failWith?: Error): { ctx: RecoveryContext; seen: string[] } {
  const seen: string[] = [];
  const provider = {
    exists: async () => false,
    create: async () => undefined,
    nodeNames: async () => ['k3d-homelab-server-0', 'k3d-homelab-agent-0'],
  } as unknown as ClusterProvider;
  const kube = {
    waitUntil: async <T>(_q: unknown, check: (items: KubeObject[]) => T | undefined, opts: { what: string; timeoutMs: number }) => {
      seen.push(opts.what);
      if (failWith) throw failWith;
      for (const items of snapshots) {
        const answer = check(items);
        seen.push(answer === undefined ? 'not yet' : 'ready');
        if (answer !== undefined) return answer;
      }
      throw new WaitTimeoutError(opts.what, opts.timeoutMs, 'still starting');
    },
  } as unknown as KubeClient;
  const ctx = {
    config: { cluster } as unknown as HomelabConfig,
    mode: 'hard-reset',
    clusterName: 'homelab',
    providerName: 'k3d',
    log: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    provider: async () => provider,
    kube: async () => kube,
  } as unknown as RecoveryContext;
  return { ctx, seen };
}

describe('create-cluster apply waits for the planned Ready nodes', () => {
  test('it returns only once every planned node of each role is Ready', async () => {
    const { ctx, seen } = context([
      [node('k3d-homelab-server-0', 'server', false)],
      [node('k3d-homelab-server-0', 'server', true), node('k3d-homelab-agent-0', 'agent', false)],
      [node('k3d-homelab-server-0', 'server', true), node('k3d-homelab-agent-0', 'agent', true)],
    ]);
    await createCluster.apply!(ctx, new Ledger().forStep('create-cluster'));
    expect(seen).toEqual(['the nodes of cluster homelab Ready', 'not yet', 'not yet', 'ready']);
  });

  test('past the deadline apply still returns: verify names the node that is not Ready', async () => {
    const { ctx, seen } = context([[node('k3d-homelab-server-0', 'server', false)]]);
    await createCluster.apply!(ctx, new Ledger().forStep('create-cluster'));
    expect(seen).toEqual(['the nodes of cluster homelab Ready', 'not yet']);
  });

  test('any other error of the wait (Ctrl-C, an API fault) fails the step', async () => {
    const { ctx } = context([], new Error('interrupted while waiting for the nodes'));
    await expect(createCluster.apply!(ctx, new Ledger().forStep('create-cluster'))).rejects.toThrow(/interrupted/);
  });
});
