import { describe, expect, it } from 'vitest';
import type { AppConfig, HomelabConfig, SealedSecretsConfig, SecretConfig } from '../../src/config/types.js';
import { podReferences } from '../../src/k8s/pod-references.js';
import type { KubeObject, LoadedObject } from '../../src/k8s/types.js';
import type { RenderedApp } from '../../steps/inputs.js';
import { danglingReferenceProblems, emptyAppProblems, unplannedWaitProblems } from '../../steps/preflight-health.js';
import type { OfflineInputs } from '../../steps/preflight-checks.js';

const loaded = (obj: KubeObject, line = 1): LoadedObject => ({ obj, source: { file: '/h/apps/web.yaml', line } });

function config(extra: { secrets?: Partial<SecretConfig>[]; sealedSecrets?: SealedSecretsConfig } = {}): HomelabConfig {
  return { source: '/h/homelab.yaml', secrets: extra.secrets ?? [], sealedSecrets: extra.sealedSecrets } as unknown as HomelabConfig;
}

function inputs(apps: Array<{ app: AppConfig; objects: LoadedObject[] }>, extra: Parameters<typeof config>[0] = {}, controller: LoadedObject[] = []): OfflineInputs {
  return { config: config(extra), namespaces: [], storage: [], apps: apps.map((a) => ({ ...a, how: 'manifests' }) as RenderedApp), sealedSecretsController: controller };
}

const deployment = (podSpec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'apps' },
  spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1' }], ...podSpec } } },
});

const webApp: AppConfig = { name: 'web', manifests: '/h/apps' };

describe('an app that renders no objects', () => {
  it('is a problem naming the app, its source and the allowEmpty fix', () => {
    expect(emptyAppProblems(inputs([{ app: webApp, objects: [] }])).map((p) => p.message)).toEqual([
      'app web (manifests /h/apps) renders no objects: check the path, the kustomization\'s resources or the chart\'s values; if it may be empty, set allowEmpty: true on it in /h/homelab.yaml',
    ]);
  });

  it('is no problem when the config says it may be empty', () => {
    expect(emptyAppProblems(inputs([{ app: { ...webApp, allowEmpty: true }, objects: [] }]))).toEqual([]);
  });
});

describe('references of pod templates', () => {
  it('finds volumes, envFrom, env valueFrom, imagePullSecrets and the ServiceAccount, and skips optional ones', () => {
    const refs = podReferences(deployment({
      serviceAccountName: 'web',
      imagePullSecrets: [{ name: 'regcred' }],
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: 'data-pvc' } },
        { name: 'conf', configMap: { name: 'web-conf' } },
        { name: 'maybe', secret: { secretName: 'extra', optional: true } },
      ],
      containers: [{ name: 'web', envFrom: [{ secretRef: { name: 'web-env' } }], env: [{ name: 'K', valueFrom: { configMapKeyRef: { name: 'flags', key: 'k' } } }] }],
    }));
    expect(refs.map((r) => `${r.kind} ${r.name} @ ${r.field}`)).toEqual([
      'PersistentVolumeClaim data-pvc @ volumes[data].persistentVolumeClaim',
      'ConfigMap web-conf @ volumes[conf].configMap',
      'Secret web-env @ containers[web].envFrom.secretRef',
      'ConfigMap flags @ containers[web].env[K].valueFrom.configMapKeyRef',
      'Secret regcred @ imagePullSecrets',
      'ServiceAccount web @ serviceAccountName',
    ]);
  });

  it('a Secret that nothing produces is a problem naming the workload, its file and the reference', () => {
    const web = deployment({ containers: [{ name: 'web', env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'db-password', key: 'p' } } }] }] });
    expect(danglingReferenceProblems(inputs([{ app: webApp, objects: [loaded(web, 7)] }])).map((p) => p.message)).toEqual([
      'Deployment apps/web (/h/apps/web.yaml:7): containers[web].env[T].valueFrom.secretKeyRef references Secret apps/db-password, which nothing in the plan creates (not in any app, secrets or SealedSecret); a real kubelet will not start its pods',
    ]);
  });

  it('a ConfigMap that nothing produces is a problem', () => {
    const web = deployment({ volumes: [{ name: 'conf', configMap: { name: 'web-conf' } }] });
    expect(danglingReferenceProblems(inputs([{ app: webApp, objects: [loaded(web)] }])).map((p) => p.subject)).toEqual(['Deployment apps/web']);
  });

  it('objects made by the plan count as produced: app objects, re-sealed secrets, SealedSecrets, and what controllers make', () => {
    const web = deployment({
      serviceAccountName: 'default',
      volumes: [
        { name: 'conf', configMap: { name: 'web-conf' } },
        { name: 'ca', configMap: { name: 'kube-root-ca.crt' } },
        { name: 'token', secret: { secretName: 'resealed' } },
        { name: 'legacy', secret: { secretName: 'from-git' } },
      ],
    });
    const conf: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-conf', namespace: 'apps' } };
    const sealed: KubeObject = { apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', metadata: { name: 'from-git', namespace: 'apps' } };
    const problems = danglingReferenceProblems(inputs([{ app: webApp, objects: [loaded(web), loaded(conf), loaded(sealed)] }], { secrets: [{ name: 'resealed', namespace: 'apps' }] }));
    expect(problems).toEqual([]);
  });

  it('a Secret of the same name in another namespace does not count', () => {
    const web = deployment({ volumes: [{ name: 't', secret: { secretName: 'token' } }] });
    expect(danglingReferenceProblems(inputs([{ app: webApp, objects: [loaded(web)] }], { secrets: [{ name: 'token', namespace: 'networking' }] })).length).toBe(1);
  });
});

describe('a wait for an object nothing in the plan creates', () => {
  const ss: SealedSecretsConfig = { namespace: 'sealed', controllerName: 'sealed-secrets-controller', controller: {} };

  it('the controller Deployment with no controller manifests is a preflight problem', () => {
    expect(unplannedWaitProblems(inputs([], { sealedSecrets: ss }), false).map((p) => p.message)).toEqual([
      'no controller manifests are configured (sealedSecrets.controller.manifests), so nothing creates Deployment sealed/sealed-secrets-controller, which the sealed-secrets-available step waits for; set sealedSecrets.controller.manifests, or sealedSecrets.namespace/controllerName to match them',
    ]);
  });

  it('is no problem when the manifests hold that Deployment', () => {
    const controller: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'sealed-secrets-controller', namespace: 'sealed' } };
    expect(unplannedWaitProblems(inputs([], { sealedSecrets: { ...ss, controller: { manifests: '/h/c.yaml' } } }, [loaded(controller)]), false)).toEqual([]);
  });

  it('is no problem when the provider runs the controller as a local process', () => {
    expect(unplannedWaitProblems(inputs([], { sealedSecrets: ss }), true)).toEqual([]);
  });
});
