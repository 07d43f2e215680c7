// Time for a crash-looping app to turn a run red (issue 13): `dr-test` on the bundled example plus an
// app whose Deployment stays InProgress (minReadySeconds) while its pod is made to report
// CrashLoopBackOff on the real apiserver, as a kubelet would; kwok's pods never really crash. Measured
// from that status write to the process's exit. Before issue 13 the wait ran out apps.wait instead.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../src/util/helpers.js';
import { stringify } from 'yaml';
import { kwokClusterPaths } from '../src/cluster/kwok-args.js';
import { KwokProvider } from '../src/cluster/kwok.js';
import { KubeClient } from '../src/kube/client.js';
import { KubeApiError } from '../src/kube/errors.js';
import type { KubeObject } from '../src/kube/types.js';

/** A Deployment kwok reports Ready at once but that stays "Available: 0/1" for an hour (minReadySeconds; the progress deadline must exceed it). */
export const CRASHY_DEPLOYMENT = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'crashy', namespace: 'apps' },
  spec: {
    replicas: 1,
    minReadySeconds: 3600,
    progressDeadlineSeconds: 7200,
    selector: { matchLabels: { app: 'crashy' } },
    template: { metadata: { labels: { app: 'crashy' } }, spec: { containers: [{ name: 'app', image: 'registry.local/crashy:1' }] } },
  },
};

/** The bundled example plus one app `extra` made of `objects`, in a new directory under `parent`. */
export function exampleWithExtraApp(root: string, parent: string, name: string, objects: readonly object[]): string {
  const dir = join(parent, name);
  cpSync(join(root, 'config/example'), dir, { recursive: true });
  mkdirSync(join(dir, 'kubernetes/extra'));
  writeFileSync(join(dir, 'kubernetes/extra/objects.yaml'), objects.map((o) => stringify(o)).join('---\n'));
  const homelab = readFileSync(join(dir, 'homelab.yaml'), 'utf8');
  const withExtra = homelab.replace('  wait: { timeout: 10m }', '    - name: extra\n      manifests: ./kubernetes/extra\n  wait: { timeout: 10m }');
  if (withExtra === homelab) throw new Error('config/example/homelab.yaml no longer ends its apps with `wait: { timeout: 10m }`');
  writeFileSync(join(dir, 'homelab.yaml'), withExtra);
  return dir;
}

export interface DrTestRun {
  status: number | null;
  out: string;
  /** performance.now() at exit. */
  endedAt: number;
}

export function startDrTest(cli: string, dir: string, cluster: string, timeoutMs = 240_000): Promise<DrTestRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cli, 'dr-test', '-c', join(dir, 'homelab.yaml'), '--name', cluster, '--yes', '--state-dir', join(dir, '.state')], {
      env: { ...process.env, NO_COLOR: '1', SSH_CONNECTION: '', KUBECONFIG: join(dir, 'no-kubeconfig') },
      timeout: timeoutMs,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (status) => done({ status, out, endedAt: performance.now() }));
  });
}

/**
 * Waits (while `run` is going) for the crashy pod to run, then writes a CrashLoopBackOff status on it.
 * Resolves with performance.now() right after the write.
 */
export async function crashThePod(dir: string, cluster: string, run: Promise<DrTestRun>): Promise<number> {
  let exited = false;
  void run.then(() => (exited = true));
  const kubeconfig = kwokClusterPaths(join(dir, '.state', 'kwok'), cluster).kubeconfig;
  // The run creates the cluster: its kubeconfig, once written, stays.
  while (!existsSync(kubeconfig) && !exited) await sleep(500);
  if (exited) throw new Error(`dr-test ended before it created cluster ${cluster}:\n${(await run).out}`);
  const kube = await KubeClient.fromKubeconfig(kubeconfig);
  try {
    // kwokctl writes the kubeconfig before its apiserver serves.
    while (!(await kube.raw('GET', '/readyz').then((r) => r === 'ok', () => false)) && !exited) await sleep(500);
    const pod = await kube.waitFor({ apiVersion: 'v1', kind: 'Pod', namespace: 'apps', labelSelector: 'app=crashy' }, (p) => (p.status as { phase?: string } | undefined)?.phase === 'Running', {
      timeoutMs: 200_000,
      what: 'the crashy pod to run',
    });
    await writeCrashLoopStatus(kube, pod);
    return performance.now();
  } finally {
    kube.close();
  }
}

/** What a kubelet writes for a container that keeps exiting, on the status subresource. */
export async function writeCrashLoopStatus(kube: KubeClient, pod: KubeObject): Promise<void> {
  const namespace = pod.metadata.namespace ?? 'default';
  const path = `/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}/status`;
  for (let live = pod; ; live = (await kube.get({ apiVersion: 'v1', kind: 'Pod', namespace, name: pod.metadata.name }))!) {
    const crashing = {
      ...live,
      status: {
        ...(live.status as Record<string, unknown>),
        conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }],
        containerStatuses: [
          { name: 'app', image: 'registry.local/crashy:1', imageID: '', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=app' } } },
        ],
      },
    };
    try {
      await kube.raw('PUT', path, crashing);
      return;
    } catch (err) {
      // kwok may write the status in between: read it again, and retry on a conflict only.
      if (!(err instanceof KubeApiError && err.status === 409)) throw err;
    }
  }
}

export interface CrashLoopRun {
  exitCode: number | null;
  /** From the CrashLoopBackOff status write to the process's exit (red). */
  secondsToRed: number;
  namedTheCause: boolean;
}

export async function benchCrashLoop(root: string, cli: string, runs: number): Promise<CrashLoopRun[]> {
  const parent = mkdtempSync(join(tmpdir(), 'hdr-bench-crashloop-'));
  const results: CrashLoopRun[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const dir = exampleWithExtraApp(root, parent, `run-${i}`, [CRASHY_DEPLOYMENT]);
      const cluster = `hdr-bench-crash-${process.pid}-${i}`;
      const run = startDrTest(cli, dir, cluster, 900_000);
      try {
        const crashedAt = await crashThePod(dir, cluster, run);
        const done = await run;
        results.push({ exitCode: done.status, secondsToRed: (done.endedAt - crashedAt) / 1000, namedTheCause: /Deployment apps\/crashy is Failed: .*CrashLoopBackOff/.test(done.out) });
      } finally {
        await run;
        await new KwokProvider({ root: join(dir, '.state', 'kwok') }).delete(cluster).catch(() => undefined);
      }
    }
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
  return results;
}
