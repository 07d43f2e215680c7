// Pure pieces of the kwok provider: where a cluster's files live, the kwokctl command line and
// environment, and the fake node. Kept apart from the code that runs them, so they are unit-tested.
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { writeYaml } from '../k8s/yaml-write.js';
import type { ControlPlaneBinaries } from './control-plane-binaries.js';
import type { NodeTaint } from './node-layout.js';

export type KwokBinaries = Pick<
  ControlPlaneBinaries,
  'kubeApiserver' | 'kubeControllerManager' | 'kubeScheduler' | 'kubectl' | 'etcd' | 'kwok' | 'kwokctl'
>;

export interface KwokClusterPaths {
  /** kwokctl's own directory for the cluster (removed by `kwokctl delete cluster`). */
  workdir: string;
  kubeconfig: string;
  caCert: string;
  /** homelab-dr's files for the cluster: kwokctl config, local controllers' pid and log files. */
  extras: string;
}

/** Cluster names become directory names and process arguments: keep them DNS-label shaped. */
export const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** `$XDG_STATE_HOME/homelab-dr/kwok`, so the user's ~/.kwok is never touched. */
export function defaultKwokRoot(env: NodeJS.ProcessEnv, home: string): string {
  return join(env.XDG_STATE_HOME || join(home, '.local', 'state'), 'homelab-dr', 'kwok');
}

export function kwokClusterPaths(root: string, cluster: string): KwokClusterPaths {
  const workdir = join(root, 'clusters', cluster);
  return {
    workdir,
    kubeconfig: join(workdir, 'kubeconfig.yaml'),
    caCert: join(workdir, 'pki', 'ca.crt'),
    extras: join(root, 'homelab-dr', cluster),
  };
}

export interface KwokPorts {
  kubeApiserverPort: number;
  etcdPort: number;
  etcdPeerPort: number;
  kubeControllerManagerPort: number;
  kubeSchedulerPort: number;
  kwokControllerPort: number;
}

/**
 * kwokctl has no flag for the bind address (its default is 0.0.0.0), so it goes in a config file.
 * So do the ports: kwokctl counts down from 32767 to the first free one, so two clusters created at
 * the same moment pick the same ports and one of them loses a component.
 */
export function kwokctlConfigYaml(ports: KwokPorts): string {
  return writeYaml({
    apiVersion: 'config.kwok.x-k8s.io/v1alpha1',
    kind: 'KwokctlConfiguration',
    options: { bindAddress: '127.0.0.1', ...ports },
  });
}

/** The apiserver URL a kwokctl config file (as written by kwokctlConfigYaml) gives the cluster. */
export function apiServerOfKwokctlConfig(text: string, path: string): string {
  const options = (parse(text) as { options?: { bindAddress?: unknown; kubeApiserverPort?: unknown } } | null)?.options;
  if (typeof options?.kubeApiserverPort !== 'number' || typeof options.bindAddress !== 'string') {
    throw new Error(`${path} names no apiserver address and port`);
  }
  return `https://${options.bindAddress}:${options.kubeApiserverPort}`;
}

export interface KwokctlCreate {
  cluster: string;
  configPath: string;
  binaries: KwokBinaries;
  timeoutMs: number;
}

export function kwokctlCreateArgs(c: KwokctlCreate): string[] {
  return [
    '--config', c.configPath,
    'create', 'cluster',
    '--name', c.cluster,
    '--runtime', 'binary',
    // An empty --kubeconfig keeps kwokctl from adding a context to the user's ~/.kube/config.
    '--kubeconfig', '',
    '--secure-port=true',
    '--kube-authorization=true',
    '--kube-admission=true',
    '--quiet-pull',
    '--timeout', `${Math.ceil(c.timeoutMs / 1000)}s`,
    '--etcd-binary', c.binaries.etcd,
    '--kube-apiserver-binary', c.binaries.kubeApiserver,
    '--kube-controller-manager-binary', c.binaries.kubeControllerManager,
    '--kube-scheduler-binary', c.binaries.kubeScheduler,
    '--kwok-controller-binary', c.binaries.kwok,
  ];
}

export interface KwokctlEnvInput {
  root: string;
  binaries: KwokBinaries;
  kubeVersion: string;
  etcdVersion: string;
  path: string;
}

/** kwokctl reads these; a dead loopback proxy makes any download attempt fail at once. */
export function kwokctlEnv(e: KwokctlEnvInput): Record<string, string> {
  const blackhole = 'http://127.0.0.1:9';
  return {
    KWOK_WORKDIR: e.root,
    KWOK_RUNTIME: 'binary',
    KWOK_KUBE_VERSION: e.kubeVersion,
    KWOK_ETCD_VERSION: e.etcdVersion.replace(/^v/, ''),
    KWOK_KUBECTL_BINARY: e.binaries.kubectl,
    // kwokctl looks kubectl up on PATH before it considers downloading one.
    PATH: `${dirname(e.binaries.kubectl)}:${e.path}`,
    HTTP_PROXY: blackhole,
    HTTPS_PROXY: blackhole,
    http_proxy: blackhole,
    https_proxy: blackhole,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
  };
}

export function defaultNodeName(cluster: string): string {
  return `${cluster}-server-0`;
}

/**
 * A fake node; kwok (managing all nodes) reports it Ready and runs its pods' lifecycle. `layout` gives
 * the role labels and the configured labels and taints (node-layout.ts), so the scheduler places pods
 * as on the real cluster.
 */
export function fakeNode(name: string, layout: { labels?: Record<string, string>; taints?: readonly NodeTaint[] } = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
        ...layout.labels,
      },
    },
    ...(layout.taints && layout.taints.length > 0 ? { spec: { taints: layout.taints.map((t) => ({ ...t })) } } : {}),
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
      nodeInfo: { architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: 'fake', kubeProxyVersion: 'fake' },
      phase: 'Running',
    },
  };
}
