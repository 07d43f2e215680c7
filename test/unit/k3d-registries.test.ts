import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { registriesDrift } from '../../src/cluster/k3d.js';
import { parseRegistriesYaml, registriesDifferences, registriesYamlProblem, registryCredentialValues } from '../../src/cluster/k3d-registries.js';
import { InputError } from '../../src/util/errors.js';
import { installFakeTools, type FakeTools } from '../fixtures/k3d/fake-bin.js';

const desiredText = readFileSync(new URL('../fixtures/k3d/registries.yaml', import.meta.url), 'utf8');
const USE = ['k3d-registry.localhost:5050'];

/** What k3d writes on the node for the fixture plus `use`: re-marshalled, keys reordered, its own mirror added. */
const nodeText = `configs:
  mirror.example.net:
    auth:
      password: fixture-registry-password
      username: homelab
    tls:
      insecure_skip_verify: false
mirrors:
  docker.io:
    endpoint:
    - https://mirror.example.net
    rewrite: {}
  k3d-registry.localhost:5000:
    endpoint:
    - http://k3d-registry.localhost:5000
  k3d-registry.localhost:5050:
    endpoint:
    - http://k3d-registry.localhost:5000
`;

const desired = parseRegistriesYaml(desiredText, 'registries.yaml');

describe('registriesDifferences (pure)', () => {
  test('the same content, re-marshalled by k3d with its own mirrors for registries.use, is not drift', () => {
    expect(registriesDifferences(desired, parseRegistriesYaml(nodeText, 'node'), USE)).toEqual([]);
  });

  test('without registries.use, the mirrors k3d added are drift', () => {
    expect(registriesDifferences(desired, parseRegistriesYaml(nodeText, 'node'), [])).toEqual([
      'mirrors["k3d-registry.localhost:5000"] is on the node but not in the desired registries.yaml',
      'mirrors["k3d-registry.localhost:5050"] is on the node but not in the desired registries.yaml',
    ]);
  });

  test('each difference is named by path, never by value', () => {
    const running = parseRegistriesYaml(
      nodeText.replace('https://mirror.example.net', 'https://old-mirror.example.net').replace('fixture-registry-password', 'old-password'),
      'node',
    );
    const differences = registriesDifferences(desired, running, USE);
    expect(differences).toEqual([
      'configs["mirror.example.net"].auth.password differs',
      'mirrors["docker.io"].endpoint differs',
    ]);
    expect(differences.join('\n')).not.toMatch(/old-password|fixture-registry-password|old-mirror/);
  });

  test('endpoint order is priority, so a reordered list is drift', () => {
    const twoEndpoints = parseRegistriesYaml('mirrors:\n  docker.io:\n    endpoint: [https://a.example, https://b.example]\n', 'desired');
    const swapped = parseRegistriesYaml('mirrors:\n  docker.io:\n    endpoint: [https://b.example, https://a.example]\n', 'node');
    expect(registriesDifferences(twoEndpoints, swapped)).toEqual(['mirrors["docker.io"].endpoint differs']);
  });

  test('a node without the file differs from any non-empty desired config, and matches an empty one', () => {
    expect(registriesDifferences(desired, undefined)).toEqual(['the node has no /etc/rancher/k3s/registries.yaml']);
    expect(registriesDifferences(parseRegistriesYaml('', 'desired'), undefined)).toEqual([]);
  });

  test('invalid YAML is an InputError naming its origin', () => {
    expect(() => parseRegistriesYaml('mirrors: [', '/etc/homelab/registries.yaml')).toThrow(InputError);
    expect(() => parseRegistriesYaml('- a\n- b\n', '/etc/homelab/registries.yaml')).toThrow('/etc/homelab/registries.yaml: registries.yaml is not a mapping');
  });

  test('registriesYamlProblem names line and column, and never the text (the file holds passwords)', () => {
    expect(registriesYamlProblem(desiredText)).toBeUndefined();
    expect(registriesYamlProblem('')).toBeUndefined();
    expect(registriesYamlProblem('mirrors:\n  docker.io:\n    endpoint: [\n')).toMatch(/^is not valid YAML at line 4, column 1: Flow sequence/);
    expect(registriesYamlProblem('- a\n')).toBe('is not a mapping');
    const leaky = 'configs:\n  r.example:\n    auth: { password: "s3cr\\qet" }\n';
    expect(registriesYamlProblem(leaky)).toMatch(/^is not valid YAML at line 3, column \d+: invalid escape sequence in a double-quoted string$/);
    const block = 'configs:\n  r.example:\n    auth:\n      password: |s3cret\n        x\n';
    expect(registriesYamlProblem(block)).toMatch(/^is not valid YAML at line 4/);
    expect(registriesYamlProblem(block)).not.toContain('s3cret');
  });

  test('credential values are collected for redaction', () => {
    expect(registryCredentialValues(desired)).toEqual(['homelab', 'fixture-registry-password']);
  });
});

describe('registriesDrift (fake docker)', () => {
  let tools: FakeTools;
  const container = 'k3d-homelab-server-0';
  beforeAll(() => {
    tools = installFakeTools();
  });
  afterAll(() => tools.restore());
  beforeEach(() => tools.reset());

  function nodeFile(text: string | undefined): void {
    const dir = join(tools.dockerState, 'containers', container);
    mkdirSync(dir, { recursive: true });
    if (text !== undefined) writeFileSync(join(dir, 'registries.yaml'), text);
  }

  test('reads the node file with exactly `docker exec k3d-<name>-server-0 cat …`; equal content is in sync', async () => {
    nodeFile(nodeText);
    const drift = await registriesDrift('homelab', desiredText, { use: USE });
    expect(tools.calls('docker')).toEqual([['exec', container, 'cat', '/etc/rancher/k3s/registries.yaml']]);
    expect(drift).toEqual({ inSync: true, differences: [], message: `registries.yaml on ${container} matches the desired one` });
  });

  test('different content: the message names the differences and says the fix is recreation, never docker restart', async () => {
    nodeFile(nodeText.replace('https://mirror.example.net', 'https://old-mirror.example.net'));
    const drift = await registriesDrift('homelab', desiredText, { use: USE });
    expect(drift.inSync).toBe(false);
    expect(drift.differences).toEqual(['mirrors["docker.io"].endpoint differs']);
    expect(drift.message).toContain('mirrors["docker.io"].endpoint differs');
    expect(drift.message).toContain('`homelab-dr dr-test` first, then `homelab-dr hard-reset`');
    expect(drift.message).toContain('Do not `docker restart` the node');
    expect(drift.message).not.toContain('fixture-registry-password');
  });

  test('a node without registries.yaml is drift', async () => {
    nodeFile(undefined);
    const drift = await registriesDrift('homelab', desiredText, { use: USE });
    expect(drift.differences).toEqual(['the node has no /etc/rancher/k3s/registries.yaml']);
  });

  test('a missing node container is an error, not "in sync"', async () => {
    await expect(registriesDrift('homelab', desiredText)).rejects.toThrow(/cannot read \/etc\/rancher\/k3s\/registries.yaml on k3d-homelab-server-0: .*No such container/);
  });

  test('missing docker is a clear error', async () => {
    const savedPath = process.env.PATH;
    process.env.PATH = '/nonexistent-bin';
    try {
      await expect(registriesDrift('homelab', desiredText)).rejects.toThrow('docker is not installed (PATH=/nonexistent-bin)');
    } finally {
      process.env.PATH = savedPath;
    }
  });
});
