// The cluster steps against the real kube-apiserver and controller-manager of the shared test cluster,
// through a small provider fake that only hands out that cluster's kubeconfig.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { HomelabConfig } from '../../src/config/types.js';
import { Ledger } from '../../src/engine/ledger.js';
import { KubeClient } from '../../src/kube/client.js';
import { silentLogger } from '../../src/util/log.js';
import { apps } from '../../steps/apps.js';
import type { RecoveryContext } from '../../steps/context.js';
import { createInputs } from '../../steps/inputs.js';
import { namespaces } from '../../steps/namespaces.js';
import { storage } from '../../steps/storage.js';
import { integrationCluster, liveClusterProvider } from './context.js';

let kube: KubeClient;
const it_ = integrationCluster;

function contextFor(config: HomelabConfig): RecoveryContext {
  const { kubeconfig, nodeName, cluster } = it_();
  const provider = liveClusterProvider(kubeconfig, [nodeName]);
  return {
    signal: new AbortController().signal,
    config: { ...config, cluster: { ...config.cluster, nodeName } },
    mode: 'dr-test',
    clusterName: cluster,
    providerName: 'kwok',
    log: silentLogger(),
    inputs: createInputs(config),
    provider: async () => provider,
    kube: async () => kube,
  };
}

async function exampleConfig(mutate?: (dir: string) => void): Promise<HomelabConfig> {
  const dir = mkdtempSync(join(tmpdir(), 'hdr-steps-'));
  cpSync(resolve('config/example'), dir, { recursive: true });
  mutate?.(dir);
  return loadConfig(join(dir, 'homelab.yaml'));
}

beforeAll(async () => {
  kube = await KubeClient.fromKubeconfig(it_().kubeconfig);
});
afterAll(() => kube.close());

describe('namespaces step (real apiserver)', () => {
  it('applies every namespace with its PodSecurity labels, verifies, and re-applies unchanged', async () => {
    const ctx = contextFor(await exampleConfig());
    const ledger = new Ledger();
    await namespaces.apply!(ctx, ledger.forStep('namespaces'));
    expect(ledger.failed()).toEqual([]);
    expect(await namespaces.verify!(ctx)).toMatchObject({ ok: true, missing: [] });
    const live = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'networking' });
    expect(live?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    // A fresh apiserver may store the very first apply without managed fields and take ownership on
    // the next one (a real write, counted as configured); from then on, re-applying changes nothing.
    const second = new Ledger();
    await namespaces.apply!(ctx, second.forStep('namespaces'));
    expect(second.counts()).toMatchObject({ created: 0, failed: 0 });
    const third = new Ledger();
    await namespaces.apply!(ctx, third.forStep('namespaces'));
    expect(third.counts()).toMatchObject({ unchanged: 3, created: 0, configured: 0 });
  });

  it('verify names an enforce label nobody declared (the time bomb set by hand)', async () => {
    const ctx = contextFor(await exampleConfig());
    await namespaces.apply!(ctx, new Ledger().forStep('namespaces'));
    const ns = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'argocd' });
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'argocd', labels: { ...(ns?.metadata.labels ?? {}), 'pod-security.kubernetes.io/enforce': 'restricted' } } });
    const result = await namespaces.verify!(ctx);
    expect(result.ok).toBe(false);
    expect(result.missing).toContain('namespace argocd carries undeclared label pod-security.kubernetes.io/enforce=restricted');
  });
});

describe('apps step (real admission)', () => {
  it('a PodSecurity violation found by the server-side dry-run stops the step before anything is applied', async () => {
    const config = await exampleConfig((dir) =>
      cpSync(join(dir, 'incident/cloudflared-no-securitycontext.yaml'), join(dir, 'kubernetes/networking/base/cloudflared.yaml')),
    );
    const ctx = contextFor(config);
    await namespaces.apply!(contextFor(await exampleConfig()), new Ledger().forStep('namespaces'));
    const ledger = new Ledger();
    await apps.apply!(ctx, ledger.forStep('apps'));
    const failed = ledger.failed('apps');
    expect(failed.map((f) => `${f.kind} ${f.name}`)).toEqual(['Deployment networking/cloudflared']);
    expect(failed[0]!.error).toMatch(/its pods would be rejected: .*violates PodSecurity "restricted:latest".*allowPrivilegeEscalation.*runAsNonRoot.*seccompProfile/);
    expect(ledger.counts('apps')).toMatchObject({ created: 0, configured: 0, failed: 1, skipped: 11 });
    expect(await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'networking', name: 'gitlab-agent' })).toBeUndefined();
  });
});

describe('storage step (real PV controller)', () => {
  it('applies the PVs with the node name substituted and the labels the claims select', async () => {
    const ctx = contextFor(await exampleConfig());
    const ledger = new Ledger();
    await storage.apply!(ctx, ledger.forStep('storage'));
    expect(ledger.failed()).toEqual([]);
    const pv = await kube.get({ apiVersion: 'v1', kind: 'PersistentVolume', name: 'appdata-pv' });
    expect(pv?.metadata.labels).toMatchObject({ environment: 'prod' });
    expect(JSON.stringify(pv?.['spec'])).toContain(it_().nodeName);
    expect(await storage.verify!(ctx)).toMatchObject({ ok: true, missing: [] });
  });

  it('a live PV with a different immutable spec is reported with the fix, not overwritten', async () => {
    const ctx = contextFor(
      await exampleConfig((dir) => {
        const file = join(dir, 'kubernetes/cluster/storage.yaml');
        writeFileSync(file, readFileSync(file, 'utf8').replace(/path: \/srv\/homelab\/appdata/, 'path: /srv/elsewhere/appdata'));
      }),
    );
    const ledger = new Ledger();
    await storage.apply!(ctx, ledger.forStep('storage'));
    const failed = ledger.failed('storage');
    expect(failed.map((f) => f.name)).toEqual(['appdata-pv']);
    expect(failed[0]!.error).toMatch(/^PV appdata-pv already exists with a different immutable spec \(PersistentVolume "appdata-pv" is invalid: spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation\); the fix: make appdata-pv in the storage file match the live PV, or delete the PV/);
    expect(failed[0]!.error).not.toContain('\n');
  });
});
