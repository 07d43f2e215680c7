// The message readers of the diagnosis ladder, on messages in the exact formats of kube-apiserver's
// pod-security-admission (v0.33) and kube-scheduler's FitError (v1.33).
import { describe, expect, it } from 'vitest';
import { parsePodSecurityRejection } from '../../src/diagnose/podsecurity-message.js';
import { parseFailedScheduling } from '../../src/diagnose/scheduling-message.js';

const RESTRICTED_ONE_CONTAINER =
  'Error creating: pods "cloudflared-6c8f9d7b5-7xk2p" is forbidden: violates PodSecurity "restricted:latest": ' +
  'allowPrivilegeEscalation != false (container "cloudflared" must set securityContext.allowPrivilegeEscalation=false), ' +
  'unrestricted capabilities (container "cloudflared" must set securityContext.capabilities.drop=["ALL"]), ' +
  'runAsNonRoot != true (pod or container "cloudflared" must set securityContext.runAsNonRoot=true), ' +
  'seccompProfile (pod or container "cloudflared" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

describe('PodSecurity rejection → securityContext checklist', () => {
  it('reads the four restricted violations of a container with no securityContext', () => {
    const parsed = parsePodSecurityRejection(RESTRICTED_ONE_CONTAINER);
    expect(parsed).toEqual({
      pod: 'cloudflared-6c8f9d7b5-7xk2p',
      policy: 'restricted:latest',
      violations: ['allowPrivilegeEscalation != false', 'unrestricted capabilities', 'runAsNonRoot != true', 'seccompProfile'],
      checklist: [
        'container "cloudflared": set securityContext.allowPrivilegeEscalation=false',
        'container "cloudflared": set securityContext.capabilities.drop=["ALL"]',
        `container "cloudflared": set securityContext.runAsNonRoot=true (or once for every container, in the pod's spec.securityContext)`,
        `container "cloudflared": set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost" (or once for every container, in the pod's spec.securityContext)`,
      ],
    });
  });

  it('gives each container of a plural detail its own lines, and turns "must not include" into a removal', () => {
    const message =
      'pods "web" is forbidden: violates PodSecurity "restricted:v1.33": ' +
      'allowPrivilegeEscalation != false (containers "app", "sidecar" must set securityContext.allowPrivilegeEscalation=false), ' +
      'unrestricted capabilities (containers "app", "sidecar" must set securityContext.capabilities.drop=["ALL"]; container "app" must not include "NET_ADMIN", "SYS_TIME" in securityContext.capabilities.add)';
    const parsed = parsePodSecurityRejection(message)!;
    expect(parsed.policy).toBe('restricted:v1.33');
    expect(parsed.checklist).toEqual([
      'container "app": set securityContext.allowPrivilegeEscalation=false',
      'container "app": set securityContext.capabilities.drop=["ALL"]',
      'container "app": remove "NET_ADMIN", "SYS_TIME" from securityContext.capabilities.add',
      'container "sidecar": set securityContext.allowPrivilegeEscalation=false',
      'container "sidecar": set securityContext.capabilities.drop=["ALL"]',
    ]);
  });

  it('reads baseline violations without a container subject as pod-level removals, keeping commas inside details', () => {
    const message =
      'pods "probe" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true, hostPID=true), ' +
      'hostPath volumes (volume "data"), privileged (container "app" must not set securityContext.privileged=true), ' +
      'runAsNonRoot != true (pod and container "app" must not set securityContext.runAsNonRoot=false)';
    const parsed = parsePodSecurityRejection(message)!;
    expect(parsed.violations).toEqual(['host namespaces', 'hostPath volumes', 'privileged', 'runAsNonRoot != true']);
    expect(parsed.checklist).toEqual([
      'pod: remove host namespaces: hostNetwork=true, hostPID=true (not allowed at baseline:latest)',
      'pod: remove hostPath volumes: volume "data" (not allowed at baseline:latest)',
      'pod: do not set securityContext.runAsNonRoot=false',
      'container "app": do not set securityContext.privileged=true',
      'container "app": do not set securityContext.runAsNonRoot=false',
    ]);
  });

  it('is not fooled by other admission errors', () => {
    expect(parsePodSecurityRejection('Error creating: pods "x" is forbidden: error looking up service account apps/x: serviceaccount "x" not found')).toBeUndefined();
    expect(parsePodSecurityRejection('exceeded quota: compute, requested: cpu=2')).toBeUndefined();
  });
});

describe("kube-scheduler's FailedScheduling message", () => {
  it('reads a Filter reason with its node count, and ignores what preemption says', () => {
    const parsed = parseFailedScheduling(
      "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
    );
    expect(parsed).toEqual({ totalNodes: 1, blocks: [{ nodes: 1, reason: "node(s) didn't match Pod's node affinity/selector", kind: 'node-selector' }] });
  });

  it('reads the VolumeBinding PreFilter rejection, which has no count and covers every node', () => {
    const parsed = parseFailedScheduling(
      '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
    expect(parsed?.blocks).toEqual([{ nodes: 2, reason: 'pod has unbound immediate PersistentVolumeClaims', kind: 'volume' }]);
  });

  it('reads a sorted histogram of resources, volume binding and a named taint', () => {
    const parsed = parseFailedScheduling(
      "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) didn't find available persistent volumes to bind, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.",
    );
    expect(parsed?.blocks).toEqual([
      { nodes: 1, reason: 'Insufficient cpu', kind: 'resources', subject: 'cpu' },
      { nodes: 1, reason: "node(s) didn't find available persistent volumes to bind", kind: 'volume' },
      {
        nodes: 1,
        reason: 'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }',
        kind: 'taint',
        subject: 'node-role.kubernetes.io/control-plane',
        taint: { key: 'node-role.kubernetes.io/control-plane', value: '' },
      },
    ]);
  });

  it('reads a taint with a value, Too many pods, and cordoned nodes', () => {
    const parsed = parseFailedScheduling('0/3 nodes are available: 1 Too many pods, 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) were unschedulable.');
    expect(parsed?.blocks.map((b) => [b.kind, b.subject])).toEqual([
      ['resources', 'pods'],
      ['taint', 'dedicated=gpu'],
      ['unschedulable-node', undefined],
    ]);
  });

  it('does not read other messages as scheduling failures', () => {
    expect(parseFailedScheduling('Successfully assigned apps/web to node-1')).toBeUndefined();
    expect(parseFailedScheduling('no nodes available to schedule pods')?.totalNodes).toBe(0);
  });
});
