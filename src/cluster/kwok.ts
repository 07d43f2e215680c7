// The kwok provider: a real kube-apiserver, etcd, controller-manager and scheduler run as local
// processes by `kwokctl --runtime binary`, with one fake node per configured server and agent that kwok
// reports Ready. Everything listens on 127.0.0.1, lives under homelab-dr's own state directory, and
// comes from the build cache.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { healthWaitError, waitForHealth } from '../health/wait.js';
import type { ClusterConfig } from '../config/types.js';
import type { KubeClient } from '../kube/client.js';
import { InputError, RefusedError, errorMessage } from '../util/errors.js';
import { run } from '../util/exec.js';
import { sleep } from '../util/helpers.js';
import { childEnv } from '../util/secrets-registry.js';
import { controlPlaneBinaries, etcdVersion, kubernetesVersion } from './control-plane-binaries.js';
import {
  apiServerOfKwokctlConfig,
  CLUSTER_NAME,
  defaultKwokRoot,
  defaultNodeName,
  fakeNode,
  kwokClusterPaths,
  kwokctlConfigYaml,
  kwokctlCreateArgs,
  kwokctlEnv,
  type KwokBinaries,
  type KwokClusterPaths,
} from './kwok-args.js';
import { startLocalSealedSecrets, stopLocalSealedSecrets, stopLocalSealedSecretsNow } from './local-sealed-secrets.js';
import { freeLoopbackPorts, portInUse } from './ports.js';
import { mapPaths, type ThrowawayIsolation } from './isolation.js';
import type { ClusterProvider, CreateClusterOptions } from './provider.js';
import { plannedNodes } from './node-layout.js';

const KWOK_BINARIES = ['kubeApiserver', 'kubeControllerManager', 'kubeScheduler', 'kubectl', 'etcd', 'kwok', 'kwokctl'] as const;
const DEFAULT_CREATE_TIMEOUT_MS = 120_000;
const CERT_URL_FILE = 'sealed-secrets-cert-url';

export interface KwokProviderOptions {
  /** Where kwokctl keeps clusters (its KWOK_WORKDIR); default `$XDG_STATE_HOME/homelab-dr/kwok`. */
  root?: string;
}

export class KwokProvider implements ClusterProvider {
  readonly name = 'kwok' as const;
  readonly root: string;

  constructor(opts: KwokProviderOptions = {}) {
    this.root = opts.root ?? defaultKwokRoot(process.env, homedir());
  }

  paths(cluster: string): KwokClusterPaths {
    if (!CLUSTER_NAME.test(cluster)) {
      throw new InputError(`cluster name ${JSON.stringify(cluster)} is not a DNS label (lowercase letters, digits and '-', at most 63)`);
    }
    return kwokClusterPaths(this.root, cluster);
  }

  /**
   * Nothing to map on the host, but the PVs of a throwaway run still point into the scratch directory
   * (removed with the cluster), so a rehearsal's storage is the drill's on k3d, never production's paths.
   */
  throwawayIsolation(cluster: string, config: ClusterConfig): ThrowawayIsolation {
    return { ports: [], paths: mapPaths(config.volumes, join(this.paths(cluster).extras, 'scratch'), false) };
  }

  /** Fake nodes run no pods, so the real controller binary runs beside the cluster. */
  async startLocalSealedSecrets(cluster: string, opts: { namespace: string; controllerName: string }): Promise<{ pid?: number; certUrl: string; leftoverPid?: number }> {
    const paths = this.paths(cluster);
    // A controller still running for this cluster is one whose run was killed before it recorded the
    // controller's URL: nobody supervises it and start would refuse. The new one loads the key pair the
    // old one may already have stored.
    const leftoverPid = await stopLocalSealedSecrets(paths);
    const handle = await startLocalSealedSecrets(paths, opts);
    await writeFile(join(paths.extras, CERT_URL_FILE), `${handle.certUrl}\n`);
    return { pid: handle.pid(), certUrl: handle.certUrl, ...(leftoverPid ? { leftoverPid } : {}) };
  }

  async localSealedSecretsCertUrl(cluster: string): Promise<string | undefined> {
    const file = join(this.paths(cluster).extras, CERT_URL_FILE);
    return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  }

  get clusterHome(): string {
    return this.root;
  }

  /** A cluster directory or one of homelab-dr's extras (a controller's pid file) left behind counts. */
  async list(): Promise<string[]> {
    const names = [join(this.root, 'clusters'), join(this.root, 'homelab-dr')].flatMap((dir) => (existsSync(dir) ? readdirSync(dir) : []));
    return [...new Set(names)].filter((name) => CLUSTER_NAME.test(name)).sort();
  }

  /** A directory left by an interrupted create counts too, so that create refuses and delete cleans it. */
  async exists(cluster: string): Promise<boolean> {
    const paths = this.paths(cluster);
    return existsSync(paths.workdir) || existsSync(paths.extras);
  }

  async create(cluster: string, opts: CreateClusterOptions = {}): Promise<void> {
    const paths = this.paths(cluster);
    const binaries = controlPlaneBinaries(KWOK_BINARIES);
    if (await this.exists(cluster)) {
      throw new RefusedError(`a kwok cluster named ${cluster} already exists (${paths.workdir}); delete it first`);
    }
    if (opts.apiServerPort !== undefined && (await portInUse(opts.apiServerPort))) {
      throw new InputError(`cannot create kwok cluster ${cluster}: port ${opts.apiServerPort} on 127.0.0.1 is already in use; free it or choose another apiserver port`);
    }
    const nodes = kwokNodes(cluster, opts);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_CREATE_TIMEOUT_MS;
    const started = Date.now();
    try {
      await this.startControlPlane(cluster, paths, binaries, opts.apiServerPort, timeoutMs);
      await waitClusterReady(paths.kubeconfig, nodes, timeoutMs - (Date.now() - started));
    } catch (err) {
      const logs = componentLogTails(paths.workdir);
      const cleanup = await this.delete(cluster).then(
        () => 'it was deleted again',
        (cleanupErr: unknown) => `cleaning it up failed too: ${errorMessage(cleanupErr)}`,
      );
      throw new Error(`creating kwok cluster ${cluster} failed (${cleanup}): ${errorMessage(err)}${logs}`, { cause: err });
    }
  }

  async delete(cluster: string): Promise<void> {
    const paths = this.paths(cluster);
    await stopLocalSealedSecrets(paths);
    if (existsSync(join(paths.workdir, 'kwok.yaml'))) {
      const { kwokctl, kubectl } = controlPlaneBinaries(['kwokctl', 'kubectl']);
      // kwokctl delete rejects an empty --kubeconfig and edits the file it names; the cluster's own
      // kubeconfig is deleted with it, so the user's ~/.kube/config is never touched.
      await run(kwokctl, ['delete', 'cluster', '--name', cluster, '--kubeconfig', paths.kubeconfig], {
        env: { ...childEnv(), KWOK_WORKDIR: this.root, KWOK_KUBECTL_BINARY: kubectl },
        timeoutMs: 60_000,
      });
    }
    // kwokctl leaves nothing behind for a cluster it knows; a directory it does not know started no process.
    await rm(paths.workdir, { recursive: true, force: true });
    await rm(paths.extras, { recursive: true, force: true });
  }

  /**
   * The same teardown, synchronous, for a process 'exit' handler (a test runner or CLI interrupted by
   * Ctrl-C exits without awaiting anything). It runs kwokctl directly because run() is asynchronous.
   */
  deleteNow(cluster: string): void {
    const paths = this.paths(cluster);
    stopLocalSealedSecretsNow(paths);
    if (existsSync(join(paths.workdir, 'kwok.yaml'))) {
      const { kwokctl } = controlPlaneBinaries(['kwokctl']);
      execFileSync(kwokctl, ['delete', 'cluster', '--name', cluster, '--kubeconfig', paths.kubeconfig], {
        env: { ...childEnv(), KWOK_WORKDIR: this.root },
        stdio: 'ignore',
        timeout: 60_000,
      });
    }
    rmSync(paths.workdir, { recursive: true, force: true });
    rmSync(paths.extras, { recursive: true, force: true });
  }

  async kubeconfig(cluster: string): Promise<string> {
    const { kubeconfig } = this.paths(cluster);
    if (!existsSync(kubeconfig)) throw new InputError(`no kwok cluster named ${cluster} (no ${kubeconfig})`);
    return kubeconfig;
  }

  async nodeNames(cluster: string): Promise<string[]> {
    const { KubeClient } = await import('../kube/client.js');
    const client = await KubeClient.fromKubeconfig(await this.kubeconfig(cluster));
    try {
      return (await client.list({ apiVersion: 'v1', kind: 'Node' })).map((node) => node.metadata.name);
    } finally {
      client.close();
    }
  }

  /**
   * From the kwokctl config homelab-dr wrote when it started the control plane, not from the
   * kubeconfig: the provider's own record, against which the context guard checks the kubeconfig.
   */
  async apiServer(cluster: string): Promise<string> {
    const path = join(this.paths(cluster).extras, 'kwokctl.yaml');
    return apiServerOfKwokctlConfig(await readFile(path, 'utf8'), path);
  }

  private async startControlPlane(cluster: string, paths: KwokClusterPaths, binaries: KwokBinaries, port: number | undefined, timeoutMs: number): Promise<void> {
    await mkdir(paths.extras, { recursive: true });
    const configPath = join(paths.extras, 'kwokctl.yaml');
    const [apiserver, etcd, etcdPeer, controllerManager, scheduler, kwokController] = (await freeLoopbackPorts(6)) as [number, number, number, number, number, number];
    await writeFile(
      configPath,
      kwokctlConfigYaml({
        kubeApiserverPort: port ?? apiserver,
        etcdPort: etcd,
        etcdPeerPort: etcdPeer,
        kubeControllerManagerPort: controllerManager,
        kubeSchedulerPort: scheduler,
        kwokControllerPort: kwokController,
      }),
    );
    const env = kwokctlEnv({ root: this.root, binaries, kubeVersion: kubernetesVersion(), etcdVersion: etcdVersion(), path: process.env.PATH ?? '' });
    await run(binaries.kwokctl, kwokctlCreateArgs({ cluster, configPath, binaries, timeoutMs }), {
      env: { ...childEnv(), ...env },
      timeoutMs: timeoutMs + 10_000,
    });
  }
}

/**
 * One fake node per configured server and agent (node-layout.ts: k3s' role labels, the configured labels
 * and taints); without a config, the single server of old, named opts.nodeName or <cluster>-server-0.
 */
export function kwokNodes(cluster: string, opts: CreateClusterOptions): Array<ReturnType<typeof fakeNode>> {
  const config: ClusterConfig = opts.config ?? { provider: 'kwok', name: cluster, servers: 1, agents: 0, ports: [], volumes: [], k3sArgs: [] };
  const nodeName = opts.nodeName ?? config.nodeName ?? defaultNodeName(cluster);
  return plannedNodes('kwok', cluster, { ...config, nodeName })!.map((n) => fakeNode(n.name, n));
}

/** Ready means: the apiserver answers /readyz, every fake node is Ready, and pods can be admitted (default SA). */
async function waitClusterReady(kubeconfigPath: string, nodes: ReadonlyArray<ReturnType<typeof fakeNode>>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const { KubeClient } = await import('../kube/client.js');
  const client = await KubeClient.fromKubeconfig(kubeconfigPath);
  try {
    await waitApiserverReady(client, deadline);
    for (const node of nodes) await client.apply(node, { force: true });
    // The ServiceAccount admission plugin rejects pods until the controller-manager made default/default.
    const defaultAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { namespace: 'default', name: 'default' } };
    const ready = healthWaitError(await waitForHealth(client, [...nodes, defaultAccount], { timeoutMs: remaining(deadline) }));
    if (ready) throw ready;
  } finally {
    client.close();
  }
}

// Polling is the only option here: there is nothing to watch until the apiserver serves.
async function waitApiserverReady(client: KubeClient, deadline: number): Promise<void> {
  let last = '';
  while (Date.now() < deadline) {
    try {
      if ((await client.raw('GET', '/readyz')) === 'ok') return;
    } catch (err) {
      last = errorMessage(err);
    }
    await sleep(250);
  }
  throw new Error(`kube-apiserver did not become ready${last ? `: ${last}` : ''}`);
}

/** The last lines each component logged: why a component died is the first thing to know. */
function componentLogTails(workdir: string): string {
  const dir = join(workdir, 'logs');
  if (!existsSync(dir)) return '';
  const tails = readdirSync(dir).map((file) => {
    const lines = readFileSync(join(dir, file), 'utf8').trim().split('\n').slice(-3);
    return `--- ${file}\n${lines.join('\n')}`;
  });
  return tails.length > 0 ? `\ncomponent logs (last lines):\n${tails.join('\n')}` : '';
}

function remaining(deadline: number): number {
  return Math.max(1000, deadline - Date.now());
}
