// An in-cluster sealed-secrets controller needs its SealedSecret CRD from the config's manifests: without
// it reseal-secrets failed only after the old cluster was gone (seen on real k3d).
import { describe, expect, it } from 'vitest';
import type { HomelabConfig } from '../../src/config/types.js';
import type { LoadedObject } from '../../src/k8s/types.js';
import { sealedSecretsCrdProblems, type OfflineInputs } from '../../steps/preflight-checks.js';

const loaded = (kind: string, name: string): LoadedObject => ({ obj: { apiVersion: 'v1', kind, metadata: { name } }, source: { file: '/h/controller.yaml', line: 1 } }) as LoadedObject;
const config = (secrets: number) =>
  ({ sealedSecrets: { namespace: 'kube-system', controller: { manifests: '/h/controller.yaml' } }, secrets: Array.from({ length: secrets }, (_, i) => ({ name: `s${i}`, namespace: 'apps' })) }) as unknown as HomelabConfig;
const inputs = (controller: LoadedObject[], secrets = 1, apps: LoadedObject[] = []): OfflineInputs => ({
  config: config(secrets),
  namespaces: [],
  storage: [],
  apps: apps.length ? [{ app: { name: 'a', manifests: '/h/a' }, objects: apps } as never] : [],
  sealedSecretsController: controller,
});

describe('preflight: the SealedSecret CRD of an in-cluster controller', () => {
  const deployment = loaded('Deployment', 'sealed-secrets-controller');
  it('is a problem naming the manifests file when the controller runs in the cluster and secrets are resealed', () => {
    const problems = sealedSecretsCrdProblems(inputs([deployment]), true);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ check: 'crds', subject: 'CustomResourceDefinition sealedsecrets.bitnami.com', file: '/h/controller.yaml' });
    expect(problems[0]!.message).toContain('(/h/controller.yaml) define no CustomResourceDefinition sealedsecrets.bitnami.com');
  });
  it('is met by the CRD in the controller manifests or in an app', () => {
    expect(sealedSecretsCrdProblems(inputs([deployment, loaded('CustomResourceDefinition', 'sealedsecrets.bitnami.com')]), true)).toEqual([]);
    expect(sealedSecretsCrdProblems(inputs([deployment], 1, [loaded('CustomResourceDefinition', 'sealedsecrets.bitnami.com')]), true)).toEqual([]);
  });
  it('another CRD does not count', () => {
    expect(sealedSecretsCrdProblems(inputs([deployment, loaded('CustomResourceDefinition', 'certificates.cert-manager.io')]), true)).toHaveLength(1);
  });
  it('is not asked of a local-process controller (kwok installs the CRD itself) nor with no secret to reseal', () => {
    expect(sealedSecretsCrdProblems(inputs([deployment]), false)).toEqual([]);
    expect(sealedSecretsCrdProblems(inputs([deployment], 0), true)).toEqual([]);
  });
});
