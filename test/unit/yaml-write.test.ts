// Issue 14: every YAML homelab-dr writes reads back the same under YAML 1.2 (the yaml package's core
// schema) and under kubectl's YAML 1.1 (loadKubeYaml, itself compared with sigs.k8s.io/yaml).
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { pinnedKubeconfig } from '../../src/cluster/existing-kubeconfig.js';
import { k3dConfigYaml, type K3dSimpleConfig } from '../../src/cluster/k3d-config.js';
import { kwokctlConfigYaml } from '../../src/cluster/kwok-args.js';
import { writeYaml } from '../../src/k8s/yaml-write.js';
import { loadKubeYaml } from '../../src/k8s/yaml11.js';
import { sealSecret } from '../../src/secrets/seal.js';
import { SCALARS } from '../fixtures/k8s/yaml11-generator.js';
import { makeSealingKey } from '../fixtures/secrets/sealing-keys.js';

// Strings that a plain scalar would turn into something else under one reading or the other.
const AMBIGUOUS = [...SCALARS, '.inf', '-.Inf', '.nan', '<<', '1:20', '2001-12-14'];

function bothReadings(text: string): { yaml11: unknown; yaml12: unknown } {
  return { yaml11: loadKubeYaml(text, 'written.yaml').value, yaml12: parse(text) as unknown };
}

function expectReadsBack(text: string, expected: unknown): void {
  const { yaml11, yaml12 } = bothReadings(text);
  expect(yaml12).toEqual(expected);
  expect(yaml11).toEqual(expected);
}

describe('writeYaml', () => {
  it('quotes every string either reading would take for something else, as values, keys and items', () => {
    const value = {
      values: Object.fromEntries(AMBIGUOUS.map((s, i) => [`k${i}`, s])),
      keys: Object.fromEntries(AMBIGUOUS.map((s, i) => [s, i])),
      items: AMBIGUOUS,
      numbers: [256, 0.5, 1000, -42, true, false, null],
    };
    expectReadsBack(writeYaml(value), value);
  });

  it('leaves ordinary strings plain', () => {
    expect(writeYaml({ name: 'web-1', image: 'nginx:1.27' })).toBe('name: web-1\nimage: nginx:1.27\n');
  });
});

describe('every writer', () => {
  it('seal: the issue\'s label backup: yes comes out quoted, and every field reads back', () => {
    const key = makeSealingKey();
    const sealed = sealSecret(
      { name: 'on', namespace: 'no', labels: { backup: 'yes', mode: '0400' }, annotations: { at: '1:20', off: 'off' }, data: { token: 'x' } },
      key.certPem,
    );
    const text = writeYaml(sealed);
    expect(text).toContain('backup: "yes"');
    expectReadsBack(text, JSON.parse(JSON.stringify(sealed)));
  });

  it('k3d config', () => {
    const simple: K3dSimpleConfig = {
      apiVersion: 'k3d.io/v1alpha5', kind: 'Simple', metadata: { name: 'yes' }, servers: 1, agents: 0, image: 'rancher/k3s:v1.33.4-k3s1',
      ports: [{ port: '0400', nodeFilters: ['on'] }],
      registries: { use: ['y'], config: 'mirrors:\n  "docker.io":\n    endpoint: ["http://0x1F:5000"]\n' },
      options: { k3s: { extraArgs: [{ arg: '1_000', nodeFilters: ['server:0'] }] }, kubeconfig: { updateDefaultKubeconfig: false, switchCurrentContext: false } },
    };
    expectReadsBack(k3dConfigYaml(simple), JSON.parse(JSON.stringify(simple)));
  });

  it('kwokctl config', () => {
    const ports = { kubeApiserverPort: 32766, etcdPort: 32765, etcdPeerPort: 32764, kubeControllerManagerPort: 32763, kubeSchedulerPort: 32762, kwokControllerPort: 32761 };
    expectReadsBack(kwokctlConfigYaml(ports), { apiVersion: 'config.kwok.x-k8s.io/v1alpha1', kind: 'KwokctlConfiguration', options: { bindAddress: '127.0.0.1', ...ports } });
  });

  it('pinned kubeconfig', () => {
    const source = [
      'apiVersion: v1', 'kind: Config', 'current-context: "yes"',
      'clusters:', '- name: "on"', '  cluster: {server: "https://127.0.0.1:6443"}',
      'users:', '- name: "0400"', '  user: {token: "off"}',
      'contexts:', '- name: "yes"', '  context: {cluster: "on", user: "0400", namespace: "n"}', '',
    ].join('\n');
    const pinned = pinnedKubeconfig([{ path: '/home/me/.kube/config', text: source }]);
    const { yaml11, yaml12 } = bothReadings(pinned.text);
    expect(yaml11).toEqual(yaml12);
    expect(yaml11).toMatchObject({ 'current-context': 'yes', users: [{ name: '0400', user: { token: 'off' } }] });
  });
});
