import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import type { ClusterConfig } from '../../src/config/types.js';
import { isolationLines, mapPaths, mapPorts, parseVolume, portsNeeded, remapPvPaths, throwawayClusterConfig } from '../../src/cluster/isolation.js';
import {
  apiServerFromList,
  clusterNamesFromList,
  embeddableRegistriesYaml,
  imageTagProblem,
  k3dConfigYaml,
  k3dCreateArgs,
  k3dSimpleConfig,
} from '../../src/cluster/k3d-config.js';
import { InputError } from '../../src/util/errors.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/k3d/${name}`, import.meta.url), 'utf8');

/** The cluster section of homelab.example.yaml, as the loader hands it over. */
const exampleCluster: ClusterConfig = {
  provider: 'k3d',
  name: 'homelab',
  servers: 1,
  agents: 0,
  image: 'rancher/k3s:v1.33.4-k3s1',
  registries: { use: ['k3d-registry.localhost:5050'], config: '/etc/homelab/registries.yaml' },
  ports: [{ port: '443:443', nodeFilters: ['loadbalancer'] }],
  volumes: [{ volume: '/srv/homelab:/srv/homelab', nodeFilters: ['server:*'], seed: 'empty' }],
  k3sArgs: [{ arg: '--disable=traefik', nodeFilters: ['server:*'] }],
};

describe('k3d config file', () => {
  test('the example cluster becomes exactly this v1alpha5 Simple config, registries.yaml embedded', () => {
    const registries = fixture('registries.yaml');
    const simple = k3dSimpleConfig('homelab', exampleCluster, registries);
    expect(simple).toEqual({
      apiVersion: 'k3d.io/v1alpha5',
      kind: 'Simple',
      metadata: { name: 'homelab' },
      servers: 1,
      agents: 0,
      image: 'rancher/k3s:v1.33.4-k3s1',
      volumes: [{ volume: '/srv/homelab:/srv/homelab', nodeFilters: ['server:*'] }],
      ports: [{ port: '443:443', nodeFilters: ['loadbalancer'] }],
      registries: { use: ['k3d-registry.localhost:5050'], config: registries },
      options: {
        k3s: { extraArgs: [{ arg: '--disable=traefik', nodeFilters: ['server:*'] }] },
        kubeconfig: { updateDefaultKubeconfig: false, switchCurrentContext: false },
      },
    });
    const text = k3dConfigYaml(simple);
    expect(text).toBe(fixture('homelab-cluster.yaml'));
    expect(parse(text)).toEqual(simple);
  });

  test('metadata.name is the cluster being created, not config.name (a dr-test cluster has its own)', () => {
    expect(k3dSimpleConfig('homelab-drtest', exampleCluster, '').metadata.name).toBe('homelab-drtest');
  });

  test('a cluster with no extras writes no empty sections', () => {
    const bare: ClusterConfig = { provider: 'k3d', name: 'lab', servers: 1, agents: 2, ports: [], volumes: [], k3sArgs: [] };
    expect(parse(k3dConfigYaml(k3dSimpleConfig('lab', bare)))).toEqual({
      apiVersion: 'k3d.io/v1alpha5',
      kind: 'Simple',
      metadata: { name: 'lab' },
      servers: 1,
      agents: 2,
      options: { kubeconfig: { updateDefaultKubeconfig: false, switchCurrentContext: false } },
    });
  });

  test('registries.use alone gives no config key', () => {
    const useOnly = { ...exampleCluster, registries: { use: ['k3d-registry.localhost:5050'] } };
    expect(k3dSimpleConfig('homelab', useOnly).registries).toEqual({ use: ['k3d-registry.localhost:5050'] });
  });

  test('a one-line registries.yaml still embeds as content: k3d reads a value without a newline as a path', () => {
    expect(embeddableRegistriesYaml('mirrors: {docker.io: {endpoint: [https://m.example]}}')).toBe('mirrors: {docker.io: {endpoint: [https://m.example]}}\n');
    expect(embeddableRegistriesYaml('a: 1\n\n\n')).toBe('a: 1\n');
    const simple = k3dSimpleConfig('homelab', exampleCluster, 'mirrors: {}');
    expect(parse(k3dConfigYaml(simple)).registries.config).toBe('mirrors: {}\n');
  });

  test('an image without a tag is an InputError naming the field and the image', () => {
    const untagged = { ...exampleCluster, image: 'rancher/k3s' };
    expect(() => k3dSimpleConfig('homelab', untagged, '')).toThrow(InputError);
    expect(() => k3dSimpleConfig('homelab', untagged, '')).toThrow('cluster.image: image "rancher/k3s" has no tag: pin the k3s version, e.g. rancher/k3s:v1.33.4-k3s1');
  });
});

describe('imageTagProblem', () => {
  test.each([
    ['rancher/k3s:v1.33.4-k3s1', undefined],
    ['registry.local:5000/rancher/k3s:v1.33.4-k3s1', undefined],
    ['rancher/k3s@sha256:0123abcd', undefined],
    ['rancher/k3s', 'no tag'],
    ['rancher/k3s:', 'no tag'],
    ['registry.local:5000/rancher/k3s', 'no tag'],
    ['rancher/k3s@', 'empty digest'],
  ])('%s', (image, problem) => {
    const found = imageTagProblem(image);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe('k3d command lines', () => {
  test('create waits, with the timeout in whole seconds rounded up', () => {
    expect(k3dCreateArgs('/state/k3d/homelab/k3d-config.yaml', 90_500)).toEqual([
      'cluster', 'create', '--config', '/state/k3d/homelab/k3d-config.yaml', '--wait', '--timeout', '91s',
    ]);
  });

  test('cluster list JSON gives the names; anything else is an error', () => {
    expect(clusterNamesFromList('[{"name":"homelab","serversCount":1},{"name":"other"}]')).toEqual(['homelab', 'other']);
    expect(clusterNamesFromList('[]')).toEqual([]);
    expect(() => clusterNamesFromList('FATA[0000] docker not running')).toThrow(/not JSON/);
    // k3d's own WARN/INFO lines on stdout (seen while another cluster was being created) are not the list.
    expect(clusterNamesFromList('\x1b[33mWARN\x1b[0m[0000] No node filter specified\nINFO[0001] x\n[{"name":"homelab"}]\n')).toEqual(['homelab']);
    expect(() => clusterNamesFromList('WARN[0000] a warning\n')).toThrow(/not JSON/);
    expect(() => clusterNamesFromList('something else\n[{"name":"homelab"}]')).toThrow(/not JSON/);
    expect(() => clusterNamesFromList('{"name":"homelab"}')).toThrow(/no JSON list/);
  });
});

describe('a throwaway cluster shares no host port and no host path with production (issue 11 item 1)', () => {
  const scratchRoot = '/var/lib/homelab-dr/k3d/homelab-drtest-1/scratch';
  const production: ClusterConfig = {
    ...exampleCluster,
    ports: [
      { port: '443:443', nodeFilters: ['loadbalancer'] },
      { port: '192.168.1.10:8053:53/udp', nodeFilters: ['loadbalancer'] },
      { port: '30000-30010:30000-30010', nodeFilters: ['server:0'] },
    ],
    volumes: [
      { volume: '/srv/attic:/srv/attic', nodeFilters: ['server:*'], seed: 'empty' },
      { volume: '/srv/photos:/data/photos:ro', nodeFilters: ['server:*'], seed: 'copy' },
    ],
  };
  const isolation = { ports: mapPorts(production.ports, [41001, 41002]), paths: mapPaths(production.volumes, scratchRoot, true) };
  const simple = k3dSimpleConfig('homelab-drtest-1', throwawayClusterConfig(production, isolation), fixture('registries.yaml'));

  test('every single port goes to a free loopback port, a range is dropped, and the plan says which', () => {
    expect(simple.ports).toEqual([
      { port: '127.0.0.1:41001:443', nodeFilters: ['loadbalancer'] },
      { port: '127.0.0.1:41002:53/udp', nodeFilters: ['loadbalancer'] },
    ]);
    expect(portsNeeded(production.ports)).toBe(2);
    const lines = isolationLines(isolation);
    expect(lines[0]).toBe('port 443:443 → 127.0.0.1:41001:443 (production keeps its host port; the throwaway cluster gets a free port on loopback)');
    expect(lines[2]).toMatch(/^port 30000-30010:30000-30010 dropped: a port range/);
  });

  test('every volume source becomes a scratch directory under the state directory, mounted at that same path', () => {
    expect(simple.volumes).toEqual([
      { volume: `${scratchRoot}/volume-0:${scratchRoot}/volume-0`, nodeFilters: ['server:*'] },
      { volume: `${scratchRoot}/volume-1:${scratchRoot}/volume-1:ro`, nodeFilters: ['server:*'] },
    ]);
    expect(isolationLines(isolation)[4]).toBe(
      `volume /srv/photos:/data/photos → scratch ${scratchRoot}/volume-1: a copy of /srv/photos taken at creation, mounted at ${scratchRoot}/volume-1 instead of /data/photos; removed at teardown`,
    );
  });

  test('the generated k3d config names none of production\'s host ports or paths', () => {
    const yaml = k3dConfigYaml(simple);
    for (const taken of ['443:443', '8053', '30000', '/srv/attic', '/srv/photos', '/data/photos']) expect(yaml).not.toContain(taken);
    // The production config itself is left as it was.
    expect(k3dConfigYaml(k3dSimpleConfig('homelab', production, fixture('registries.yaml')))).toContain('/srv/attic:/srv/attic');
  });

  test('without free ports (the plan) the mapping says one is chosen at creation', () => {
    expect(mapPorts([{ port: '443:443', nodeFilters: [] }])[0]?.to).toBe('127.0.0.1:<free port>:443');
  });

  test('PV local and hostPath paths under a remapped volume follow it; others are left alone', () => {
    const pv = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name }, spec });
    const { objects, changes } = remapPvPaths([
      pv('attic', { local: { path: '/srv/attic/db' } }),
      pv('photos', { hostPath: { path: '/data/photos', type: 'Directory' } }),
      pv('atticx', { local: { path: '/srv/atticx' } }),
      pv('elsewhere', { local: { path: '/var/lib/other' } }),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { path: '/srv/attic' } },
    ], isolation.paths);
    expect(changes).toEqual([
      { pv: 'attic', from: '/srv/attic/db', to: `${scratchRoot}/volume-0/db` },
      { pv: 'photos', from: '/data/photos', to: `${scratchRoot}/volume-1` },
    ]);
    expect((objects[0]!.spec as { local: { path: string } }).local.path).toBe(`${scratchRoot}/volume-0/db`);
    expect((objects[1]!.spec as { hostPath: { path: string; type: string } }).hostPath).toEqual({ path: `${scratchRoot}/volume-1`, type: 'Directory' });
    expect((objects[2]!.spec as { local: { path: string } }).local.path).toBe('/srv/atticx');
    expect(objects[4]).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { path: '/srv/attic' } });
  });

  test('a volume without a destination is not a mount and maps to nothing', () => {
    expect(parseVolume('/srv/attic')).toBeUndefined();
    expect(parseVolume('attic-data:/srv/attic')).toEqual({ source: 'attic-data', nodePath: '/srv/attic' });
  });
});

describe('apiServerFromList: the provider\'s own record of its cluster', () => {
  test('the load balancer\'s published 6443, else the server\'s kubeAPI', () => {
    const list = JSON.stringify([
      { name: 'other', nodes: [{ role: 'loadbalancer', portMappings: { '6443/tcp': [{ HostIp: '0.0.0.0', HostPort: '40001' }] } }] },
      { name: 'homelab', nodes: [
        { role: 'server', serverOpts: { kubeAPI: { Host: '0.0.0.0', HostIP: '0.0.0.0', Port: '40002' } } },
        { role: 'loadbalancer', portMappings: { '443/tcp': [{ HostIp: '0.0.0.0', HostPort: '443' }], '6443/tcp': [{ HostIp: '0.0.0.0', HostPort: '40002' }] } },
      ] },
      { name: 'nolb', nodes: [{ role: 'server', serverOpts: { kubeAPI: { HostIP: '127.0.0.1', Port: '40003' } } }] },
    ]);
    expect(apiServerFromList(list, 'homelab')).toBe('https://0.0.0.0:40002');
    expect(apiServerFromList(list, 'nolb')).toBe('https://127.0.0.1:40003');
    expect(() => apiServerFromList(list, 'gone')).toThrow('k3d does not list a cluster named gone');
  });
});
