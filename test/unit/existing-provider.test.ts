import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { ExistingProvider } from '../../src/cluster/existing.js';
import { kubeconfigFiles, pinnedKubeconfig } from '../../src/cluster/existing-kubeconfig.js';
import { apiServerOf } from '../../src/cluster/provider-files.js';
import { assertKubeconfigIsProviderCluster } from '../../src/safety/guards.js';
import { InputError, RefusedError } from '../../src/util/errors.js';
import { kubeconfigFor, startFakeApiserver, type FakeApiserver } from '../fixtures/k3d/fake-apiserver.js';

/** Two contexts, relative file references, and an exec user, as a real ~/.kube/config has. */
const userKubeconfig = `apiVersion: v1
kind: Config
current-context: laptop
clusters:
- name: homelab
  cluster:
    server: https://192.168.1.10:6443
    certificate-authority: certs/homelab-ca.crt
- name: laptop
  cluster:
    server: https://127.0.0.1:6443
users:
- name: homelab-admin
  user:
    client-certificate: certs/admin.crt
    client-key: /abs/admin.key
    exec:
      command: ./bin/credential-helper
      apiVersion: client.authentication.k8s.io/v1
- name: laptop-admin
  user:
    token: laptop-token
contexts:
- name: homelab
  context:
    cluster: homelab
    user: homelab-admin
    namespace: apps
- name: laptop
  context:
    cluster: laptop
    user: laptop-admin
`;

describe('pinnedKubeconfig (pure)', () => {
  test('keeps only the chosen context, its cluster and user; relative file references become absolute', () => {
    const pinned = pinnedKubeconfig([{ path: '/home/me/.kube/config', text: userKubeconfig }], 'homelab');
    expect(pinned.context).toBe('homelab');
    expect(pinned.server).toBe('https://192.168.1.10:6443');
    expect(parse(pinned.text)).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'homelab', cluster: { server: 'https://192.168.1.10:6443', 'certificate-authority': '/home/me/.kube/certs/homelab-ca.crt' } }],
      users: [{
        name: 'homelab-admin',
        user: {
          'client-certificate': '/home/me/.kube/certs/admin.crt',
          'client-key': '/abs/admin.key',
          exec: { command: '/home/me/.kube/bin/credential-helper', apiVersion: 'client.authentication.k8s.io/v1' },
        },
      }],
      contexts: [{ name: 'homelab', context: { cluster: 'homelab', user: 'homelab-admin', namespace: 'apps' } }],
      'current-context': 'homelab',
    });
    expect(pinned.text).not.toContain('laptop');
  });

  test('without a configured context, the current-context is pinned', () => {
    expect(pinnedKubeconfig([{ path: '/k/config', text: userKubeconfig }]).context).toBe('laptop');
  });

  test('a KUBECONFIG list merges as kubectl does: the first file that names an entry wins', () => {
    const override = 'clusters:\n- name: homelab\n  cluster:\n    server: https://10.0.0.5:6443\ncurrent-context: homelab\n';
    const pinned = pinnedKubeconfig([{ path: '/first/config', text: override }, { path: '/second/config', text: userKubeconfig }]);
    expect(pinned.context).toBe('homelab');
    expect(pinned.server).toBe('https://10.0.0.5:6443');
    expect(parse(pinned.text).users[0].user['client-certificate']).toBe('/second/certs/admin.crt');
  });

  test('an unknown context is an InputError listing the known ones', () => {
    expect(() => pinnedKubeconfig([{ path: '/k/config', text: userKubeconfig }], 'prod')).toThrow(InputError);
    expect(() => pinnedKubeconfig([{ path: '/k/config', text: userKubeconfig }], 'prod')).toThrow('cluster.context: context "prod" is not in /k/config (contexts: homelab, laptop)');
  });

  test('no context configured and none current is an InputError', () => {
    expect(() => pinnedKubeconfig([{ path: '/k/config', text: userKubeconfig.replace('current-context: laptop\n', '') }])).toThrow(
      'cluster.context is not set and /k/config has no current-context',
    );
  });

  test('a context naming a missing user is an InputError', () => {
    const broken = userKubeconfig.replace('user: laptop-admin\n', 'user: ghost\n');
    expect(() => pinnedKubeconfig([{ path: '/k/config', text: broken }], 'laptop')).toThrow('context "laptop" names user "ghost", which is not in /k/config');
  });
});

describe('kubeconfigFiles', () => {
  test('cluster.kubeconfig, else every $KUBECONFIG entry, else ~/.kube/config', () => {
    expect(kubeconfigFiles('/etc/homelab/kubeconfig', { KUBECONFIG: '/a' }, '/home/me')).toEqual(['/etc/homelab/kubeconfig']);
    expect(kubeconfigFiles(undefined, { KUBECONFIG: '/a::/b' }, '/home/me')).toEqual(['/a', '/b']);
    expect(kubeconfigFiles(undefined, {}, '/home/me')).toEqual(['/home/me/.kube/config']);
  });
});

describe('ExistingProvider', () => {
  let api: FakeApiserver;
  let dir: string;
  let root: string;
  let userFile: string;
  beforeAll(async () => {
    api = await startFakeApiserver(['node-a', 'node-b']);
  });
  afterAll(() => api.close());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hdr-existing-'));
    root = join(dir, 'state');
    userFile = join(dir, 'kube', 'config');
    mkdirSync(join(dir, 'kube'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function userConfig(...contexts: Array<{ name: string; token: string; server?: string }>): void {
    const docs = contexts.map((c) => parse(kubeconfigFor(c.server ? { url: c.server, caData: api.caData } : api, c.name, c.token)));
    const merged = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: docs.flatMap((d) => d.clusters),
      users: docs.flatMap((d) => d.users),
      contexts: docs.flatMap((d) => d.contexts),
      'current-context': contexts[0]?.name,
    };
    writeFileSync(userFile, JSON.stringify(merged));
  }

  test('create and delete are refused with exit 3', async () => {
    const provider = new ExistingProvider({ kubeconfig: userFile, root });
    for (const attempt of [() => provider.create('homelab'), () => provider.delete('homelab')]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RefusedError);
      expect((err as RefusedError).exitCode).toBe(3);
      expect((err as Error).message).toMatch(/^provider existing never creates or deletes a cluster/);
    }
  });

  test('kubeconfig is a private file pinned to the configured context; the user file is left as it was', async () => {
    userConfig({ name: 'laptop', token: 'laptop-token' }, { name: 'homelab', token: api.token });
    const before = readFileSync(userFile, 'utf8');
    const provider = new ExistingProvider({ kubeconfig: userFile, context: 'homelab', root });
    const path = await provider.kubeconfig('homelab');
    expect(path).toBe(join(root, 'homelab', 'kubeconfig.yaml'));
    expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
    expect(parse(readFileSync(path, 'utf8'))['current-context']).toBe('homelab');
    expect(readFileSync(userFile, 'utf8')).toBe(before);
    expect(provider.context).toBe('homelab');
  });

  test('without a configured context, the current one is read once: switching contexts mid-run does not redirect the run', async () => {
    userConfig({ name: 'homelab', token: api.token }, { name: 'laptop', token: 'laptop-token', server: 'https://127.0.0.1:1' });
    const provider = new ExistingProvider({ kubeconfig: userFile, root });
    await provider.kubeconfig('homelab');
    const switched = JSON.parse(readFileSync(userFile, 'utf8'));
    switched['current-context'] = 'laptop';
    writeFileSync(userFile, JSON.stringify(switched));
    expect(await provider.apiServer('homelab')).toBe(api.url);
    expect(provider.context).toBe('homelab');
  });

  test('the context guard: a context re-pointed at another server after the run pinned it is refused (exit 3) before anything is touched', async () => {
    userConfig({ name: 'homelab', token: api.token });
    const provider = new ExistingProvider({ kubeconfig: userFile, context: 'homelab', root });
    const runServer = async () => apiServerOf(await provider.kubeconfig('homelab'));
    await assertKubeconfigIsProviderCluster(provider, 'homelab', runServer);
    // The same context name now points at another cluster (a merged kubeconfig, a recreated k3d port).
    const other = await startFakeApiserver(['other-node']);
    try {
      writeFileSync(userFile, JSON.stringify(parse(kubeconfigFor(other, 'homelab', other.token))));
      const err = await assertKubeconfigIsProviderCluster(provider, 'homelab', runServer).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RefusedError);
      expect((err as RefusedError).exitCode).toBe(3);
      expect((err as Error).message).toBe(`the kubeconfig does not point at cluster "homelab": its server is ${other.url}, the provider's is ${api.url}; nothing was touched`);
    } finally {
      await other.close();
    }
  });

  test('$KUBECONFIG is used when no file is configured', async () => {
    userConfig({ name: 'homelab', token: api.token });
    const provider = new ExistingProvider({ root, env: { KUBECONFIG: `${join(dir, 'absent')}:${userFile}` } });
    expect(await provider.apiServer('homelab')).toBe(api.url);
  });

  test('exists: true when the apiserver answers, false when nothing listens, an error when it refuses the credentials', async () => {
    userConfig({ name: 'homelab', token: api.token }, { name: 'down', token: 'x', server: 'https://127.0.0.1:1' }, { name: 'badcreds', token: 'wrong' });
    expect(await new ExistingProvider({ kubeconfig: userFile, context: 'homelab', root }).exists('homelab')).toBe(true);
    expect(await new ExistingProvider({ kubeconfig: userFile, context: 'down', root }).exists('homelab')).toBe(false);
    await expect(new ExistingProvider({ kubeconfig: userFile, context: 'badcreds', root }).exists('homelab')).rejects.toThrow(
      /the apiserver of context "badcreds" answered but refused the request: .*401/,
    );
  });

  test('node names come from the API', async () => {
    userConfig({ name: 'homelab', token: api.token });
    expect(await new ExistingProvider({ kubeconfig: userFile, root }).nodeNames('homelab')).toEqual(['node-a', 'node-b']);
  });

  test('a missing kubeconfig file is an InputError naming where it looked', async () => {
    const missing = join(dir, 'nope');
    await expect(new ExistingProvider({ kubeconfig: missing, root }).kubeconfig('homelab')).rejects.toThrow(`cluster.kubeconfig: no kubeconfig file found (looked at ${missing})`);
  });
});
