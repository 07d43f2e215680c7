import { describe, expect, it } from 'vitest';
import { healthOf, hasHealthRule } from '../../src/health/rules.js';
import type { KubeObject } from '../../src/kube/types.js';
import { podProbeFor, rejectionSummary } from '../../steps/apps-logic.js';

const deploy = (status: Record<string, unknown>, generation = 2, replicas = 2): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'apps', generation },
  spec: { replicas },
  status,
});

describe('health rules', () => {
  it('a Deployment is healthy only when the latest generation is observed and all replicas are available', () => {
    expect(healthOf(deploy({ observedGeneration: 1, updatedReplicas: 2, availableReplicas: 2 }))).toEqual({
      ready: false,
      message: 'controller has not observed generation 2 yet',
    });
    expect(healthOf(deploy({ observedGeneration: 2, updatedReplicas: 2, availableReplicas: 1 }))).toEqual({ ready: false, message: 'Available: 1/2' });
    expect(healthOf(deploy({ observedGeneration: 2, updatedReplicas: 1, availableReplicas: 1 }))).toEqual({ ready: false, message: 'Updated: 1/2' });
    expect(healthOf(deploy({ observedGeneration: 2, updatedReplicas: 2, availableReplicas: 2 })).ready).toBe(true);
  });

  it('a ReplicaFailure condition is reported with its message', () => {
    const h = healthOf(deploy({ observedGeneration: 2, conditions: [{ type: 'ReplicaFailure', status: 'True', message: 'pods "x" is forbidden: violates PodSecurity' }] }));
    expect(h).toEqual({ ready: false, message: 'ReplicaFailure: pods "x" is forbidden: violates PodSecurity' });
  });

  it('PVC, CRD, Job and Argo CD Application rules read their status', () => {
    const pvc = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, status: { phase: 'Pending' } };
    expect(healthOf(pvc)).toEqual({ ready: false, message: 'PVC is not Bound. phase: Pending' });
    const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'x' }, status: { conditions: [{ type: 'Established', status: 'True' }] } };
    expect(healthOf(crd).ready).toBe(true);
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] } };
    expect(healthOf(job)).toEqual({ ready: false, message: 'Failed: BackoffLimitExceeded' });
    const app = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'root' }, status: { sync: { status: 'Synced' }, health: { status: 'Progressing' } } };
    expect(healthOf(app)).toEqual({ ready: false, message: 'sync Synced, health Progressing' });
    expect(hasHealthRule({ apiVersion: 'v1', kind: 'ConfigMap' })).toBe(false);
    expect(healthOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } })).toEqual({ ready: true, message: 'exists' });
  });
});

describe('apps dry-run probes', () => {
  it('makes a Pod from a workload template in the workload namespace', () => {
    const probe = podProbeFor({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'cloudflared', namespace: 'networking' },
      spec: { template: { metadata: { labels: { app: 'cf' } }, spec: { serviceAccountName: 'cf', containers: [{ name: 'c', image: 'x' }] } } },
    });
    expect(probe).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'cloudflared-psa-probe', namespace: 'networking', labels: { app: 'cf' }, annotations: {} },
      spec: { containers: [{ name: 'c', image: 'x' }], automountServiceAccountToken: false },
    });
    expect(podProbeFor({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } })).toBeUndefined();
    expect(rejectionSummary([{ object: 'Deployment networking/cloudflared', message: 'm' }], 7)).toBe(
      'server-side dry-run rejected 1 of 7 object(s); nothing was applied: Deployment networking/cloudflared',
    );
  });
});
