// The bundled example homelab (config/example) is consistent: it parses, its namespaces cover every
// object, its PVs satisfy its PVCs, its pods pass their namespaces' PodSecurity; the incident
// variants fail exactly the way the incident did.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadManifestFile, loadManifests, orderForApply } from '../../src/k8s/manifests.js';
import { checkDeclared, namespacesNeeded } from '../../src/k8s/namespaces.js';
import { enforcePolicyOf, evaluatePodSecurity, hasPodTemplate } from '../../src/k8s/podsecurity.js';
import { checkClaims, checkRequiredLabels } from '../../src/k8s/pv-match.js';
import type { LoadedObject } from '../../src/k8s/types.js';

const example = fileURLToPath(new URL('../../config/example/', import.meta.url));
const at = (path: string) => join(example, path);

// The media app is a kustomization; its namespace comes from kustomization.yaml, as kustomize sets it.
async function mediaObjects(): Promise<LoadedObject[]> {
  const kustomization = parse(readFileSync(at('kubernetes/apps/media/kustomization.yaml'), 'utf8')) as { namespace: string; resources: string[] };
  const loaded = (await Promise.all(kustomization.resources.map((file) => loadManifestFile(at(`kubernetes/apps/media/${file}`))))).flat();
  return loaded.map(({ obj, source }) => ({ obj: { ...obj, metadata: { ...obj.metadata, namespace: kustomization.namespace } }, source }));
}

function lineOf(file: string, text: string): number {
  const content = readFileSync(file, 'utf8');
  return content.slice(0, content.indexOf(text)).split('\n').length;
}

describe('config/example/homelab.yaml', () => {
  const config = parse(readFileSync(at('homelab.yaml'), 'utf8'));

  it('is a kwok RecoveryPlan named homelab with the node homelab-server-0', () => {
    expect(config).toMatchObject({
      apiVersion: 'homelab-dr/v1', kind: 'RecoveryPlan',
      cluster: { provider: 'kwok', name: 'homelab', nodeName: 'homelab-server-0' },
      apps: { wait: { timeout: '10m' } },
    });
    expect(config.apps.items.map((app: { name: string }) => app.name)).toEqual(['argocd', 'networking', 'media']);
  });

  it('references only files that exist', () => {
    const paths = [config.cluster.registries.config, config.namespaces.file, config.storage.file,
      config.sealedSecrets.controller.manifests, config.secretStores.demo.command[0],
      config.apps.items[0].helm.chart, config.apps.items[0].helm.values, config.apps.items[1].manifests,
      config.apps.items[2].kustomize];
    for (const path of paths) expect(existsSync(resolve(example, path)), path).toBe(true);
  });

  it('has a demo store that answers every key the secrets use, with fake values', () => {
    const keys = config.secrets.flatMap((secret: { data: Record<string, { key?: string }> }) =>
      Object.values(secret.data).flatMap((source) => (source.key ? [source.key] : [])));
    expect(keys).toEqual(['CF_TUNNEL_TOKEN', 'GITLAB_AGENT_TOKEN', 'ARGOCD_REPO_TOKEN']);
    for (const key of keys) {
      expect(execFileSync('sh', [at('secrets/demo-store.sh'), key], { encoding: 'utf8' })).toMatch(/^demo-not-a-real-token-\d$/);
    }
    expect(() => execFileSync('sh', [at('secrets/demo-store.sh'), 'UNKNOWN'], { stdio: 'pipe' })).toThrow();
  });
});

describe('example manifests', () => {
  it('load with the line each object starts on', async () => {
    const storage = await loadManifestFile(at('kubernetes/cluster/storage.yaml'));
    expect(storage.map(({ obj }) => `${obj.kind}/${obj.metadata.name}`)).toEqual([
      'StorageClass/local-storage', 'PersistentVolume/appdata-pv', 'PersistentVolume/data-pv',
    ]);
    expect(storage[0]?.source.line).toBe(1);
    expect(storage[1]?.source.line).toBe(lineOf(at('kubernetes/cluster/storage.yaml'), 'apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: appdata-pv'));
    const networking = await loadManifests(at('kubernetes/networking/base'));
    expect(networking.map(({ obj, source }) => `${obj.kind}/${obj.metadata.name}@${source.file.split('/').pop()}:${source.line}`)).toEqual([
      'Deployment/cloudflared@cloudflared.yaml:3', 'ServiceAccount/gitlab-agent@gitlab-agent.yaml:1',
      'Deployment/gitlab-agent@gitlab-agent.yaml:7',
    ]);
  });

  it('declare every namespace their objects need', async () => {
    const declared = (await loadManifestFile(at('kubernetes/cluster/namespaces.yaml'))).map(({ obj }) => obj.metadata.name!);
    expect(declared).toEqual(['argocd', 'networking', 'apps']);
    const objects = [
      ...(await loadManifests(at('kubernetes/networking/base'))),
      ...(await loadManifestFile(at('kubernetes/sealed-secrets/controller.yaml'))),
      ...(await mediaObjects()),
    ];
    expect(checkDeclared(declared, namespacesNeeded(objects))).toEqual([]);
    expect(checkDeclared(declared.filter((ns) => ns !== 'apps'), namespacesNeeded(objects))[0]?.message)
      .toMatch(/^namespace apps is not declared, but PersistentVolumeClaim apps\/appdata-pvc \(.*pvcs\.yaml:2\)/);
  });

  it('have PVs that carry the required labels and satisfy every PVC selector', async () => {
    const pvs = (await loadManifestFile(at('kubernetes/cluster/storage.yaml'))).map(({ obj }) => obj).filter((obj) => obj.kind === 'PersistentVolume');
    const pvcs = (await mediaObjects()).map(({ obj }) => obj).filter((obj) => obj.kind === 'PersistentVolumeClaim');
    expect(checkRequiredLabels(pvs, { environment: 'prod' })).toEqual([]);
    expect(checkClaims(pvs, pvcs)).toEqual([
      { claim: 'apps/appdata-pvc', ok: true, pv: 'appdata-pv' },
      { claim: 'apps/data-pvc', ok: true, pv: 'data-pv' },
    ]);
  });

  it('have pods that pass their namespace PodSecurity', async () => {
    const namespaces = new Map((await loadManifestFile(at('kubernetes/cluster/namespaces.yaml'))).map(({ obj }) => [obj.metadata.name, obj]));
    const workloads = [...(await loadManifests(at('kubernetes/networking/base'))), ...(await mediaObjects())]
      .map(({ obj }) => obj).filter(hasPodTemplate);
    expect(workloads).toHaveLength(4);
    for (const workload of workloads) {
      const policy = enforcePolicyOf(namespaces.get(workload.metadata.namespace)!);
      expect(evaluatePodSecurity(workload, policy).violations, workload.metadata.name).toEqual([]);
    }
    const controller = (await loadManifestFile(at('kubernetes/sealed-secrets/controller.yaml'))).map(({ obj }) => obj);
    expect(evaluatePodSecurity(controller.find((obj) => obj.kind === 'Deployment')!, { level: 'restricted', version: 'latest' }).allowed).toBe(true);
    expect(orderForApply(controller).map((obj) => obj.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding', 'ServiceAccount', 'Service', 'Deployment']);
  });
});

describe('incident variants', () => {
  it('unlabelled PVs leave the media PVCs unmatched, naming the missing label', async () => {
    const pvs = (await loadManifestFile(at('incident/storage-unlabelled.yaml'))).map(({ obj }) => obj).filter((obj) => obj.kind === 'PersistentVolume');
    const pvcs = (await mediaObjects()).map(({ obj }) => obj).filter((obj) => obj.kind === 'PersistentVolumeClaim');
    expect(checkRequiredLabels(pvs, { environment: 'prod' }).map((problem) => problem.message)).toEqual([
      'PV appdata-pv lacks label environment=prod', 'PV data-pv lacks label environment=prod',
    ]);
    expect(checkClaims(pvs, pvcs).map((result) => (result.ok ? 'ok' : result.message))).toEqual([
      'PVC apps/appdata-pvc selects environment=prod; PV appdata-pv (local-storage, 50Gi, RWO) lacks label environment',
      'PVC apps/data-pvc selects environment=prod; PV data-pv (local-storage, 100Gi, RWO) lacks label environment',
    ]);
  });

  it('the cloudflared Deployment without securityContext fails restricted, with the fields to add', async () => {
    const [deployment] = (await loadManifestFile(at('incident/cloudflared-no-securitycontext.yaml'))).map(({ obj }) => obj);
    const result = evaluatePodSecurity(deployment!, { level: 'restricted', version: 'latest' });
    expect(result.allowed).toBe(false);
    expect(result.violations.flatMap((violation) => violation.fix)).toEqual([
      'containers["cloudflared"].securityContext.allowPrivilegeEscalation=false',
      'containers["cloudflared"].securityContext.capabilities.drop=["ALL"]',
      'spec.securityContext.runAsNonRoot=true',
      'spec.securityContext.seccompProfile.type=RuntimeDefault',
    ]);
  });
});


