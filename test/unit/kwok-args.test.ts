import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import {
  apiServerOfKwokctlConfig,
  CLUSTER_NAME,
  defaultKwokRoot,
  fakeNode,
  kwokClusterPaths,
  kwokctlConfigYaml,
  kwokctlCreateArgs,
  kwokctlEnv,
  type KwokBinaries,
} from '../../src/cluster/kwok-args.js';

const binaries: KwokBinaries = {
  kubeApiserver: '/c/bin/kubernetes-v1.33.4/kube-apiserver',
  kubeControllerManager: '/c/bin/kubernetes-v1.33.4/kube-controller-manager',
  kubeScheduler: '/c/bin/kubernetes-v1.33.4/kube-scheduler',
  kubectl: '/c/bin/kubernetes-v1.33.4/kubectl',
  etcd: '/c/bin/etcd-v3.5.21/etcd',
  kwok: '/c/bin/kwok-v0.7.0/kwok',
  kwokctl: '/c/bin/kwok-v0.7.0/kwokctl',
};

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

describe('kwokctl create arguments', () => {
  const args = kwokctlCreateArgs({ cluster: 'rehearsal', configPath: '/s/kwokctl.yaml', binaries, timeoutMs: 90_500 });
  test('pass every binary explicitly, so kwokctl downloads none', () => {
    expect(flag(args, '--etcd-binary')).toBe(binaries.etcd);
    expect(flag(args, '--kube-apiserver-binary')).toBe(binaries.kubeApiserver);
    expect(flag(args, '--kube-controller-manager-binary')).toBe(binaries.kubeControllerManager);
    expect(flag(args, '--kube-scheduler-binary')).toBe(binaries.kubeScheduler);
    expect(flag(args, '--kwok-controller-binary')).toBe(binaries.kwok);
    expect(flag(args, '--runtime')).toBe('binary');
  });
  test('keep the user kubeconfig untouched and admission and authorization on', () => {
    expect(flag(args, '--kubeconfig')).toBe('');
    expect(args).toContain('--kube-admission=true');
    expect(args).toContain('--kube-authorization=true');
    expect(args).toContain('--secure-port=true');
  });
  test('name the cluster, the config file (global flag, before the subcommand) and a whole-second timeout', () => {
    expect(flag(args, '--name')).toBe('rehearsal');
    expect(args.slice(0, 4)).toEqual(['--config', '/s/kwokctl.yaml', 'create', 'cluster']);
    expect(flag(args, '--timeout')).toBe('91s');
  });
  test('leave ports to the config file', () => {
    const portFlags = args.filter((arg) => /^--[a-z-]*-port$/.test(arg));
    expect(portFlags).toEqual([]);
  });
});

describe('kwokctl config and environment', () => {
  test('the config binds every component to loopback, on the ports it is given', () => {
    const ports = { kubeApiserverPort: 41001, etcdPort: 41002, etcdPeerPort: 41003, kubeControllerManagerPort: 41004, kubeSchedulerPort: 41005, kwokControllerPort: 41006 };
    const config = parse(kwokctlConfigYaml(ports));
    expect(config).toEqual({ apiVersion: 'config.kwok.x-k8s.io/v1alpha1', kind: 'KwokctlConfiguration', options: { bindAddress: '127.0.0.1', ...ports } });
  });
  test('the environment isolates the workdir, pins versions, and blocks downloads', () => {
    const env = kwokctlEnv({ root: '/state/kwok', binaries, kubeVersion: 'v1.33.4', etcdVersion: 'v3.5.21', path: '/usr/bin' });
    expect(env.KWOK_WORKDIR).toBe('/state/kwok');
    expect(env.KWOK_KUBE_VERSION).toBe('v1.33.4');
    expect(env.KWOK_ETCD_VERSION).toBe('3.5.21');
    expect(env.KWOK_KUBECTL_BINARY).toBe(binaries.kubectl);
    expect(env.PATH).toBe('/c/bin/kubernetes-v1.33.4:/usr/bin');
    expect(env.HTTPS_PROXY).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
  test('state lives under XDG_STATE_HOME, never ~/.kwok', () => {
    expect(defaultKwokRoot({ XDG_STATE_HOME: '/xdg' }, '/home/u')).toBe('/xdg/homelab-dr/kwok');
    expect(defaultKwokRoot({}, '/home/u')).toBe('/home/u/.local/state/homelab-dr/kwok');
    expect(kwokClusterPaths('/r', 'c1')).toEqual({
      workdir: '/r/clusters/c1',
      kubeconfig: '/r/clusters/c1/kubeconfig.yaml',
      caCert: '/r/clusters/c1/pki/ca.crt',
      extras: '/r/homelab-dr/c1',
    });
  });
  test('cluster names are DNS labels', () => {
    expect(CLUSTER_NAME.test('hdr-it-123')).toBe(true);
    for (const bad of ['', 'Upper', '-lead', 'trail-', 'a/b', '../x', 'a'.repeat(64)]) expect(CLUSTER_NAME.test(bad)).toBe(false);
  });
});

describe('fake node', () => {
  test('carries the given name and kwok annotation', () => {
    const node = fakeNode('homelab-server-0');
    expect(node.metadata.name).toBe('homelab-server-0');
    expect(node.metadata.labels['kubernetes.io/hostname']).toBe('homelab-server-0');
    expect(node.metadata.annotations['kwok.x-k8s.io/node']).toBe('fake');
  });
});

describe('apiServerOfKwokctlConfig: the provider\'s own record of its apiserver', () => {
  test('reads back the address and port homelab-dr wrote', () => {
    const text = kwokctlConfigYaml({ kubeApiserverPort: 40123, etcdPort: 1, etcdPeerPort: 2, kubeControllerManagerPort: 3, kubeSchedulerPort: 4, kwokControllerPort: 5 });
    expect(apiServerOfKwokctlConfig(text, '/x/kwokctl.yaml')).toBe('https://127.0.0.1:40123');
    expect(() => apiServerOfKwokctlConfig('kind: KwokctlConfiguration\n', '/x/kwokctl.yaml')).toThrow('/x/kwokctl.yaml names no apiserver address and port');
  });
});
