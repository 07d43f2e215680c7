import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import type { ClusterConfig } from '../../src/config/types.js';
import {
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
  volumes: [{ volume: '/srv/homelab:/srv/homelab', nodeFilters: ['server:*'] }],
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
    expect(() => clusterNamesFromList('{"name":"homelab"}')).toThrow(/no JSON list/);
  });
});
