import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import type { ClusterConfig } from '../../src/config/types.js';
import { K3dProvider } from '../../src/cluster/k3d.js';
import { InputError, RefusedError } from '../../src/util/errors.js';
import { installFakeTools, type FakeTools } from '../fixtures/k3d/fake-bin.js';
import { kubeconfigFor, startFakeApiserver, type FakeApiserver } from '../fixtures/k3d/fake-apiserver.js';

const FIXTURES = new URL('../fixtures/k3d/', import.meta.url).pathname;
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

const exampleCluster: ClusterConfig = {
  provider: 'k3d',
  name: 'homelab',
  servers: 1,
  agents: 0,
  image: 'rancher/k3s:v1.33.4-k3s1',
  registries: { use: ['k3d-registry.localhost:5050'], config: join(FIXTURES, 'registries.yaml') },
  ports: [{ port: '443:443', nodeFilters: ['loadbalancer'] }],
  volumes: [{ volume: '/srv/homelab:/srv/homelab', nodeFilters: ['server:*'], seed: 'empty' }],
  k3sArgs: [{ arg: '--disable=traefik', nodeFilters: ['server:*'] }],
};

let tools: FakeTools;
let root: string;
let provider: K3dProvider;

beforeAll(() => {
  tools = installFakeTools();
});
afterAll(() => tools.restore());
beforeEach(() => {
  tools.reset();
  root = mkdtempSync(join(tmpdir(), 'hdr-k3d-root-'));
  provider = new K3dProvider({ root });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function givenClusters(...names: string[]): void {
  writeFileSync(join(tools.k3dState, 'clusters.json'), JSON.stringify(names.map((name) => ({ name }))));
}

describe('K3dProvider.create', () => {
  test('writes the config file privately, runs exactly `k3d cluster create --config … --wait --timeout`, then removes the file', async () => {
    await provider.create('homelab', { config: exampleCluster });
    const configFile = join(root, 'homelab', 'k3d-config.yaml');
    expect(tools.calls('k3d')).toEqual([
      ['cluster', 'list', '-o', 'json'],
      ['cluster', 'create', '--config', configFile, '--wait', '--timeout', '300s'],
    ]);
    const written = readFileSync(join(tools.k3dState, 'created-config.yaml'), 'utf8');
    expect(written).toBe(fixture('homelab-cluster.yaml'));
    expect(parse(written).registries.config).toBe(fixture('registries.yaml'));
    // file 0600 in a 0700 directory while k3d read it; gone afterwards, because it embeds credentials
    expect(readFileSync(join(tools.k3dState, 'created-config.mode'), 'utf8')).toBe('600 700');
    expect(existsSync(configFile)).toBe(false);
    expect(await provider.exists('homelab')).toBe(true);
  });

  test('the timeout option reaches k3d', async () => {
    await provider.create('homelab', { config: exampleCluster, timeoutMs: 90_000 });
    expect(tools.calls('k3d')[1]?.slice(-2)).toEqual(['--timeout', '90s']);
  });

  test('refuses (exit 3) when a cluster of that name exists, and creates nothing', async () => {
    givenClusters('homelab');
    const err = await provider.create('homelab', { config: exampleCluster }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).exitCode).toBe(3);
    expect(tools.calls('k3d')).toEqual([['cluster', 'list', '-o', 'json']]);
  });

  test('an image without a tag is an InputError (exit 2) before k3d is run at all', async () => {
    const err = await provider.create('homelab', { config: { ...exampleCluster, image: 'rancher/k3s' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(2);
    expect((err as Error).message).toContain('cluster.image: image "rancher/k3s" has no tag');
    expect(tools.calls('k3d')).toEqual([]);
    expect(existsSync(join(root, 'homelab'))).toBe(false);
  });

  test('a missing registries.yaml is an InputError naming the path, before k3d is run at all', async () => {
    const missing = join(root, 'nope', 'registries.yaml');
    const config = { ...exampleCluster, registries: { use: [], config: missing } };
    const err = await provider.create('homelab', { config }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(`cluster.registries.config: ${missing} does not exist`);
    expect(tools.calls('k3d')).toEqual([]);
  });

  test('a registries.yaml that is not valid YAML is an InputError naming the file, before k3d is run at all', async () => {
    const broken = join(root, 'registries.yaml');
    writeFileSync(broken, 'mirrors: [\n');
    const err = await provider.create('homelab', { config: { ...exampleCluster, registries: { use: [], config: broken } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(new RegExp(`^${broken}: registries.yaml is not valid YAML`));
    expect(tools.calls('k3d')).toEqual([]);
  });

  test('a failed create names the command, redacts registry passwords k3d echoes, and removes the config file', async () => {
    writeFileSync(join(tools.k3dState, 'create-fails-with'), 'FATA[0003] bad registry auth password=fixture-registry-password');
    const err = await provider.create('homelab', { config: exampleCluster }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('cluster create --config');
    expect((err as Error).message).toContain('bad registry auth password=[REDACTED]');
    expect((err as Error).message).not.toContain('fixture-registry-password');
    expect(existsSync(join(root, 'homelab', 'k3d-config.yaml'))).toBe(false);
  });

  test('a cluster name k3d cannot use is an InputError', async () => {
    await expect(provider.create('Home_Lab', { config: exampleCluster })).rejects.toThrow(InputError);
    expect(tools.calls('k3d')).toEqual([]);
  });
});

describe('K3dProvider.exists and delete', () => {
  test('exists reads `k3d cluster list -o json`', async () => {
    givenClusters('other', 'homelab');
    expect(await provider.exists('homelab')).toBe(true);
    expect(await provider.exists('homelab-drtest')).toBe(false);
    expect(tools.calls('k3d')).toEqual([['cluster', 'list', '-o', 'json']]);
  });

  test('one `k3d cluster list` serves every caller, at once or later, until the provider creates or deletes a cluster', async () => {
    givenClusters('homelab');
    expect(await Promise.all([provider.exists('homelab'), provider.exists('other'), provider.list()])).toEqual([true, false, ['homelab']]);
    expect(await provider.exists('homelab')).toBe(true);
    expect(tools.calls('k3d')).toEqual([['cluster', 'list', '-o', 'json']]);
    // Its own delete: asked again before and after.
    await provider.delete('homelab');
    expect(await provider.exists('homelab')).toBe(false);
    expect(tools.calls('k3d')).toEqual([
      ['cluster', 'list', '-o', 'json'],
      ['cluster', 'delete', 'homelab'],
      ['cluster', 'list', '-o', 'json'],
    ]);
  });

  test('a listing that failed is not kept: the next caller asks k3d again', async () => {
    writeFileSync(join(tools.k3dState, 'list-output'), 'FATA[0000] Cannot connect to the Docker daemon');
    await expect(provider.exists('homelab')).rejects.toThrow(/not JSON/);
    rmSync(join(tools.k3dState, 'list-output'));
    givenClusters('homelab');
    expect(await provider.exists('homelab')).toBe(true);
    expect(tools.calls('k3d')).toHaveLength(2);
  });

  test('output that is not a JSON list is an error, never "does not exist"', async () => {
    writeFileSync(join(tools.k3dState, 'list-output'), 'FATA[0000] Cannot connect to the Docker daemon');
    await expect(provider.exists('homelab')).rejects.toThrow(/not JSON/);
  });

  test('delete runs `k3d cluster delete <name>` and drops the cluster kubeconfig', async () => {
    givenClusters('homelab', 'other');
    mkdirSync(join(root, 'homelab'));
    writeFileSync(join(root, 'homelab', 'kubeconfig.yaml'), 'old');
    await provider.delete('homelab');
    expect(tools.calls('k3d')).toEqual([
      ['cluster', 'list', '-o', 'json'],
      ['cluster', 'delete', 'homelab'],
    ]);
    expect(existsSync(join(root, 'homelab'))).toBe(false);
    expect(await provider.exists('other')).toBe(true);
  });

  test('deleting a cluster that does not exist is not an error and runs no delete', async () => {
    givenClusters('other');
    await provider.delete('homelab');
    expect(tools.calls('k3d')).toEqual([['cluster', 'list', '-o', 'json']]);
  });
});

describe('K3dProvider kubeconfig, apiServer, nodeNames', () => {
  let api: FakeApiserver;
  beforeAll(async () => {
    api = await startFakeApiserver(['k3d-homelab-server-0', 'k3d-homelab-agent-0']);
  });
  afterAll(() => api.close());

  test('the kubeconfig from `k3d kubeconfig get` goes to a file of its own, mode 0600; ~/.kube/config is not touched', async () => {
    const home = mkdtempSync(join(tmpdir(), 'hdr-home-'));
    const savedHome = process.env.HOME;
    process.env.HOME = home;
    try {
      givenClusters('homelab');
      const text = kubeconfigFor(api, 'k3d-homelab', api.token);
      writeFileSync(join(tools.k3dState, 'kubeconfig.yaml'), text);
      const path = await provider.kubeconfig('homelab');
      expect(path).toBe(join(root, 'homelab', 'kubeconfig.yaml'));
      expect(readFileSync(path, 'utf8')).toBe(text);
      expect(mode(path)).toBe('600');
      expect(mode(join(root, 'homelab'))).toBe('700');
      expect(tools.calls('k3d')).toEqual([['kubeconfig', 'get', 'homelab']]);
      expect(existsSync(join(home, '.kube'))).toBe(false);
    } finally {
      process.env.HOME = savedHome;
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('the kubeconfig is fetched once, and afresh after this provider deletes and creates the cluster: a recreated cluster has new credentials', async () => {
    const kubeconfigGets = () => tools.calls('k3d').filter((c) => c[0] === 'kubeconfig').length;
    givenClusters('homelab');
    writeFileSync(join(tools.k3dState, 'kubeconfig.yaml'), kubeconfigFor(api, 'k3d-homelab', 'first'));
    await provider.kubeconfig('homelab');
    const path = await provider.kubeconfig('homelab');
    expect(readFileSync(path, 'utf8')).toContain('token: first');
    expect(kubeconfigGets()).toBe(1);

    await provider.delete('homelab');
    await provider.create('homelab', { config: exampleCluster });
    writeFileSync(join(tools.k3dState, 'kubeconfig.yaml'), kubeconfigFor(api, 'k3d-homelab', 'second'));
    expect(readFileSync(await provider.kubeconfig('homelab'), 'utf8')).toContain('token: second');
    expect(kubeconfigGets()).toBe(2);
  });

  test('the kubeconfig is fetched while create still runs, once k3d says its servers are up, and serves the callers after it', async () => {
    writeFileSync(join(tools.k3dState, 'kubeconfig.yaml'), kubeconfigFor(api, 'k3d-homelab', 'early'));
    writeFileSync(join(tools.k3dState, 'create-servers-up'), '');
    // The fake create ends only after a `k3d kubeconfig get` ran meanwhile (else it fails, and so does this).
    await provider.create('homelab', { config: exampleCluster });
    expect(readFileSync(await provider.kubeconfig('homelab'), 'utf8')).toContain('token: early');
    expect(tools.calls('k3d').filter((c) => c[0] === 'kubeconfig')).toHaveLength(1);
  });

  test('of a create that fails after its servers were up, the early kubeconfig is neither kept nor left on disk', async () => {
    writeFileSync(join(tools.k3dState, 'kubeconfig.yaml'), kubeconfigFor(api, 'k3d-homelab', 'early'));
    writeFileSync(join(tools.k3dState, 'create-servers-up'), 'FATA[0010] Failed to start helpers');
    await expect(provider.create('homelab', { config: exampleCluster })).rejects.toThrow(/Failed to start helpers/);
    expect(existsSync(provider.kubeconfigPath('homelab'))).toBe(false);
    await expect(provider.kubeconfig('homelab')).rejects.toThrow(/does not exist/);
    expect(tools.calls('k3d').filter((c) => c[0] === 'kubeconfig')).toHaveLength(2);
  });

  test('a warning k3d prints on stdout before the kubeconfig makes the fetch fail; nothing is written or kept', async () => {
    givenClusters('homelab');
    const warning = '\u001b[33mWARN\u001b[0m[0000] failed to get loadbalancer config from k3d-homelab-serverlb: runtime failed to read loadbalancer config\n';
    writeFileSync(join(tools.k3dState, 'kubeconfig.yaml'), warning + kubeconfigFor(api, 'k3d-homelab', 'first'));
    await expect(provider.kubeconfig('homelab')).rejects.toThrow(/printed no kubeconfig .*failed to get loadbalancer config/);
    expect(existsSync(provider.kubeconfigPath('homelab'))).toBe(false);
    writeFileSync(join(tools.k3dState, 'kubeconfig.yaml'), kubeconfigFor(api, 'k3d-homelab', 'first'));
    expect(readFileSync(await provider.kubeconfig('homelab'), 'utf8')).toContain('token: first');
  });

  test('callers that ask while a fetch is in flight share it: one `k3d kubeconfig get`', async () => {
    givenClusters('homelab');
    writeFileSync(join(tools.k3dState, 'kubeconfig.yaml'), kubeconfigFor(api, 'k3d-homelab', 'first'));
    const paths = await Promise.all([provider.kubeconfig('homelab'), provider.kubeconfig('homelab'), provider.kubeconfig('homelab')]);
    expect(new Set(paths).size).toBe(1);
    expect(readFileSync(paths[0]!, 'utf8')).toContain('token: first');
    expect(tools.calls('k3d').filter((c) => c[0] === 'kubeconfig')).toHaveLength(1);
  });

  test('a kubeconfig file removed behind the provider is fetched again', async () => {
    givenClusters('homelab');
    writeFileSync(join(tools.k3dState, 'kubeconfig.yaml'), kubeconfigFor(api, 'k3d-homelab', 'first'));
    rmSync(await provider.kubeconfig('homelab'));
    expect(readFileSync(await provider.kubeconfig('homelab'), 'utf8')).toContain('token: first');
    expect(tools.calls('k3d').filter((c) => c[0] === 'kubeconfig')).toHaveLength(2);
  });

  test('a failed kubeconfig fetch is not kept: the next call asks k3d again', async () => {
    await expect(provider.kubeconfig('homelab')).rejects.toThrow(/does not exist/);
    givenClusters('homelab');
    writeFileSync(join(tools.k3dState, 'kubeconfig.yaml'), kubeconfigFor(api, 'k3d-homelab', 'later'));
    expect(readFileSync(await provider.kubeconfig('homelab'), 'utf8')).toContain('token: later');
  });

  test('a cluster k3d does not know is an error naming it', async () => {
    await expect(provider.kubeconfig('homelab')).rejects.toThrow(/k3d kubeconfig get homelab: exit 1\n.*cluster 'homelab' does not exist/);
  });

  test('apiServer comes from k3d\'s own list (not the kubeconfig), node names from the API', async () => {
    const port = new URL(api.url).port;
    writeFileSync(join(tools.k3dState, 'clusters.json'), JSON.stringify([{ name: 'homelab', nodes: [{ role: 'loadbalancer', portMappings: { '6443/tcp': [{ HostIp: '0.0.0.0', HostPort: port }] } }] }]));
    writeFileSync(join(tools.k3dState, 'kubeconfig.yaml'), kubeconfigFor(api, 'k3d-homelab', api.token));
    expect(await provider.apiServer('homelab')).toBe(`https://0.0.0.0:${port}`);
    expect(await provider.nodeNames('homelab')).toEqual(['k3d-homelab-server-0', 'k3d-homelab-agent-0']);
  });
});

describe('K3dProvider.create for a throwaway cluster (dr-test, drill)', () => {
  test('publishes free loopback ports and mounts empty scratch directories instead of production\'s; delete removes them', async () => {
    const result = await provider.create('homelab-drtest-1', { config: exampleCluster, throwaway: true });
    const written = parse(readFileSync(join(tools.k3dState, 'created-config.yaml'), 'utf8')) as { ports: Array<{ port: string }>; volumes: Array<{ volume: string }> };
    const scratch = join(root, 'homelab-drtest-1', 'scratch', 'volume-0');
    expect(written.volumes).toEqual([{ volume: `${scratch}:${scratch}`, nodeFilters: ['server:*'] }]);
    expect(written.ports).toHaveLength(1);
    const [, host, hostPort, containerPort] = /^([^:]+):(\d+):(\d+)$/.exec(written.ports[0]!.port)!;
    expect([host, containerPort]).toEqual(['127.0.0.1', '443']);
    expect(Number(hostPort)).not.toBe(443);
    expect(result).toEqual({ ports: [expect.objectContaining({ spec: '443:443', to: written.ports[0]!.port })], paths: [expect.objectContaining({ source: '/srv/homelab', scratch, mounted: true })] });
    expect(readdirSync(scratch)).toEqual([]);
    await provider.delete('homelab-drtest-1');
    expect(existsSync(join(root, 'homelab-drtest-1'))).toBe(false);
  });

  test('seed: copy gives the throwaway cluster a copy of the production path, and production stays as it was', async () => {
    const production = mkdtempSync(join(tmpdir(), 'hdr-prod-data-'));
    mkdirSync(join(production, 'db'));
    writeFileSync(join(production, 'db', 'rows'), 'production rows\n');
    try {
      const config: ClusterConfig = { ...exampleCluster, volumes: [{ volume: `${production}:/srv/homelab`, nodeFilters: ['server:*'], seed: 'copy' }] };
      await provider.create('homelab-drtest-2', { config, throwaway: true });
      const scratch = join(root, 'homelab-drtest-2', 'scratch', 'volume-0');
      expect(readFileSync(join(scratch, 'db', 'rows'), 'utf8')).toBe('production rows\n');
      writeFileSync(join(scratch, 'db', 'rows'), 'drill wrote here\n');
      expect(readFileSync(join(production, 'db', 'rows'), 'utf8')).toBe('production rows\n');
      expect(readFileSync(join(tools.k3dState, 'created-config.yaml'), 'utf8')).not.toContain(production);
    } finally {
      rmSync(production, { recursive: true, force: true });
    }
  });

  test('a production create keeps the config as written', async () => {
    await provider.create('homelab', { config: exampleCluster });
    expect(readFileSync(join(tools.k3dState, 'created-config.yaml'), 'utf8')).toContain('/srv/homelab:/srv/homelab');
  });
});

describe('missing k3d', () => {
  test('every operation says k3d is not installed, with the PATH it searched', async () => {
    const emptyBin = mkdtempSync(join(tmpdir(), 'hdr-empty-bin-'));
    const savedPath = process.env.PATH;
    process.env.PATH = emptyBin;
    try {
      for (const attempt of [() => provider.exists('homelab'), () => provider.create('homelab', { config: exampleCluster }), () => provider.delete('homelab'), () => provider.kubeconfig('homelab')]) {
        const err = await attempt().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InputError);
        expect((err as Error).message).toBe(`k3d is not installed (PATH=${emptyBin})`);
      }
    } finally {
      process.env.PATH = savedPath;
      rmSync(emptyBin, { recursive: true, force: true });
    }
  });
});
