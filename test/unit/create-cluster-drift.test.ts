// create-cluster's verify asks the provider whether the running cluster drifted from what the config
// gives only at creation. For k3d that is the node's registries.yaml: the real K3dProvider with the
// node-file reader injected (no Docker), through the step as the runner calls it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, test } from 'vitest';
import { K3dProvider } from '../../src/cluster/k3d.js';
import type { ClusterProvider } from '../../src/cluster/provider.js';
import type { ClusterConfig, HomelabConfig } from '../../src/config/types.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { RecoveryContext } from '../../steps/context.js';
import { createCluster } from '../../steps/create-cluster.js';

const work = mkdtempSync(join(tmpdir(), 'hdr-drift-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const desiredText = 'mirrors:\n  docker.io:\n    endpoint:\n      - http://registry.e2e.internal:5000\nconfigs:\n  registry.e2e.internal:5000:\n    auth:\n      username: homelab\n      password: drift-test-password\n';
const registriesPath = join(work, 'registries.yaml');
writeFileSync(registriesPath, desiredText);

const cluster: ClusterConfig = {
  provider: 'k3d',
  name: 'homelab',
  servers: 1,
  agents: 0,
  registries: { use: ['k3d-registry.localhost:5050'], config: registriesPath },
  ports: [],
  volumes: [],
  k3sArgs: [],
};

const readyNode = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'k3d-homelab-server-0', labels: { 'node-role.kubernetes.io/control-plane': 'true' } }, status: { conditions: [{ type: 'Ready', status: 'True' }] } };

/** The node file the injected reader serves, and the containers it was asked for. */
function k3dWithNodeFile(nodeText: string | undefined): { provider: K3dProvider; asked: string[] } {
  const asked: string[] = [];
  const provider = new K3dProvider({
    root: join(work, 'state'),
    readNodeRegistries: async (container) => {
      asked.push(container);
      return nodeText;
    },
  });
  return { provider, asked };
}

/** create-cluster's context: the cluster exists and has a Ready node; drift comes from the k3d provider. */
function context(k3d: K3dProvider, config: ClusterConfig = cluster): RecoveryContext {
  const provider: ClusterProvider = Object.assign(Object.create(k3d) as K3dProvider, { exists: async () => true });
  const kube = { list: async () => [readyNode] } as unknown as KubeClient;
  return {
    config: { cluster: config } as unknown as HomelabConfig,
    mode: 'verify',
    clusterName: 'homelab',
    providerName: 'k3d',
    log: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    provider: async () => provider,
    kube: async () => kube,
  } as unknown as RecoveryContext;
}

describe('create-cluster verify: registries.yaml drift on k3d', () => {
  test('the node runs the config plus the mirror k3d adds for registries.use: in sync, read from the first server', async () => {
    const nodeText = desiredText.replace('mirrors:\n', 'mirrors:\n  k3d-registry.localhost:5050:\n    endpoint: [http://k3d-registry.localhost:5000]\n');
    const { provider, asked } = k3dWithNodeFile(nodeText);
    expect(await createCluster.verify!(context(provider))).toEqual({ ok: true, missing: [] });
    expect(asked).toEqual(['k3d-homelab-server-0']);
  });

  test('a changed endpoint is drift: named by path, fixed by recreating, never by restarting the node', async () => {
    const { provider } = k3dWithNodeFile(desiredText.replace('registry.e2e.internal:5000\n', 'old-mirror.example.net\n'));
    const result = await createCluster.verify!(context(provider));
    expect(result.ok).toBe(false);
    expect(result.missing).toHaveLength(1);
    const message = result.missing[0]!;
    expect(message).toContain('registries.yaml on k3d-homelab-server-0 differs from the desired one (1 difference(s))');
    expect(message).toContain('mirrors["docker.io"].endpoint differs');
    expect(message).toContain('recreating cluster homelab');
    expect(message).toContain('Do not `docker restart` the node');
    expect(message).not.toContain('drift-test-password');
    expect(message).not.toContain('old-mirror');
  });

  test('a node without registries.yaml while the config gives one is drift', async () => {
    const { provider } = k3dWithNodeFile(undefined);
    const result = await createCluster.verify!(context(provider));
    expect(result.missing[0]).toContain('the node has no /etc/rancher/k3s/registries.yaml');
  });

  test('a registries.yaml on the node that the config does not give is drift', async () => {
    const { provider } = k3dWithNodeFile(desiredText);
    const result = await createCluster.verify!(context(provider, { ...cluster, registries: undefined }));
    expect(result.ok).toBe(false);
    expect(result.missing[0]).toContain('mirrors is on the node but not in the desired registries.yaml');
  });

  test('a node file that cannot be read fails the verify loudly instead of passing it', async () => {
    const provider = new K3dProvider({
      root: join(work, 'state'),
      readNodeRegistries: async (container) => {
        throw new Error(`cannot read /etc/rancher/k3s/registries.yaml on ${container}: No such container`);
      },
    });
    await expect(createCluster.verify!(context(provider))).rejects.toThrow(/No such container/);
  });

  test('a provider without configDrift (kwok, existing) is judged by its nodes alone', async () => {
    const plain = { exists: async () => true } as unknown as ClusterProvider;
    const ctx = { ...context(k3dWithNodeFile(undefined).provider), provider: async () => plain } as RecoveryContext;
    expect(await createCluster.verify!(ctx)).toEqual({ ok: true, missing: [] });
  });
});
