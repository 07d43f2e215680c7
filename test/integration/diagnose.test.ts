// The diagnosis ladder against the real kube-apiserver, controller-manager and scheduler of the
// shared kwok cluster: the incident's PodSecurity time bomb, the unlabelled PV, an unmatched nodeSelector.
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseCli } from '../../src/cli/args.js';
import { diagnoseCommand } from '../../src/cli/commands/diagnose.js';
import { diagnoseNamespace, explainUnhealthy } from '../../src/diagnose/diagnose.js';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { integrationCluster } from './context.js';

const suffix = randomBytes(3).toString('hex');
const namespaces = { restricted: `diag-psa-${suffix}`, storage: `diag-pv-${suffix}`, selector: `diag-sel-${suffix}`, empty: `diag-ok-${suffix}` };
const pvName = `diag-appdata-pv-${suffix}`;
const storageClass = `diag-local-${suffix}`;
let kube: KubeClient;

function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

async function createNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
  await kube.apply(namespace(name, labels));
  // ServiceAccount admission refuses pods until the namespace's default account exists.
  await kube.waitFor({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: name, name: 'default' }, () => true, { timeoutMs: 30_000, what: `ServiceAccount ${name}/default` });
}

async function waitForEvent(ns: string, reason: string, text: string): Promise<void> {
  await kube.waitFor(
    { apiVersion: 'v1', kind: 'Event', namespace: ns, fieldSelector: `reason=${reason}` },
    (event) => String(event['message'] ?? '').includes(text),
    { timeoutMs: 60_000, what: `a ${reason} event in ${ns} mentioning "${text}"` },
  );
}

const container = { name: 'app', image: 'registry.local/app:1' };

beforeAll(async () => {
  kube = await KubeClient.fromKubeconfig(integrationCluster().kubeconfig);
});

afterAll(async () => {
  for (const name of Object.values(namespaces)) await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name });
  await kube.delete({ apiVersion: 'v1', kind: 'PersistentVolume', name: pvName });
  kube.close();
});

describe('diagnose (real control plane)', () => {
  it("finds the FailedCreate on a restricted namespace's ReplicaSet and lists the four securityContext fields", async () => {
    const ns = namespaces.restricted;
    await createNamespace(ns, { 'pod-security.kubernetes.io/enforce': 'restricted' });
    const deployment: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'cloudflared', namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'cloudflared' } },
        template: { metadata: { labels: { app: 'cloudflared' } }, spec: { containers: [{ name: 'cloudflared', image: 'cloudflare/cloudflared:2024.1.0' }] } },
      },
    };
    await kube.apply(deployment);
    await waitForEvent(ns, 'FailedCreate', 'violates PodSecurity');

    const findings = await diagnoseNamespace(kube, ns);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.object).toBe(`Deployment ${ns}/cloudflared`);
    expect(findings[0]!.problem).toMatch(new RegExp(`^its ReplicaSet ${ns}/cloudflared-[a-z0-9]+ cannot create pods: PodSecurity "restricted:latest" rejects them \\(4 violations`));
    expect(findings[0]!.evidence[0]).toMatch(/event FailedCreate( \(x\d+\))?: Error creating: pods "cloudflared-[a-z0-9-]+" is forbidden: violates PodSecurity/);
    expect(findings[0]!.fix).toEqual([
      'container "cloudflared": set securityContext.allowPrivilegeEscalation=false',
      'container "cloudflared": set securityContext.capabilities.drop=["ALL"]',
      `container "cloudflared": set securityContext.runAsNonRoot=true (or once for every container, in the pod's spec.securityContext)`,
      `container "cloudflared": set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost" (or once for every container, in the pod's spec.securityContext)`,
    ]);

    // The lines the apps step appends when its wait for this Deployment times out.
    const lines = await explainUnhealthy(kube, deployment);
    expect(lines[0]).toBe(`Deployment ${ns}/cloudflared: ${findings[0]!.problem}`);
    expect(lines.filter((line) => line.startsWith('  fix: '))).toHaveLength(4);
  });

  it('names the PV and the label it lacks when a pod waits on a PVC that selects environment=prod', async () => {
    const ns = namespaces.storage;
    await createNamespace(ns);
    const pv: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: pvName },
      spec: { storageClassName: storageClass, capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/tmp/${pvName}` } },
    };
    await kube.apply(pv);
    await kube.apply({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'appdata-pvc', namespace: ns },
      spec: { storageClassName: storageClass, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, selector: { matchLabels: { environment: 'prod' } } },
    });
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'app', namespace: ns },
      spec: { containers: [container], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'appdata-pvc' } }] },
    });
    await waitForEvent(ns, 'FailedScheduling', 'PersistentVolumeClaims');

    const findings = await diagnoseNamespace(kube, ns);
    expect(findings.map((f) => [f.object, f.problem])).toEqual([
      [`Pod ${ns}/app`, `Pending: PVC ${ns}/appdata-pvc is not bound: PV ${pvName} lacks label environment=prod that PVC ${ns}/appdata-pvc selects`],
    ]);
    expect(findings[0]!.evidence[0]).toBe(
      `Pod ${ns}/app event FailedScheduling: 0/${findings[0]!.evidence[0]!.match(/0\/(\d+)/)![1]} nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: ${findings[0]!.evidence[0]!.split('preemption: ')[1]}`,
    );
    expect(findings[0]!.fix).toEqual([
      `kubectl label pv ${pvName} environment=prod`,
      'safe: labels change no data; the data on the volume stays',
      `and in the storage file, give PV ${pvName} environment=prod, so a rebuild makes it with it`,
    ]);

    // Applying the fix clears the finding: the binder binds, the scheduler places the pod.
    await kube.apply({ ...pv, metadata: { name: pvName, labels: { environment: 'prod' } } });
    await kube.waitFor({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: 'app' }, (pod) => Boolean((pod['spec'] as { nodeName?: string }).nodeName), {
      timeoutMs: 90_000,
      what: `Pod ${ns}/app scheduled`,
    });
    expect(await diagnoseNamespace(kube, ns)).toEqual([]);
  });

  it('names the nodeSelector that matches no node, and the diagnose command exits 1 for it and 0 for a clean namespace', async () => {
    const ns = namespaces.selector;
    const { nodeName, root, cluster } = integrationCluster();
    await createNamespace(ns);
    await kube.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'picky', namespace: ns }, spec: { containers: [container], nodeSelector: { disktype: `ssd-${suffix}` } } });
    await waitForEvent(ns, 'FailedScheduling', "didn't match Pod's node affinity/selector");

    const findings = await diagnoseNamespace(kube, ns);
    expect(findings.map((f) => [f.object, f.problem])).toEqual([[`Pod ${ns}/picky`, `Pending: no node matches its nodeSelector disktype=ssd-${suffix}`]]);
    expect(findings[0]!.evidence).toContain(`node ${nodeName} lacks label disktype=ssd-${suffix}`);

    await createNamespace(namespaces.empty);
    const flags = ['--config', resolve('config/example/homelab.yaml'), '--provider', 'kwok', '--state-dir', dirname(root), '--name', cluster];
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    try {
      expect(await diagnoseCommand(parseCli(['diagnose', ns, ...flags, '-o', 'json']))).toBe(1);
      const report = JSON.parse(written.join('')) as { kind: string; ok: boolean; findings: Array<{ problem: string }>; problems: unknown[] };
      expect(report.kind).toBe('Diagnosis');
      expect(report.ok).toBe(false);
      expect(report.problems).toEqual([expect.objectContaining({ step: 'diagnose', object: `Pod ${ns}/picky`, message: `Pending: no node matches its nodeSelector disktype=ssd-${suffix}` })]);
      expect(report.findings.map((f) => f.problem)).toEqual([`Pending: no node matches its nodeSelector disktype=ssd-${suffix}`]);
      written.length = 0;
      expect(await diagnoseCommand(parseCli(['diagnose', namespaces.empty, ...flags]))).toBe(0);
      expect(written.join('')).toBe(`no problems found in namespace ${namespaces.empty} on cluster ${cluster} (examined 0 workload(s), 0 pod(s), 0 PVC(s))\n`);
    } finally {
      write.mockRestore();
    }
  });
});
