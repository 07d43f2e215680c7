// The diagnosis ladder on literal objects and events, shaped as the real apiserver serves them.
import { describe, expect, it } from 'vitest';
import { formatFinding } from '../../src/diagnose/findings.js';
import type { ClusterView } from '../../src/diagnose/ladder.js';
import { diagnoseView, findingsFor } from '../../src/diagnose/view.js';
import type { KubeEvent, KubeObject } from '../../src/kube/types.js';

const NS = 'apps';
const node = (name: string, extra: { labels?: Record<string, string>; taints?: unknown[]; unschedulable?: boolean } = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, uid: `uid-${name}`, labels: { 'kubernetes.io/hostname': name, ...extra.labels } },
  spec: { taints: extra.taints, unschedulable: extra.unschedulable },
  status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } },
});

const deployment = (name: string, available: number): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: NS, uid: `uid-deploy-${name}`, generation: 1 },
  spec: { replicas: 1 },
  status: { observedGeneration: 1, updatedReplicas: 1, availableReplicas: available },
});

const replicaSet = (name: string, owner: KubeObject, created: number, conditions: unknown[] = []): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name, namespace: NS, uid: `uid-rs-${name}`, ownerReferences: [{ kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid }] },
  spec: { replicas: 1 },
  status: { replicas: created, conditions },
});

const pod = (name: string, spec: Record<string, unknown>, owner?: KubeObject): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: NS,
    uid: `uid-pod-${name}`,
    ownerReferences: owner ? [{ kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid }] : undefined,
  },
  spec: { containers: [{ name: 'app', image: 'app:1' }], ...spec },
  status: { phase: 'Pending' },
});

const event = (about: KubeObject, reason: string, message: string, at = '2025-01-01T00:00:00Z', count = 1): KubeEvent => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: `${about.metadata.name}.${reason}.${at}`, namespace: NS },
  involvedObject: { kind: about.kind, name: about.metadata.name, namespace: NS, uid: about.metadata.uid },
  reason,
  message,
  count,
  lastTimestamp: at,
});

const pv = (name: string, labels: Record<string, string>, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name, uid: `uid-pv-${name}`, labels },
  spec: { storageClassName: 'local-storage', capacity: { storage: '50Gi' }, accessModes: ['ReadWriteOnce'], ...spec },
  status: { phase: 'Available' },
});

const pvc = (name: string, selector?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: NS, uid: `uid-pvc-${name}` },
  spec: {
    storageClassName: 'local-storage',
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: '10Gi' } },
    ...(selector ? { selector: { matchLabels: selector } } : {}),
  },
  status: { phase: 'Pending' },
});

const view = (parts: Partial<ClusterView>): ClusterView => ({
  workloads: [], replicaSets: [], pods: [], pvcs: [], pvs: [], nodes: [node('node-1')], events: [], claims: parts.pvcs ?? [], ...parts,
});

const PSA_FAILED_CREATE =
  'Error creating: pods "cloudflared-6c8f9d7b5-7xk2p" is forbidden: violates PodSecurity "restricted:latest": ' +
  'allowPrivilegeEscalation != false (container "cloudflared" must set securityContext.allowPrivilegeEscalation=false), ' +
  'unrestricted capabilities (container "cloudflared" must set securityContext.capabilities.drop=["ALL"]), ' +
  'runAsNonRoot != true (pod or container "cloudflared" must set securityContext.runAsNonRoot=true), ' +
  'seccompProfile (pod or container "cloudflared" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';
const NOT_HELPFUL = ' preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.';

describe('rung 1: pods not created', () => {
  it("finds FailedCreate on the Deployment's ReplicaSet and turns the PodSecurity rejection into a checklist", () => {
    const deploy = deployment('cloudflared', 0);
    const rs = replicaSet('cloudflared-6c8f9d7b5', deploy, 0);
    const findings = diagnoseView(view({
      workloads: [deploy],
      replicaSets: [rs],
      events: [event(rs, 'FailedCreate', 'Error creating: older', '2025-01-01T00:00:00Z'), event(rs, 'FailedCreate', PSA_FAILED_CREATE, '2025-01-01T00:05:00Z', 12)],
    }));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      object: 'Deployment apps/cloudflared',
      problem:
        'its ReplicaSet apps/cloudflared-6c8f9d7b5 cannot create pods: PodSecurity "restricted:latest" rejects them (4 violations: allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile)',
      evidence: [`ReplicaSet apps/cloudflared-6c8f9d7b5 event FailedCreate (x12): ${PSA_FAILED_CREATE}`],
    });
    expect(findings[0]!.fix.map((line) => line.split(':')[1]!.trim().split(' ')[1])).toEqual([
      'securityContext.allowPrivilegeEscalation=false',
      'securityContext.capabilities.drop=["ALL"]',
      'securityContext.runAsNonRoot=true',
      'securityContext.seccompProfile.type',
    ]);
  });

  it("falls back to the ReplicaSet's ReplicaFailure condition once the events have expired", () => {
    const deploy = deployment('cloudflared', 0);
    const message = PSA_FAILED_CREATE.replace('Error creating: ', '');
    const rs = replicaSet('cloudflared-6c8f9d7b5', deploy, 0, [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message }]);
    const [finding] = diagnoseView(view({ workloads: [deploy], replicaSets: [rs] }));
    expect(finding?.evidence).toEqual([`ReplicaSet apps/cloudflared-6c8f9d7b5 condition ReplicaFailure (FailedCreate): ${message}`]);
    expect(finding?.fix).toHaveLength(4);
  });

  it('names a namespace whose enforce label was changed on the cluster, and restoring it as the first fix', () => {
    const deploy = deployment('cloudflared', 0);
    const rs = replicaSet('cloudflared-6c8f9d7b5', deploy, 0);
    const namespace = (level?: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NS, ...(level ? { labels: { 'pod-security.kubernetes.io/enforce': level } } : {}) },
    });
    const rejected = (declared: KubeObject[]) =>
      diagnoseView(view({ workloads: [deploy], replicaSets: [rs], events: [event(rs, 'FailedCreate', PSA_FAILED_CREATE)], declaredNamespaces: declared }))[0]!;
    const drifted = rejected([namespace('baseline')]);
    expect(drifted.problem).toMatch(/rejects them \(4 violations: .*\); namespace apps enforces restricted, but the namespaces file declares baseline: the label was changed on the cluster, not in the config$/);
    expect(drifted.fix[0]).toBe(
      'restore the declared label: `kubectl label namespace apps pod-security.kubernetes.io/enforce=baseline --overwrite` (a hard-reset restores it too); only if restricted is wanted, declare it and make the changes below',
    );
    expect(drifted.fix).toHaveLength(5);
    // No label declared is PodSecurity's default, privileged: a drift too.
    expect(rejected([namespace()]).problem).toContain('but the namespaces file declares privileged');
    // Declared restricted: the workload is what is wrong, and nothing is said of the label.
    expect(rejected([namespace('restricted')]).problem).not.toContain('namespaces file');
    expect(rejected([namespace('restricted')]).fix).toHaveLength(4);
  });

  it('ignores an old FailedCreate once the Deployment is available again', () => {
    const deploy = deployment('cloudflared', 1);
    const rs = replicaSet('cloudflared-6c8f9d7b5', deploy, 1);
    expect(diagnoseView(view({ workloads: [deploy], replicaSets: [rs], events: [event(rs, 'FailedCreate', PSA_FAILED_CREATE)] }))).toEqual([]);
  });

  it('names a missing ServiceAccount, read from a StatefulSet that records FailedCreate on itself', () => {
    const sts: KubeObject = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: NS, uid: 'uid-sts' }, spec: { replicas: 1 }, status: { readyReplicas: 0 } };
    const message = 'create Pod db-0 in StatefulSet db failed error: pods "db-0" is forbidden: error looking up service account apps/db: serviceaccount "db" not found';
    const [finding] = diagnoseView(view({ workloads: [sts], events: [event(sts, 'FailedCreate', message)] }));
    expect(finding).toMatchObject({ object: 'StatefulSet apps/db', problem: 'it cannot create its pods (FailedCreate)', fix: ['create ServiceAccount apps/db (apply it before the workload)'] });
  });
});

describe('rung 2: pods Pending', () => {
  it('names the PV and the label it lacks that the PVC selects (the incident)', () => {
    const claim = pvc('appdata-pvc', { environment: 'prod' });
    const stuck = pod('app-0', { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'appdata-pvc' } }] });
    const findings = diagnoseView(view({
      pods: [stuck],
      pvcs: [claim],
      pvs: [pv('appdata-pv', {}), pv('small-pv', { environment: 'prod' }, { capacity: { storage: '1Gi' }, storageClassName: 'other' })],
      events: [event(stuck, 'FailedScheduling', `0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.${NOT_HELPFUL}`)],
    }));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.object).toBe('Pod apps/app-0');
    expect(findings[0]!.problem).toBe('Pending: PVC apps/appdata-pvc is not bound: PV appdata-pv lacks label environment=prod that PVC apps/appdata-pvc selects');
    expect(findings[0]!.evidence[0]).toMatch(/^Pod apps\/app-0 event FailedScheduling: 0\/1 nodes are available: pod has unbound immediate/);
    expect(findings[0]!.evidence[2]).toBe('PV small-pv (other, 1Gi, RWO) has storageClassName other, not local-storage; has 1Gi, less than the 10Gi requested');
    expect(findings[0]!.fix).toEqual([
      'kubectl label pv appdata-pv environment=prod',
      'safe: labels change no data; the data on the volume stays',
      'and in the storage file, give PV appdata-pv environment=prod, so a rebuild makes it with it',
    ]);
  });

  it('reports a Pending PVC with a selector even when no pod uses it yet, and leaves selector-less (provisioned) claims alone', () => {
    const findings = diagnoseView(view({ pvcs: [pvc('appdata-pvc', { environment: 'prod' }), pvc('scratch')], pvs: [pv('appdata-pv', { environment: 'dev' })] }));
    expect(findings.map((f) => [f.object, f.problem])).toEqual([
      ['PersistentVolumeClaim apps/appdata-pvc', 'PVC apps/appdata-pvc is not bound: PV appdata-pv has label environment=dev, not environment=prod that PVC apps/appdata-pvc selects'],
    ]);
    expect(findings[0]!.fix[0]).toBe('kubectl label pv appdata-pv environment=prod --overwrite');
  });

  it('says how to free a PV still claimed by a deleted PVC of the same name', () => {
    const claim = pvc('appdata-pvc', { environment: 'prod' });
    const released = pv('appdata-pv', { environment: 'prod' }, { claimRef: { namespace: NS, name: 'appdata-pvc', uid: 'uid-of-the-old-pvc' } });
    const [finding] = diagnoseView(view({ pvcs: [claim], pvs: [released] }));
    expect(finding?.problem).toBe('PVC apps/appdata-pvc is not bound: PV appdata-pv is Available: its claimRef names PVC apps/appdata-pvc (uid uid-of-t), which was deleted (PVC apps/appdata-pvc now has uid uid-pvc-)');
    expect(finding?.fix[0]).toBe(`kubectl patch pv appdata-pv --type merge -p '{"spec":{"claimRef":null}}'`);
  });

  it("names a matching PV pinned to a node that does not exist (NODE_NAME left in)", () => {
    const claim = pvc('appdata-pvc');
    const pinned = pv('appdata-pv', {}, {
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['NODE_NAME'] }] }] } },
    });
    const stuck = pod('app-0', { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'appdata-pvc' } }] });
    const findings = diagnoseView(view({
      pods: [stuck], pvcs: [claim], pvs: [pinned],
      events: [event(stuck, 'FailedScheduling', `0/1 nodes are available: 1 node(s) didn't match PersistentVolume's node affinity.${NOT_HELPFUL}`)],
    }));
    expect(findings.map((f) => f.problem)).toEqual([
      'Pending: PVC apps/appdata-pvc is not bound: PV appdata-pv is pinned by node affinity to kubernetes.io/hostname=NODE_NAME, which no node matches (nodes: node-1)',
    ]);
    expect(findings[0]!.fix[0]).toBe(`kubectl get pv appdata-pv -o json | sed 's/"NODE_NAME"/"node-1"/g' | kubectl replace --force -f -`);
  });

  it('names the nodeSelector and what each node lacks; replicas stuck alike read as one finding', () => {
    const deploy = deployment('web', 0);
    const rs = replicaSet('web-5d8f', deploy, 2);
    const pods = ['web-5d8f-a', 'web-5d8f-b'].map((name) => pod(name, { nodeSelector: { disktype: 'ssd' } }, rs));
    const message = `0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.${NOT_HELPFUL}`;
    const findings = diagnoseView(view({
      workloads: [deploy], replicaSets: [rs], pods,
      nodes: [node('node-1'), node('node-2', { labels: { disktype: 'hdd' } })],
      events: pods.map((p) => event(p, 'FailedScheduling', message)),
    }));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      object: 'Pod apps/web-5d8f-a and 1 more (Deployment apps/web)',
      problem: 'Pending: no node matches its nodeSelector disktype=ssd',
    });
    expect(findings[0]!.evidence.slice(1)).toEqual(['node node-1 lacks label disktype=ssd', 'node node-2 has disktype=hdd, not disktype=ssd']);
    expect(findings[0]!.fix[0]).toBe('label the node that should run it: kubectl label node node-1 disktype=ssd');
  });

  it('names an untolerated taint and the node that carries it, from the PodScheduled condition when no event is left', () => {
    const stuck = pod('gpu-job', { tolerations: [{ key: 'other', operator: 'Exists' }] });
    stuck['status'] = {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: `0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}.${NOT_HELPFUL}` }],
    };
    const tainted = node('node-1', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    const [finding] = diagnoseView(view({ pods: [stuck], nodes: [tainted] }));
    expect(finding?.problem).toBe('Pending: 1 node(s) carry taint dedicated=gpu:NoSchedule, which the pod does not tolerate');
    expect(finding?.fix).toEqual([
      'tolerate it in the pod template: {key: dedicated, operator: Equal, value: "gpu", effect: NoSchedule}',
      'or remove the taint: kubectl taint node node-1 dedicated=gpu:NoSchedule-',
    ]);
  });

  it('names the resource, what the pod requests and what the node has', () => {
    const stuck = pod('big', { containers: [{ name: 'app', resources: { requests: { cpu: '64' } } }] });
    const [finding] = diagnoseView(view({ pods: [stuck], events: [event(stuck, 'FailedScheduling', `0/1 nodes are available: 1 Insufficient cpu.${NOT_HELPFUL}`)] }));
    expect(finding?.problem).toBe('Pending: 1 node(s) lack the cpu it requests (Insufficient cpu)');
    expect(finding?.evidence.slice(1)).toEqual(['the pod requests cpu: container "app" 64', 'node node-1 allocatable cpu 4']);
  });

  it('says nothing about a pod the scheduler has not judged yet, nor about a scheduled one', () => {
    const scheduled = pod('ok', { nodeName: 'node-1' });
    expect(diagnoseView(view({ pods: [pod('fresh', {}), scheduled], events: [event(scheduled, 'FailedScheduling', '0/1 nodes are available: 1 Insufficient cpu.')] }))).toEqual([]);
  });
});

describe('one object, and the human lines', () => {
  it("findingsFor a Deployment covers its own pods only, and an unexplained unhealthy workload is still reported", () => {
    const web = deployment('web', 0);
    const webRs = replicaSet('web-1', web, 1);
    const api = deployment('api', 0);
    const apiRs = replicaSet('api-1', api, 1);
    const webPod = pod('web-1-a', { nodeSelector: { disktype: 'ssd' } }, webRs);
    const apiPod = pod('api-1-a', {}, apiRs);
    apiPod['spec'] = { ...(apiPod['spec'] as object), nodeName: 'node-1' };
    apiPod['status'] = { phase: 'Pending', containerStatuses: [{ name: 'app', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "app:1"' } } }] };
    const whole = view({
      workloads: [web, api], replicaSets: [webRs, apiRs], pods: [webPod, apiPod],
      events: [event(webPod, 'FailedScheduling', `0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.${NOT_HELPFUL}`)],
    });
    expect(findingsFor(whole, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: NS } }).map((f) => f.object)).toEqual([
      'Pod apps/web-1-a (Deployment apps/web)',
    ]);
    const [apiFinding] = findingsFor(whole, api);
    expect(apiFinding).toMatchObject({
      object: 'Deployment apps/api',
      problem: 'not healthy (Available: 0/1); pods are created and placed, so the cause is past the ladder',
      evidence: ['Pod apps/api-1-a container "app" waiting: ImagePullBackOff (Back-off pulling image "app:1")'],
    });
    expect(diagnoseView(whole)).toHaveLength(2);
  });

  it('formats a finding as the problem line, then evidence, then fixes', () => {
    expect(formatFinding({ object: 'Pod apps/x', problem: 'Pending: p', evidence: ['e1'], fix: ['f1', 'f2'] })).toEqual([
      'Pod apps/x: Pending: p',
      '  evidence: e1',
      '  fix: f1',
      '  fix: f2',
    ]);
  });
});

describe('the nearest PV', () => {
  it('on a tie, is the one of the claim storage class rather than the one listed first', () => {
    const claim = pvc('appdata-pvc', { environment: 'prod' });
    const foreign = pv('a-other-class', { environment: 'prod' }, { storageClassName: 'nfs' });
    const unlabelled = pv('b-unlabelled', {});
    const [finding] = diagnoseView(view({ pvcs: [claim], pvs: [foreign, unlabelled] }));
    expect(finding?.problem).toBe('PVC apps/appdata-pvc is not bound: PV b-unlabelled lacks label environment=prod that PVC apps/appdata-pvc selects');
  });
});
