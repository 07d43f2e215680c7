// Proves the control plane is real: admission, the controller-manager's controllers, the scheduler
// and kwok's node all behave as on a real cluster.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/types.js';
import { integrationCluster } from './context.js';

const PSA_FIELDS = ['allowPrivilegeEscalation', 'capabilities', 'runAsNonRoot', 'seccompProfile'];
const { kubeconfig, nodeName } = integrationCluster();
let client: KubeClient;

beforeAll(async () => {
  client = await KubeClient.fromKubeconfig(kubeconfig);
});
afterAll(() => client.close());

function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

function podSpec(securityContext?: Record<string, unknown>) {
  return { containers: [{ name: 'web', image: 'nginx:1.27', ...(securityContext ? { securityContext } : {}) }] };
}

const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  runAsNonRoot: true,
  runAsUser: 1000,
  seccompProfile: { type: 'RuntimeDefault' },
};

describe('PodSecurity admission (kube-apiserver) and the ReplicaSet controller', () => {
  const ns = 'it-psa-restricted';
  beforeAll(async () => {
    await client.apply(namespace(ns, { 'pod-security.kubernetes.io/enforce': 'restricted' }));
  });

  test('a Deployment without securityContext is accepted, and its ReplicaSet reports FailedCreate naming every violation', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: podSpec() },
      },
    };
    const applied = await client.apply(deployment);
    expect(applied.metadata.uid).toBeTruthy();

    const replicaSet = await client.waitFor({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: ns, labelSelector: 'app=web' }, () => true, {
      timeoutMs: 30_000,
      what: 'the Deployment controller to create a ReplicaSet',
    });
    const failedCreate = await client.waitFor(
      { apiVersion: 'v1', kind: 'Event', namespace: ns, fieldSelector: `involvedObject.uid=${replicaSet.metadata.uid},reason=FailedCreate` },
      () => true,
      { timeoutMs: 30_000, what: 'a FailedCreate event on the ReplicaSet' },
    );
    const message = String(failedCreate.message);
    expect(message).toContain('violates PodSecurity "restricted:latest"');
    for (const field of PSA_FIELDS) expect(message).toContain(field);

    const events = await client.eventsFor(replicaSet);
    expect(events.map((e) => e.reason)).toContain('FailedCreate');
    const pods = await client.list({ apiVersion: 'v1', kind: 'Pod', namespace: ns });
    expect(pods).toHaveLength(0);
  });

  test('a server-side dry run of the same pod is rejected with the PodSecurity message, and nothing is stored', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-dry', namespace: ns }, spec: podSpec() };
    const rejection = await client.apply(pod, { dryRun: true }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(rejection).toBeInstanceOf(KubeApiError);
    const apiError = rejection as KubeApiError;
    expect(apiError.status).toBe(403);
    expect(apiError.apiMessage).toContain('violates PodSecurity "restricted:latest"');
    for (const field of PSA_FIELDS) expect(apiError.apiMessage).toContain(field);
    expect(await client.get({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: 'web-dry' })).toBeUndefined();
  });

  test('the same dry run passes once the container is restricted-compliant, and still stores nothing', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-ok', namespace: ns }, spec: podSpec(RESTRICTED_CONTAINER) };
    const answer = await client.apply(pod, { dryRun: true });
    expect(answer.metadata.name).toBe('web-ok');
    expect(await client.get({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: 'web-ok' })).toBeUndefined();
  });
});

describe('the PersistentVolume controller (kube-controller-manager)', () => {
  const ns = 'it-storage';
  const pv = (labels: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'it-data-pv', labels },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      // No class on either side: binding is immediate and needs no consumer pod.
      storageClassName: '',
      hostPath: { path: '/srv/it-data' },
    },
  });
  const pvc = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: ns },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: '',
      resources: { requests: { storage: '1Gi' } },
      selector: { matchLabels: { environment: 'prod' } },
    },
  };

  test('a claim selecting environment=prod stays Pending until the only PV gets that label, then binds within seconds', async () => {
    await client.apply(namespace(ns));
    await client.apply(pv({}));
    const claim = await client.apply(pvc);
    // The controller's own verdict that it looked and found nothing: then Pending is a result, not a race.
    const noMatch = await client.waitFor(
      { apiVersion: 'v1', kind: 'Event', namespace: ns, fieldSelector: `involvedObject.uid=${claim.metadata.uid},reason=FailedBinding` },
      () => true,
      { timeoutMs: 30_000, what: 'the PV controller to report FailedBinding for the claim' },
    );
    expect(String(noMatch.message)).toMatch(/no persistent volumes available/);
    const pending = await client.get({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: 'data' });
    expect((pending?.status as { phase?: string }).phase).toBe('Pending');

    const labelled = Date.now();
    await client.apply(pv({ environment: 'prod' }));
    const bound = await client.waitFor(
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: 'data' },
      (obj) => (obj.status as { phase?: string } | undefined)?.phase === 'Bound',
      { timeoutMs: 30_000, what: 'the claim to bind after the label was added' },
    );
    const seconds = (Date.now() - labelled) / 1000;
    console.log(`[integration] PVC bound ${seconds.toFixed(1)}s after the PV got its label`);
    expect((bound.spec as { volumeName?: string }).volumeName).toBe('it-data-pv');
    expect(seconds).toBeLessThan(20);
  });
});

describe('the scheduler and the kwok node', () => {
  test('a pod is scheduled onto the kwok node and reaches Running and Ready', async () => {
    const ns = 'it-workload';
    await client.apply(namespace(ns));
    await client.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: ns }, spec: podSpec() });
    const ready = await client.waitFor(
      { apiVersion: 'v1', kind: 'Pod', namespace: ns, name: 'web' },
      (pod) => {
        const status = pod.status as { phase?: string; conditions?: Array<{ type: string; status: string }> } | undefined;
        return status?.phase === 'Running' && (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      },
      { timeoutMs: 30_000, what: 'pod web to be Running and Ready' },
    );
    expect((ready.spec as { nodeName?: string }).nodeName).toBe(nodeName);
  });
});
