// The rows that need a live control plane: apply throughput (homelab-dr's server-side apply through
// KubeClient + applyCounted, against a per-file `kubectl apply` loop and one bulk `kubectl apply
// --server-side`) and readiness latency (apply a Deployment, wait with the project's watch + health
// rule until kwok's pod is Ready). One kwok cluster of the pinned components, in a temporary root that
// is always deleted: on success, on error, and on SIGINT/SIGTERM or any other exit.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { controlPlaneBinaries } from '../src/cluster/control-plane-binaries.js';
import { KwokProvider } from '../src/cluster/kwok.js';
import { Ledger } from '../src/engine/ledger.js';
import { healthOf } from '../src/health/rules.js';
import { KubeClient } from '../src/kube/client.js';
import type { KubeObject } from '../src/kube/types.js';
import type { KubeObject as ManifestObject } from '../src/k8s/types.js';
import { applyCounted } from '../steps/apply-objects.js';
import { timed } from './stats.js';

export interface KwokSession {
  kubeconfig: string;
  kubectl: string;
  workdir: string;
  createSeconds: number;
}

const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

/** Runs `fn` against a fresh kwok cluster, and deletes the cluster and its directory whatever happens. */
export async function withKwokCluster<T>(fn: (s: KwokSession) => Promise<T>): Promise<T> {
  const { kubectl } = controlPlaneBinaries(['kubectl']);
  const root = mkdtempSync(join(tmpdir(), 'hdr-bench-kwok-'));
  const provider = new KwokProvider({ root: join(root, 'kwok') });
  const cluster = `hdr-bench-${process.pid}`;
  let done = false;
  // A Ctrl-C exits without awaiting anything: tear down synchronously on the way out.
  const teardownNow = (): void => {
    if (done) return;
    done = true;
    try {
      provider.deleteNow(cluster);
    } catch (err) {
      process.stderr.write(`[bench] deleting kwok cluster ${cluster} failed: ${String(err)}\n`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  const onSignal = (signal: NodeJS.Signals): void => process.exit(signal === 'SIGINT' ? 130 : 143);
  process.once('exit', teardownNow);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    log(`creating kwok cluster ${cluster} under ${root}`);
    const created = await timed(() => provider.create(cluster, { nodeName: `${cluster}-node` }));
    log(`kwok cluster ready in ${created.seconds.toFixed(1)} s`);
    const workdir = join(root, 'work');
    mkdirSync(workdir);
    return await fn({ kubeconfig: await provider.kubeconfig(cluster), kubectl, workdir, createSeconds: created.seconds });
  } finally {
    if (!done) {
      done = true;
      try {
        await provider.delete(cluster);
        log(`kwok cluster ${cluster} deleted`);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }
    process.off('exit', teardownNow);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * `n` typical app objects for one namespace: ConfigMaps, Services, ServiceAccounts and Deployments.
 * Deployments have replicas: 0, so the row measures the apply path and not the scheduler, and five
 * rounds of three methods stay far below the fake node's 110-pod capacity. Services are headless:
 * kwokctl's service range has 254 addresses, fewer than 15 runs' Services would take.
 */
export function appObjects(namespace: string, n: number): ManifestObject[] {
  const objs: ManifestObject[] = [];
  for (let i = 0; i < n; i++) {
    const name = `obj-${String(i).padStart(4, '0')}`;
    const meta = { name, namespace, labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'bench' } };
    switch (i % 4) {
      case 0:
        objs.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: { 'config.yaml': `key: value-${i}\nlevel: info\n` } } as ManifestObject);
        break;
      case 1:
        objs.push({ apiVersion: 'v1', kind: 'Service', metadata: meta, spec: { clusterIP: 'None', selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } } as ManifestObject);
        break;
      case 2:
        objs.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta } as ManifestObject);
        break;
      default:
        objs.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta, spec: deploymentSpec(name, 0) } as ManifestObject);
    }
  }
  return objs;
}

function deploymentSpec(name: string, replicas: number): Record<string, unknown> {
  return {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'main',
            image: `registry.local/bench/${name}:1.0`,
            ports: [{ containerPort: 8080 }],
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          },
        ],
      },
    },
  };
}

function namespaceObject(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export type ApplyMethod = 'kubectl-loop' | 'kubectl-bulk-ssa' | 'homelab-dr';
export const APPLY_METHODS: readonly ApplyMethod[] = ['kubectl-loop', 'kubectl-bulk-ssa', 'homelab-dr'];

function kubectlRun(s: KwokSession, args: string[]): void {
  const r = spawnSync(s.kubectl, ['--kubeconfig', s.kubeconfig, '--cache-dir', join(s.workdir, 'kubectl-cache'), ...args], {
    encoding: 'utf8',
    // Its own HOME: kubectl writes nothing into the user's ~/.kube.
    env: { PATH: process.env.PATH, HOME: s.workdir },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-1000)}`);
}

/**
 * `rounds` rounds; in each, every method applies the same `n` objects into a fresh namespace of its
 * own, in a rotating order so that drift in the machine's load hits every method alike. Only the
 * apply is timed: namespaces and files are made before the clock starts, and every object is
 * checked to exist afterwards.
 */
export async function benchApply(s: KwokSession, n: number, rounds: number): Promise<Record<ApplyMethod, number[]>> {
  const admin = await KubeClient.fromKubeconfig(s.kubeconfig);
  const out: Record<ApplyMethod, number[]> = { 'kubectl-loop': [], 'kubectl-bulk-ssa': [], 'homelab-dr': [] };
  try {
    // Warm kubectl's discovery cache once, as any loop over files would have it warm after the first file.
    kubectlRun(s, ['api-resources', '-o', 'name']);
    for (let round = 0; round < rounds; round++) {
      const order = APPLY_METHODS.map((_, i) => APPLY_METHODS[(i + round) % APPLY_METHODS.length]!);
      for (const method of order) {
        const ns = `bench-${method}-${round}`;
        await admin.apply(namespaceObject(ns), { force: true });
        const objects = appObjects(ns, n);
        const dir = join(s.workdir, ns);
        mkdirSync(dir);
        let seconds: number;
        if (method === 'kubectl-loop') {
          const files = objects.map((o, i) => {
            const file = join(dir, `${String(i).padStart(4, '0')}-${o.kind.toLowerCase()}.yaml`);
            writeFileSync(file, stringify(o));
            return file;
          });
          ({ seconds } = await timed(() => {
            for (const file of files) kubectlRun(s, ['apply', '-f', file]);
          }));
        } else if (method === 'kubectl-bulk-ssa') {
          const file = join(dir, 'all.yaml');
          writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
          ({ seconds } = await timed(() => kubectlRun(s, ['apply', '--server-side', '-f', file])));
        } else {
          // What the apps step does per object: one client (discovery included), applyCounted in order.
          ({ seconds } = await timed(async () => {
            const kube = await KubeClient.fromKubeconfig(s.kubeconfig);
            try {
              const ledger = new Ledger();
              const step = ledger.forStep('apps');
              for (const obj of objects) await applyCounted(kube, obj, step);
              const failed = ledger.failed();
              if (failed.length > 0) throw new Error(`homelab-dr apply: ${failed.length} failed, first: ${failed[0]!.error}`);
              const created = ledger.counts().created;
              if (created !== n) throw new Error(`homelab-dr apply: ledger counts ${created} created, expected ${n}`);
            } finally {
              kube.close();
            }
          }));
        }
        await expectApplied(admin, ns, n);
        out[method].push(seconds);
        log(`apply round ${round + 1}/${rounds} ${method}: ${n} objects in ${seconds.toFixed(2)} s`);
      }
    }
  } finally {
    admin.close();
  }
  return out;
}

async function expectApplied(kube: KubeClient, namespace: string, n: number): Promise<void> {
  const kinds: Array<[string, string, number]> = [
    ['v1', 'ConfigMap', Math.ceil(n / 4)],
    ['v1', 'Service', Math.ceil((n - 1) / 4)],
    ['v1', 'ServiceAccount', Math.ceil((n - 2) / 4)],
    ['apps/v1', 'Deployment', Math.ceil((n - 3) / 4)],
  ];
  for (const [apiVersion, kind, want] of kinds) {
    const items = await kube.list({ apiVersion, kind, namespace, labelSelector: 'app.kubernetes.io/part-of=bench' });
    if (items.length !== want) throw new Error(`namespace ${namespace}: ${items.length} ${kind}(s) exist after the apply, expected ${want}`);
  }
}

/**
 * Time from the start of applying a one-replica Deployment to the project's wait reporting it healthy
 * (KubeClient.waitFor with the health rule, as the apps step waits): the deployment and replica-set
 * controllers, the scheduler, and kwok marking the pod Ready, all in the loop.
 */
export async function benchReadiness(s: KwokSession, runs: number): Promise<number[]> {
  const kube = await KubeClient.fromKubeconfig(s.kubeconfig);
  const ns = 'bench-readiness';
  const out: number[] = [];
  try {
    await kube.apply(namespaceObject(ns), { force: true });
    // Pods are refused until the controller-manager made the namespace's default ServiceAccount.
    await kube.waitFor({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: ns, name: 'default' }, () => true, {
      timeoutMs: 60_000,
      what: `ServiceAccount ${ns}/default`,
    });
    for (let i = 0; i < runs; i++) {
      const name = `ready-${i}`;
      const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns }, spec: deploymentSpec(name, 1) } as ManifestObject;
      const { seconds } = await timed(async () => {
        const ledger = new Ledger();
        const applied = await applyCounted(kube, dep, ledger.forStep('apps'));
        if (applied.outcome === 'failed') throw new Error(`applying Deployment ${ns}/${name} failed: ${applied.error}`);
        await kube.waitFor({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name }, (live) => healthOf(live).status === 'Current', {
          timeoutMs: 120_000,
          what: `Deployment ${ns}/${name} to become healthy`,
          describe: (items) => items.map((it) => healthOf(it).message).join('; ') || 'not found',
        });
      });
      out.push(seconds);
      log(`readiness run ${i + 1}/${runs}: ${seconds.toFixed(2)} s`);
      // One pod at a time on the fake node: delete it before the next run (not timed).
      await kube.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name });
    }
  } finally {
    kube.close();
  }
  return out;
}
