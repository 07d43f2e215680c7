import { describe, expect, it } from 'vitest';
import { healthWithPods, selects } from '../../src/health/pod.js';
import { healthOf } from '../../src/health/rules.js';
import type { KubeObject } from '../../src/kube/types.js';
import { podProbeFor, rejectionSummary } from '../../steps/apps-logic.js';

const deploy = (status: Record<string, unknown>, generation = 2, replicas = 2): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'apps', generation },
  spec: { replicas },
  status,
});

const obj = (apiVersion: string, kind: string, rest: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name: 'x', namespace: 'apps', ...metadata },
  ...rest,
});
const cond = (type: string, status: string, extra: Record<string, unknown> = {}) => ({ type, status, ...extra });
const waitingPod = (reason: string, message = '') =>
  obj('v1', 'Pod', { status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: false, state: { waiting: { reason, message } } }] } }, { labels: { app: 'web' } });

describe('health rules: Current, InProgress, Failed, NotJudged', () => {
  const cases: Array<[string, KubeObject, { status: string; message: string }]> = [
    ['Deployment, generation not observed', deploy({ observedGeneration: 1, updatedReplicas: 2, availableReplicas: 2 }), { status: 'InProgress', message: 'controller has not observed generation 2 yet' }],
    ['Deployment, 1 of 2 available', deploy({ observedGeneration: 2, updatedReplicas: 2, availableReplicas: 1 }), { status: 'InProgress', message: 'Available: 1/2' }],
    ['Deployment, 1 of 2 updated', deploy({ observedGeneration: 2, updatedReplicas: 1, availableReplicas: 1 }), { status: 'InProgress', message: 'Updated: 1/2' }],
    ['Deployment, all available', deploy({ observedGeneration: 2, updatedReplicas: 2, availableReplicas: 2 }), { status: 'Current', message: 'Available: 2/2' }],
    ['Deployment, ReplicaFailure', deploy({ observedGeneration: 2, conditions: [cond('ReplicaFailure', 'True', { message: 'pods "x" is forbidden: violates PodSecurity' })] }), { status: 'InProgress', message: 'ReplicaFailure: pods "x" is forbidden: violates PodSecurity' }],
    ['Deployment, ProgressDeadlineExceeded', deploy({ observedGeneration: 2, conditions: [cond('Progressing', 'False', { reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-1" has timed out progressing.' })] }), { status: 'Failed', message: 'ProgressDeadlineExceeded: ReplicaSet "web-1" has timed out progressing.' }],
    ['StatefulSet, 0 of 1 ready', obj('apps/v1', 'StatefulSet', { spec: { replicas: 1 }, status: { readyReplicas: 0 } }), { status: 'InProgress', message: 'Ready: 0/1' }],
    ['DaemonSet, 2 of 3 ready', obj('apps/v1', 'DaemonSet', { status: { desiredNumberScheduled: 3, numberReady: 2 } }), { status: 'InProgress', message: 'Ready: 2/3' }],
    ['ReplicaSet, all available', obj('apps/v1', 'ReplicaSet', { spec: { replicas: 2 }, status: { availableReplicas: 2 } }), { status: 'Current', message: 'Available: 2/2' }],
    ['Pod, CrashLoopBackOff', waitingPod('CrashLoopBackOff', 'back-off 5m0s restarting failed container'), { status: 'Failed', message: 'container app: CrashLoopBackOff: back-off 5m0s restarting failed container' }],
    ['Pod, ImagePullBackOff', waitingPod('ImagePullBackOff', 'Back-off pulling image "nope:1"'), { status: 'Failed', message: 'container app: ImagePullBackOff: Back-off pulling image "nope:1"' }],
    ['Pod, ErrImagePull', waitingPod('ErrImagePull'), { status: 'Failed', message: 'container app: ErrImagePull' }],
    ['Pod, CreateContainerConfigError', waitingPod('CreateContainerConfigError', 'secret "db" not found'), { status: 'Failed', message: 'container app: CreateContainerConfigError: secret "db" not found' }],
    ['Pod, ContainerCreating', waitingPod('ContainerCreating'), { status: 'InProgress', message: 'phase Running, Ready: 0/1 container(s)' }],
    ['Pod, Ready', obj('v1', 'Pod', { status: { phase: 'Running', conditions: [cond('Ready', 'True')] } }), { status: 'Current', message: 'Ready' }],
    ['Pod, phase Failed', obj('v1', 'Pod', { status: { phase: 'Failed', reason: 'Evicted' } }), { status: 'Failed', message: 'pod phase Failed: Evicted' }],
    ['Job, Failed condition', obj('batch/v1', 'Job', { status: { conditions: [cond('Failed', 'True', { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' })] } }), { status: 'Failed', message: 'Job Failed: BackoffLimitExceeded: Job has reached the specified backoff limit' }],
    ['Job, running', obj('batch/v1', 'Job', { spec: { completions: 3 }, status: { succeeded: 1 } }), { status: 'InProgress', message: 'Succeeded: 1/3' }],
    ['Job, Complete', obj('batch/v1', 'Job', { status: { conditions: [cond('Complete', 'True')] } }), { status: 'Current', message: 'Complete' }],
    ['PVC, Pending', obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Pending' } }), { status: 'InProgress', message: 'PVC is not Bound. phase: Pending' }],
    ['PVC, Bound', obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Bound' } }), { status: 'Current', message: 'Bound' }],
    ['PVC, Lost', obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Lost' } }), { status: 'Failed', message: 'PVC is Lost: its PV is gone' }],
    ['Node, Ready', obj('v1', 'Node', { status: { conditions: [cond('Ready', 'True')] } }, { namespace: undefined }), { status: 'Current', message: 'Ready' }],
    ['Node, not Ready', obj('v1', 'Node', { status: { conditions: [cond('Ready', 'False', { reason: 'KubeletNotReady' })] } }, { namespace: undefined }), { status: 'InProgress', message: 'Node is not Ready: False (KubeletNotReady)' }],
    ['CRD, Established', obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { status: { conditions: [cond('Established', 'True')] } }), { status: 'Current', message: 'Established' }],
    ['CRD, not yet', obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { status: {} }), { status: 'InProgress', message: 'CRD is not Established yet' }],
    ['CRD, names refused', obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { status: { conditions: [cond('NamesAccepted', 'False', { message: '"foos" is already in use' })] } }), { status: 'Failed', message: 'CRD names not accepted: "foos" is already in use' }],
    ['Service ClusterIP', obj('v1', 'Service', { spec: { type: 'ClusterIP' } }), { status: 'Current', message: 'Service type ClusterIP' }],
    ['Service LoadBalancer without ingress', obj('v1', 'Service', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: {} } }), { status: 'InProgress', message: 'LoadBalancer: no ingress address yet' }],
    ['SealedSecret, Synced=False', obj('bitnami.com/v1alpha1', 'SealedSecret', { status: { observedGeneration: 1, conditions: [cond('Synced', 'False', { message: 'no key could decrypt secret (token)' })] } }, { generation: 1 }), { status: 'Failed', message: 'Synced=False: no key could decrypt secret (token)' }],
    ['SealedSecret, Synced=True', obj('bitnami.com/v1alpha1', 'SealedSecret', { status: { observedGeneration: 1, conditions: [cond('Synced', 'True')] } }, { generation: 1 }), { status: 'Current', message: 'Synced' }],
    ['SealedSecret, no status yet', obj('bitnami.com/v1alpha1', 'SealedSecret', {}), { status: 'InProgress', message: 'no Synced condition yet' }],
    ['SealedSecret, Synced=False of an older generation', obj('bitnami.com/v1alpha1', 'SealedSecret', { status: { observedGeneration: 1, conditions: [cond('Synced', 'False')] } }, { generation: 2 }), { status: 'InProgress', message: 'controller has not observed generation 2 yet' }],
    ['Argo CD Application, progressing', obj('argoproj.io/v1alpha1', 'Application', { status: { sync: { status: 'Synced' }, health: { status: 'Progressing' } } }), { status: 'InProgress', message: 'sync Synced, health Progressing' }],
    ['Argo CD Application, Degraded', obj('argoproj.io/v1alpha1', 'Application', { status: { sync: { status: 'Synced' }, health: { status: 'Degraded' } } }), { status: 'Failed', message: 'sync Synced, health Degraded' }],
    ['Argo CD Application, healthy', obj('argoproj.io/v1alpha1', 'Application', { status: { sync: { status: 'Synced' }, health: { status: 'Healthy' } } }), { status: 'Current', message: 'sync Synced, health Healthy' }],
    ['ConfigMap (no status by design)', obj('v1', 'ConfigMap', {}), { status: 'Current', message: 'exists (this kind has no status)' }],
    ['custom resource, Stalled', obj('example.com/v1', 'Widget', { status: { conditions: [cond('Stalled', 'True', { message: 'bad spec' })] } }), { status: 'Failed', message: 'Stalled: bad spec' }],
    ['custom resource, Ready=False', obj('example.com/v1', 'Widget', { status: { conditions: [cond('Ready', 'False', { reason: 'Waiting' })] } }), { status: 'InProgress', message: 'Ready=False: Waiting' }],
    ['custom resource, Reconciling', obj('example.com/v1', 'Widget', { status: { conditions: [cond('Reconciling', 'True', { message: 'working' })] } }), { status: 'InProgress', message: 'Reconciling: working' }],
    ['custom resource, generation not observed', obj('example.com/v1', 'Widget', { status: { observedGeneration: 3 } }, { generation: 4 }), { status: 'InProgress', message: 'controller has not observed generation 4 yet' }],
    ['custom resource, Ready', obj('example.com/v1', 'Widget', { status: { conditions: [cond('Ready', 'True')] } }), { status: 'Current', message: 'Ready' }],
    ['custom resource, no rule and no status', obj('example.com/v1', 'Widget', {}), { status: 'NotJudged', message: 'not judged: no health rule for example.com/Widget and no status' }],
  ];
  it.each(cases)('%s', (_name, object, expected) => {
    expect(healthOf(object)).toEqual(expected);
  });
});

describe('a workload judged through its pods', () => {
  const web = deploy({ observedGeneration: 2, updatedReplicas: 2, availableReplicas: 0 });
  (web.spec as Record<string, unknown>)['selector'] = { matchLabels: { app: 'web' } };

  it('a crash-looping pod it selects makes it Failed, naming the pod and the reason', () => {
    const pod = { ...waitingPod('CrashLoopBackOff', 'back-off'), metadata: { name: 'web-1', namespace: 'apps', labels: { app: 'web' } } };
    expect(healthWithPods(healthOf(web), web, [pod])).toEqual({ status: 'Failed', message: 'Available: 0/2; pod apps/web-1: container app: CrashLoopBackOff: back-off' });
  });

  it('a crash-looping pod it does not select leaves it InProgress', () => {
    const other = { ...waitingPod('CrashLoopBackOff'), metadata: { name: 'db-1', namespace: 'apps', labels: { app: 'db' } } };
    expect(healthWithPods(healthOf(web), web, [other])).toEqual({ status: 'InProgress', message: 'Available: 0/2' });
  });

  it('matchExpressions select as Kubernetes does', () => {
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }, { key: 'canary', operator: 'DoesNotExist' }] }, { tier: 'front' })).toBe(true);
  });

  it('an empty selector selects no pod', () => {
    expect(selects({}, { app: 'web' })).toBe(false);
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
