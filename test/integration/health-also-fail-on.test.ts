// waitForHealth's alsoFailOn, on the real control plane: reseal-secrets waits for its SealedSecrets, not
// for the controller's readiness (sealed-secrets-available does that beside it), yet a controller whose
// pod crash-loops must end that wait at once, named as the cause, not after apps.wait (10 minutes).
// Here a Deployment that never settles (its pod selects a node label no node has) stands for the
// SealedSecrets, and a second Deployment, whose pod is turned CrashLoopBackOff on the apiserver as a
// kubelet would report it, for the controller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCrashLoopStatus } from '../../bench/crashloop.js';
import { waitForHealth } from '../../src/health/wait.js';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { integrationCluster } from './context.js';

const ns = `hdr-also-fail-${process.pid}`;
const deployment = (name: string, nodeSelector?: Record<string, string>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { ...(nodeSelector ? { nodeSelector } : {}), containers: [{ name: 'app', image: 'registry.local/app:1' }] } },
  },
});
const waited = deployment('never-scheduled', { 'homelab-dr.test/no-such-node': 'true' });
const healthy = deployment('healthy');
const crashing = deployment('crashing');
let kube: KubeClient;

async function runningPod(app: string): Promise<KubeObject> {
  return kube.waitFor({ apiVersion: 'v1', kind: 'Pod', namespace: ns, labelSelector: `app=${app}` }, (p) => (p.status as { phase?: string } | undefined)?.phase === 'Running', {
    timeoutMs: 120_000,
    what: `the pod of ${app} to run`,
  });
}

describe('waitForHealth alsoFailOn', () => {
  beforeAll(async () => {
    kube = await KubeClient.fromKubeconfig(integrationCluster().kubeconfig);
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const d of [waited, healthy, crashing]) await kube.apply(d);
    await runningPod('healthy');
    await runningPod('crashing');
  }, 180_000);

  afterAll(async () => {
    await kube.raw('DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined);
    kube.close();
  });

  it('an object that never settles, beside a guard that is Current: the wait runs out its time (the guard is not waited for, nor ends it)', async () => {
    const result = await waitForHealth(kube, [waited], { timeoutMs: 3000, alsoFailOn: [healthy] });
    expect(result.failed).toBeUndefined();
    expect(result.timedOut.join('\n')).toContain(`Deployment ${ns}/never-scheduled`);
  }, 60_000);

  it('a guard whose pod turns CrashLoopBackOff ends the wait as Failed, naming the guard and the reason; nothing times out', async () => {
    const wait = waitForHealth(kube, [waited], { timeoutMs: 120_000, alsoFailOn: [crashing] });
    await writeCrashLoopStatus(kube, await runningPod('crashing'));
    const result = await wait;
    expect(result.timedOut).toEqual([]);
    expect(result.failed?.object).toBe(`Deployment ${ns}/crashing`);
    expect(result.failed?.message).toMatch(/CrashLoopBackOff/);
  }, 180_000);
});
