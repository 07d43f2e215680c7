// Issue 15 on the real control plane: the litmus reads the live cluster (node and load-balancer
// addresses, Ingresses and Argo CD Applications that something else deployed) and judges each
// dependency by name, by what its name resolves to in a hosts file, and by what the cluster deploys.
// Then hard-reset, through the compiled CLI, refuses with exit 3 before anything is destroyed.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { HomelabConfig } from '../../src/config/types.js';
import { KubeClient } from '../../src/kube/client.js';
import { KubeTransport } from '../../src/kube/transport.js';
import { systemResolver } from '../../src/litmus-resolve.js';
import { silentLogger } from '../../src/util/log.js';
import type { RecoveryContext } from '../../steps/context.js';
import { createInputs } from '../../steps/inputs.js';
import { gitRemoteUses, registryUses, resetFactsForTest, storeUses, useResolver } from '../../steps/uses.js';
import { integrationCluster, liveClusterProvider } from './context.js';

const NS = 'litmus-live';
const LB_IP = '192.0.2.77';
const NODE_IP = '198.51.100.23';
let kube: KubeClient;

function contextFor(config: HomelabConfig): RecoveryContext {
  const { kubeconfig, cluster } = integrationCluster();
  // The live cluster of this test stands for production: the provider hands out its real kubeconfig.
  const provider = liveClusterProvider(kubeconfig, []);
  return {
    signal: new AbortController().signal,
    config: { ...config, cluster: { ...config.cluster, name: cluster } },
    mode: 'hard-reset',
    clusterName: cluster,
    providerName: 'kwok',
    log: silentLogger(),
    inputs: createInputs(config),
    provider: async () => provider,
    kube: async () => kube,
  };
}

function exampleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hdr-litmus-live-'));
  cpSync(resolve('config/example'), dir, { recursive: true });
  return dir;
}

/** The example with a gitlab store at `url` that the gitlab-agent token is read from. */
async function configWithStore(url: string, dir = exampleDir()): Promise<HomelabConfig> {
  const path = join(dir, 'homelab.yaml');
  writeFileSync(
    path,
    readFileSync(path, 'utf8')
      .replace('secretStores:\n', `secretStores:\n  lab:\n    type: gitlab\n    url: ${url}\n    project: me/homelab\n    tokenEnv: HDR_TEST_TOKEN\n`)
      .replace('{ store: demo, key: GITLAB_AGENT_TOKEN }', '{ store: lab, key: GITLAB_AGENT_TOKEN }'),
  );
  return loadConfig(path);
}

async function patchStatus(path: string, status: unknown): Promise<void> {
  const transport = await KubeTransport.fromKubeconfig(integrationCluster().kubeconfig);
  await transport.request('PATCH', path, { body: { status }, contentType: 'application/merge-patch+json' });
}

beforeAll(async () => {
  kube = await KubeClient.fromKubeconfig(integrationCluster().kubeconfig);
  await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  // What Argo CD would have deployed: GitLab behind an Ingress, and a registry.
  for (const host of ['gitlab.live.test', 'registry.live.test']) {
    await kube.apply({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: host.split('.')[0]!, namespace: NS },
      spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    });
  }
  await kube.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ingress-lb', namespace: NS }, spec: { type: 'LoadBalancer', ports: [{ port: 443 }] } });
  await patchStatus(`/api/v1/namespaces/${NS}/services/ingress-lb/status`, { loadBalancer: { ingress: [{ ip: LB_IP }] } });
  // A node of the cluster with an address. Without kwok's annotation no controller writes its
  // addresses, so the patched one stays.
  await kube.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'litmus-live-node' } });
  await patchStatus('/api/v1/nodes/litmus-live-node/status', { addresses: [{ type: 'InternalIP', address: NODE_IP }] });
  // Argo CD's Application kind, and an Application that deploys Vault under vault.live.test.
  await kube.apply({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'applications.argoproj.io' },
    spec: {
      group: 'argoproj.io',
      names: { kind: 'Application', plural: 'applications', singular: 'application', listKind: 'ApplicationList' },
      scope: 'Namespaced',
      versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  });
  await kube.waitFor({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'applications.argoproj.io' }, (crd) =>
    ((crd.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True'),
  { timeoutMs: 60_000, what: 'the Application CRD to be established' });
  await kube.apply({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'vault', namespace: NS },
    spec: { source: { repoURL: 'https://helm.releases.hashicorp.com', chart: 'vault', helm: { valuesObject: { server: { ingress: { hosts: [{ host: 'vault.live.test' }] } } } } }, destination: { server: 'https://kubernetes.default.svc', namespace: 'vault' } },
  } as never);
  // Names that look external, and where this machine's resolver (a hosts file) sends them.
  const hosts = join(mkdtempSync(join(tmpdir(), 'hdr-hosts-')), 'hosts');
  writeFileSync(hosts, `${NODE_IP} git.home.test\n${LB_IP}  lb.home.test\n203.0.113.10 gitlab.elsewhere.test\n`);
  useResolver(systemResolver({ hostsFile: hosts, dns: false }));
});

afterAll(async () => {
  useResolver(undefined);
  await kube.delete({ apiVersion: 'v1', kind: 'Node', name: 'litmus-live-node' });
  await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: NS });
  kube.close();
});

async function verdictOf(url: string) {
  resetFactsForTest();
  const uses = await storeUses(contextFor(await configWithStore(url)), ['lab']);
  return uses[0]!;
}

describe('the litmus on a live cluster', () => {
  it('a name that resolves to a live node address is circular', async () => {
    const use = await verdictOf('https://git.home.test');
    expect(use.inCluster).toBe(true);
    expect(use.reason).toMatch(new RegExp(`^git\\.home\\.test resolves \\(/tmp/.+/hosts\\) to ${NODE_IP.replace(/\./g, '\\.')}, the address of node litmus-live-node \\(InternalIP\\) \\(live\\)$`));
  });

  it('a name that resolves to the live load balancer\'s address is circular (a git remote)', async () => {
    const dir = exampleDir();
    const path = join(dir, 'homelab.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace('https://gitlab.com/me/homelab.git', 'https://lb.home.test/me/homelab.git'));
    resetFactsForTest();
    const uses = await gitRemoteUses(contextFor(await loadConfig(path)));
    expect(uses[0]).toMatchObject({ inCluster: true, reason: `lb.home.test resolves (${uses[0]!.reason.match(/\((\/tmp\/[^)]+)\)/)?.[1]}) to ${LB_IP}, the cluster's load-balancer address (Service ${NS}/ingress-lb (live))` });
  });

  it('a host that an Ingress of the live cluster serves (GitLab deployed by Argo CD) is circular', async () => {
    expect(await verdictOf('https://gitlab.live.test')).toMatchObject({ inCluster: true, reason: `gitlab.live.test is served by Ingress ${NS}/gitlab (live) in the cluster being rebuilt` });
  });

  it('a host a live Argo CD Application deploys is circular, naming the Application', async () => {
    expect(await verdictOf('https://vault.live.test/v1/secret')).toMatchObject({ inCluster: true, reason: `vault.live.test is deployed into the cluster by Application ${NS}/vault (live), whose spec names it` });
  });

  it('an app image from the registry the live cluster serves is circular', async () => {
    const dir = exampleDir();
    const deployment = join(dir, 'kubernetes/networking/base/cloudflared.yaml');
    writeFileSync(deployment, readFileSync(deployment, 'utf8').replace('image: cloudflare/cloudflared:', 'image: registry.live.test/cloudflare/cloudflared:'));
    resetFactsForTest();
    const uses = await registryUses(contextFor(await loadConfig(join(dir, 'homelab.yaml'))));
    expect(uses.filter((u) => u.inCluster)).toEqual([
      {
        name: 'image registry registry.live.test',
        target: 'registry.live.test',
        inCluster: true,
        reason: `registry.live.test is served by Ingress ${NS}/registry (live) in the cluster being rebuilt (images: registry.live.test/cloudflare/cloudflared:2025.8.0)`,
      },
    ]);
    // The example's other registries are judged too, and are outside.
    expect(uses.filter((u) => !u.inCluster).map((u) => u.target)).toEqual(['ghcr.io', 'quay.io', 'registry.gitlab.com']);
  });

  it('an exec store whose command runs kubectl against the current context is circular; with another --context it is not', async () => {
    const dir = exampleDir();
    const path = join(dir, 'homelab.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace('command: ["./secrets/demo-store.sh"]', 'command: ["kubectl", "-n", "vault", "get", "secret", "homelab"]'));
    resetFactsForTest();
    expect((await storeUses(contextFor(await loadConfig(path)), ['demo']))[0]).toMatchObject({
      inCluster: true,
      reason: 'its command runs kubectl with no --kubeconfig/--context: the current context, the cluster being rebuilt',
    });
    writeFileSync(path, readFileSync(path, 'utf8').replace('"kubectl", "-n"', '"kubectl", "--context", "backup-site", "-n"'));
    resetFactsForTest();
    expect((await storeUses(contextFor(await loadConfig(path)), ['demo']))[0]!.inCluster).toBe(false);
  });

  it('a name that resolves elsewhere is outside, and says where it resolved', async () => {
    expect(await verdictOf('https://gitlab.elsewhere.test')).toMatchObject({ inCluster: false, reason: "gitlab.elsewhere.test resolves to 203.0.113.10, none of them the cluster's" });
  });
});

describe('hard-reset refuses before anything is destroyed', () => {
  it('exit 3 through the compiled CLI when the store is an Ingress host of the live cluster; the cluster is untouched', async () => {
    const dir = exampleDir();
    const path = join(dir, 'homelab.yaml');
    const { kubeconfig } = integrationCluster();
    const context = /^current-context: *(\S+)/m.exec(readFileSync(kubeconfig, 'utf8'))![1]!.replace(/^["']|["']$/g, '');
    // provider existing on the live cluster: a restore from namespaces on would apply into it.
    writeFileSync(
      path,
      readFileSync(path, 'utf8')
        .replace('  provider: kwok ', `  provider: existing\n  kubeconfig: ${kubeconfig}\n  context: ${context}\n  #`)
        .replace('secretStores:\n', 'secretStores:\n  lab:\n    type: gitlab\n    url: https://gitlab.live.test\n    project: me/homelab\n    tokenEnv: HDR_TEST_TOKEN\n')
        .replace('{ store: demo, key: GITLAB_AGENT_TOKEN }', '{ store: lab, key: GITLAB_AGENT_TOKEN }'),
    );
    const before = (await kube.list({ apiVersion: 'v1', kind: 'Namespace' })).map((n) => n.metadata.name).sort();
    const r = spawnSync(process.execPath, [resolve('bin/homelab-dr.js'), 'hard-reset', '--config', path, '--from', 'namespaces', '--yes', '--state-dir', join(dir, 'state')], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, NO_COLOR: '1', SSH_CONNECTION: '' },
    });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(3);
    expect(r.stderr).toMatch(/hard-reset refuses: \d+ run-time dependenc(y lives|ies live) inside the cluster being rebuilt/);
    expect(r.stderr).toContain(`gitlab.live.test is served by Ingress ${NS}/gitlab (live) in the cluster being rebuilt`);
    expect((await kube.list({ apiVersion: 'v1', kind: 'Namespace' })).map((n) => n.metadata.name).sort()).toEqual(before);
    console.log(`[litmus] hard-reset printed: ${r.stderr.split('\n').filter((l) => l.includes('refuse') || l.includes('gitlab.live.test')).join(' | ')}`);
  });
});
