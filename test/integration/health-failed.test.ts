// Issue 13's false green, on the real control plane and the real sealed-secrets controller: an app
// holding a SealedSecret sealed for a key the controller does not have, and a workload whose pod turns
// CrashLoopBackOff, each end the apps wait at once, red, naming the object and the cause. The apps
// wait is 10 minutes and the run is killed after 4: a run that waits it out fails these tests.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { kwokClusterPaths } from '../../src/cluster/kwok-args.js';
import { KubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/types.js';
import { sealSecret } from '../../src/secrets/seal.js';
import { makeSealingKey } from '../fixtures/secrets/sealing-keys.js';

const CLI = resolve('bin/homelab-dr.js');
const work = mkdtempSync(join(tmpdir(), 'hdr-it-health-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The bundled example plus one app `extra` whose manifests are `objects`. */
function exampleWith(name: string, objects: object[]): string {
  const dir = join(work, name);
  cpSync(resolve('config/example'), dir, { recursive: true });
  mkdirSync(join(dir, 'kubernetes/extra'));
  writeFileSync(join(dir, 'kubernetes/extra/objects.yaml'), objects.map((o) => stringify(o)).join('---\n'));
  const homelab = readFileSync(join(dir, 'homelab.yaml'), 'utf8').replace('  wait: { timeout: 10m }', '    - name: extra\n      manifests: ./kubernetes/extra\n  wait: { timeout: 10m }');
  expect(homelab).toContain('name: extra');
  writeFileSync(join(dir, 'homelab.yaml'), homelab);
  return dir;
}

interface Run {
  status: number | null;
  out: string;
}

function drTest(dir: string, cluster: string): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, 'dr-test', '-c', join(dir, 'homelab.yaml'), '--name', cluster, '--yes', '--state-dir', join(dir, '.state')], {
      env: { ...process.env, NO_COLOR: '1', SSH_CONNECTION: '', KUBECONFIG: join(dir, 'no-kubeconfig') },
      timeout: 240_000,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (status) => done({ status, out }));
  });
}

describe('the apps wait ends at the first Failed', () => {
  it('a SealedSecret sealed for a key the controller does not have: exit 1, naming it and "no key could decrypt"', async () => {
    const lostKey = makeSealingKey();
    const sealed = sealSecret({ name: 'legacy-token', namespace: 'apps', data: { token: Buffer.from('sealed-for-a-lost-key') } }, lostKey.certPem);
    const dir = exampleWith('sealed', [sealed]);
    const run = await drTest(dir, `hdr-health-ss-${process.pid}`);
    expect(run.status, run.out).toBe(1);
    expect(run.out).toMatch(/SealedSecret apps\/legacy-token is Failed: Synced=False: no key could decrypt secret/);
    expect(run.out).not.toContain('sealed-for-a-lost-key');
  }, 300_000);

  it('a pod of an app turned CrashLoopBackOff on the apiserver: exit 1, naming the Deployment, the pod and the reason', async () => {
    const cluster = `hdr-health-crash-${process.pid}`;
    const crashy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'crashy', namespace: 'apps' },
      // kwok reports the pod Ready at once; a long minReadySeconds keeps the Deployment InProgress
      // (Available: 0/1), so only the pod's failure can end the wait before its 10 minutes.
      spec: { replicas: 1, minReadySeconds: 3600, selector: { matchLabels: { app: 'crashy' } }, template: { metadata: { labels: { app: 'crashy' } }, spec: { containers: [{ name: 'app', image: 'registry.local/crashy:1' }] } } },
    };
    const dir = exampleWith('crash', [crashy]);
    const running = drTest(dir, cluster);
    const kubeconfig = kwokClusterPaths(join(dir, '.state', 'kwok'), cluster).kubeconfig;
    let exited = false;
    void running.then(() => (exited = true));
    // The run creates the cluster: its kubeconfig, once written, stays.
    while (!existsSync(kubeconfig) && !exited) await sleep(500);
    expect(exited, 'the run ended before it created its cluster').toBe(false);
    const kube = await KubeClient.fromKubeconfig(kubeconfig);
    try {
      const pod = await kube.waitFor({ apiVersion: 'v1', kind: 'Pod', namespace: 'apps', labelSelector: 'app=crashy' }, (p) => (p.status as { phase?: string } | undefined)?.phase === 'Running', {
        timeoutMs: 200_000,
        what: 'the crashy pod to run',
      });
      await markCrashLooping(kube, pod);
    } finally {
      kube.close();
    }
    const run = await running;
    expect(run.status, run.out).toBe(1);
    expect(run.out).toMatch(/Deployment apps\/crashy is Failed: Available: 0\/1; pod apps\/crashy-[a-z0-9-]+: container app: CrashLoopBackOff: back-off 5m0s restarting failed container/);
  }, 300_000);
});

/** What a kubelet writes for a container that keeps exiting; written on the status subresource. */
async function markCrashLooping(kube: KubeClient, pod: KubeObject): Promise<void> {
  const path = `/api/v1/namespaces/apps/pods/${pod.metadata.name}/status`;
  for (let current = pod; ; current = (await kube.get({ apiVersion: 'v1', kind: 'Pod', namespace: 'apps', name: pod.metadata.name }))!) {
    const status = current.status as Record<string, unknown>;
    const crashing = {
      ...current,
      status: {
        ...status,
        conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }],
        containerStatuses: [{ name: 'app', image: 'registry.local/crashy:1', imageID: '', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=app' } } }],
      },
    };
    try {
      await kube.raw('PUT', path, crashing);
      return;
    } catch (err) {
      // kwok may write the status in between: read it again and retry on a conflict only.
      if (!(err instanceof KubeApiError && err.status === 409)) throw err;
    }
  }
}
