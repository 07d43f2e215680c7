import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { InputError } from '../../src/util/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(here, '../fixtures/config');
// The design folder sits beside the repository (../shared), in CI as here.
const designExample = resolve('../shared/design/homelab.example.yaml');

// Lines 1-5 of most cases below; a case's own lines start at line 6.
const HEAD = `apiVersion: homelab-dr/v1
kind: RecoveryPlan
cluster:
  provider: k3d
  name: homelab
`;

function invalidConfig(text: string, options = { checkFiles: false }): InputError {
  try {
    parseConfig(text, 'homelab.yaml', options);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected the config to be rejected');
}

/** Asserts exit code 2, the summary line, and exactly these `line:col: field: message` details. */
function expectErrors(text: string, expected: string[]): void {
  const error = invalidConfig(text);
  expect(error.exitCode).toBe(2);
  const count = `${expected.length} error${expected.length === 1 ? '' : 's'}`;
  expect(error.message).toBe(`config ${resolve('homelab.yaml')} is invalid (${count})`);
  expect(error.details).toEqual(expected.map((line) => `homelab.yaml:${line}`));
}

describe('parseConfig rejects bad configs with file, line, column and field', () => {
  it('unknown top-level key, with the nearest allowed key', () => {
    expectErrors(`${HEAD}secret: []\n`, ['6:1: secret: unknown key; did you mean "secrets"?']);
  });

  it('unknown top-level key far from any allowed key gets no suggestion', () => {
    expectErrors(`${HEAD}frobnicate: true\n`, ['6:1: frobnicate: unknown key']);
  });

  it('typo in a nested key: the key is unknown and the real one is missing', () => {
    const text = HEAD.replace('  name: homelab', '  nmae: homelab');
    expectErrors(text, ['3:1: cluster.name: required key is missing', '5:3: cluster.nmae: unknown key; did you mean "name"?']);
  });

  it('typo deep inside a list item', () => {
    const text = `${HEAD}firewall:\n  defaultInput: drop\n  allow:\n    - { port: 22, protocol: tcp }\n`;
    expectErrors(text, ['9:19: firewall.allow[0].protocol: unknown key; did you mean "proto"?']);
  });

  it('wrong type', () => {
    expectErrors(HEAD + '  servers: two\n', ['6:12: cluster.servers: must be an integer']);
  });

  it('missing required cluster.name points at the cluster mapping', () => {
    expectErrors(HEAD.replace('  name: homelab\n', ''), ['3:1: cluster.name: required key is missing']);
  });

  it('missing cluster altogether points at the top of the document', () => {
    expectErrors('# a comment\napiVersion: homelab-dr/v1\nkind: RecoveryPlan\n', ['2:1: cluster: required key is missing']);
  });

  it('bad provider enum, with a suggestion', () => {
    expectErrors(HEAD.replace('provider: k3d', 'provider: k3s'), ['4:13: cluster.provider: must be one of: k3d, kwok, existing; did you mean "k3d"?']);
  });

  it('bad apiVersion', () => {
    expectErrors(HEAD.replace('homelab-dr/v1', 'homelab-dr/v2'), ['1:13: apiVersion: must be "homelab-dr/v1"']);
  });

  it('bad kind', () => {
    expectErrors(HEAD.replace('RecoveryPlan', 'Plan'), ['2:7: kind: must be "RecoveryPlan"']);
  });

  it('negative servers', () => {
    expectErrors(HEAD + '  servers: -1\n', ['6:12: cluster.servers: must be an integer >= 1']);
  });

  it('cluster name that is not a DNS-1123 label', () => {
    expectErrors(HEAD.replace('name: homelab', 'name: Home_Lab'), [
      "5:9: cluster.name: must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
    ]);
  });

  it('reference to an undefined secret store, with a suggestion', () => {
    const text = `${HEAD}secretStores:
  gitlab: { type: gitlab, url: https://gitlab.com, project: "1", tokenEnv: GITLAB_TOKEN }
secrets:
  - name: tunnel
    namespace: networking
    data:
      token: { store: gitlb, key: CF_TUNNEL_TOKEN }
`;
    expectErrors(text, ['12:23: secrets[0].data.token.store: secret store "gitlb" is not defined in secretStores; did you mean "gitlab"?']);
  });

  it('key backup from a store when no store is defined', () => {
    const text = `${HEAD}sealedSecrets:\n  keyBackup:\n    from: { store: vault, key: sealed-secrets-key }\n`;
    expectErrors(text, ['8:20: sealedSecrets.keyBackup.from.store: secret store "vault" is not defined (secretStores is empty)']);
  });

  it('duplicate secret in one namespace names both lines', () => {
    const text = `${HEAD}secrets:
  - name: token
    namespace: networking
    data: { a: { value: x } }
  - name: token
    namespace: apps
    data: { a: { value: x } }
  - name: token
    namespace: networking
    data: { a: { value: x } }
`;
    expectErrors(text, ['13:11: secrets[2].name: duplicate secret networking/token (first at line 7)']);
  });

  it('duplicate app name', () => {
    const text = `${HEAD}apps:\n  - name: web\n    manifests: ./a\n  - name: web\n    manifests: ./b\n`;
    expectErrors(text, ['9:11: apps[1].name: duplicate app web (first at line 7)']);
  });

  it('bad duration', () => {
    const text = `${HEAD}apps:\n  items: []\n  wait: { timeout: 10 minutes }\n`;
    expectErrors(text, ['8:20: apps.wait.timeout: must be a duration such as 90s, 10m or 1h30m (units h, m, s, ms)']);
  });

  it('zero duration', () => {
    const text = `${HEAD}secretStores:\n  pass:\n    type: exec\n    command: [pass, show]\n    timeout: 0s\n`;
    expectErrors(text, ['10:14: secretStores.pass.timeout: must be longer than 0']);
  });

  it('firewall port out of range, both ends', () => {
    const text = `${HEAD}firewall:\n  defaultInput: drop\n  allow:\n    - { port: 70000 }\n    - { port: 0, proto: udp }\n`;
    expectErrors(text, [
      '9:15: firewall.allow[0].port: must be an integer from 1 to 65535',
      '10:15: firewall.allow[1].port: must be an integer from 1 to 65535',
    ]);
  });

  it('bad CIDR and bad address in firewall.allow[].from', () => {
    const text = `${HEAD}firewall:
  defaultInput: drop
  allow:
    - { port: 22, from: 192.168.1.0/33 }
    - { port: 22, from: not-an-ip }
    - { port: 22, from: "fd00::/64" }
`;
    expectErrors(text, [
      '9:25: firewall.allow[0].from: must be an IP address or CIDR, for example 192.168.1.0/24',
      '10:25: firewall.allow[1].from: must be an IP address or CIDR, for example 192.168.1.0/24',
    ]);
  });

  it('firewall without defaultInput (no silent default: drop can lock you out)', () => {
    expectErrors(`${HEAD}firewall:\n  allow: []\n`, ['6:1: firewall.defaultInput: required key is missing']);
  });

  it('YAML syntax error reports its line and column', () => {
    expectErrors(`${HEAD}storage: { file: ./storage.yaml\n`, ['7:1: YAML syntax: Flow map in block collection must be sufficiently indented and end with a }']);
  });

  it('duplicate YAML key is a syntax error on the second key', () => {
    expectErrors(`${HEAD}  name: other\n`, ['6:3: YAML syntax: Map keys must be unique']);
  });

  it('a wait: that is not the documented apps shape stays a syntax error', () => {
    const text = `${HEAD}apps:\n  - name: web\n    manifests: ./web\n wait: { timeout: 10m }\n`;
    const error = invalidConfig(text);
    expect(error.details.length).toBeGreaterThan(0);
    expect(error.details.every((line) => /^homelab\.yaml:9:\d+: YAML syntax: /.test(line))).toBe(true);
  });

  it('secret data entry with both value and store', () => {
    const text = `${HEAD}secretStores:
  env: { type: env }
secrets:
  - name: repo
    namespace: argocd
    data:
      url: { value: hunter2-not-secret-but-still-hidden, store: env }
`;
    const error = invalidConfig(text);
    expect(error.details).toEqual(['homelab.yaml:12:12: secrets[0].data.url: set exactly one of: value, store']);
    expect(JSON.stringify(error)).not.toContain('hunter2');
    expect(error.message).not.toContain('hunter2');
  });

  it('secret data entry with a key but no store', () => {
    const text = `${HEAD}secrets:\n  - name: repo\n    namespace: argocd\n    data:\n      token: { key: TOKEN }\n`;
    expectErrors(text, ['10:14: secrets[0].data.token: set exactly one of: value, store']);
  });

  it('secret data value of the wrong type does not echo the value', () => {
    const text = `${HEAD}secrets:\n  - name: repo\n    namespace: argocd\n    data:\n      pin: { value: 987654 }\n`;
    const error = invalidConfig(text);
    expect(error.details).toEqual(['homelab.yaml:10:21: secrets[0].data.pin.value: must be a string']);
    expect(error.details.join('\n')).not.toContain('987654');
  });

  it('empty file', () => {
    expectErrors('', ['1:1: (top level): the config is empty; start with apiVersion: homelab-dr/v1 and kind: RecoveryPlan']);
  });

  it('a file of only comments is empty too', () => {
    expectErrors('# nothing yet\n\n', ['1:1: (top level): the config is empty; start with apiVersion: homelab-dr/v1 and kind: RecoveryPlan']);
  });

  it('a top-level list instead of a mapping', () => {
    expectErrors('- apiVersion: homelab-dr/v1\n- kind: RecoveryPlan\n', ['1:1: (top level): must be a mapping']);
  });

  it('unknown secret store type, with a suggestion', () => {
    expectErrors(`${HEAD}secretStores:\n  box:\n    type: sopss\n    path: ./x\n`, ['8:11: secretStores.box.type: must be one of: gitlab, sops, age, file, env, exec; did you mean "sops"?']);
  });

  it('gitlab store without tokenEnv, and a key that belongs to another store type', () => {
    const text = `${HEAD}secretStores:\n  gitlab:\n    type: gitlab\n    url: https://gitlab.com\n    project: "42"\n    path: ./x\n`;
    expectErrors(text, ['7:3: secretStores.gitlab.tokenEnv: required key is missing', '11:5: secretStores.gitlab.path: unknown key']);
  });

  it('app with two sources, and app with none', () => {
    const text = `${HEAD}apps:\n  - name: web\n    manifests: ./web\n    kustomize: ./web\n  - name: empty\n`;
    expectErrors(text, ['7:5: apps[0]: set exactly one of: manifests, kustomize, helm', '10:5: apps[1]: set exactly one of: manifests, kustomize, helm']);
  });

  it('apps that is neither a list nor a mapping', () => {
    expectErrors(`${HEAD}apps: web\n`, ['6:7: apps: must be a list or a mapping']);
  });

  it('typo in the mapping form of apps', () => {
    expectErrors(`${HEAD}apps:\n  items: []\n  wiat: { timeout: 5m }\n`, ['8:3: apps.wiat: unknown key; did you mean "wait"?']);
  });

  it('bad label key and bad label value', () => {
    const text = `${HEAD}storage:\n  file: ./s.yaml\n  requiredLabels: { "bad key": prod, tier: "not ok" }\n`;
    expectErrors(text, [
      '8:21: storage.requiredLabels["bad key"]: key must be a Kubernetes label key such as environment or example.com/tier',
      "8:44: storage.requiredLabels.tier: must be a Kubernetes label value: letters, digits, '-', '_' and '.', at most 63 characters",
    ]);
  });

  it('exec store with an empty command', () => {
    expectErrors(`${HEAD}secretStores:\n  pass: { type: exec, command: [] }\n`, ['7:32: secretStores.pass.command: must list at least 1 item(s)']);
  });

  it('null section value points at its key', () => {
    expectErrors(`${HEAD}drill:\n`, ['6:1: drill: must be a mapping']);
  });

  it('collects every error, sorted by line, and counts them in the summary', () => {
    const text = `apiVersion: homelab-dr/v1
kind: RecoveryPlan
cluster:
  provider: docker
  name: homelab
  servers: 0
firewall:
  defaultInput: reject
`;
    const error = invalidConfig(text);
    expect(error.message).toBe(`config ${resolve('homelab.yaml')} is invalid (3 errors)`);
    expect(error.details.map((line) => line.split(': ')[0])).toEqual(['homelab.yaml:4:13', 'homelab.yaml:6:12', 'homelab.yaml:8:17']);
    expect(error.details.map((line) => line.split(': ')[1])).toEqual(['cluster.provider', 'cluster.servers', 'firewall.defaultInput']);
  });
});

describe('referenced paths', () => {
  it('a referenced input that does not exist is an error on its line; outputs and store files are not checked', async () => {
    const file = join(fixtures, 'missing-file/homelab.yaml');
    const error = await loadConfig(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputError);
    const details = (error as InputError).details;
    expect((error as InputError).message).toBe(`config ${file} is invalid (2 errors)`);
    expect(details).toEqual([
      `${file}:7:9: namespaces.file: ./kubernetes/namespaces.yaml does not exist (looked for ${join(fixtures, 'missing-file/kubernetes/namespaces.yaml')})`,
      `${file}:10:16: apps[0].manifests: ./kubernetes/web does not exist (looked for ${join(fixtures, 'missing-file/kubernetes/web')})`,
    ]);
  });

  it('checkFiles: false skips the existence check but still resolves', async () => {
    const config = await loadConfig(join(fixtures, 'missing-file/homelab.yaml'), { checkFiles: false });
    expect(config.namespaces?.file).toBe(join(fixtures, 'missing-file/kubernetes/namespaces.yaml'));
    expect(config.secretStores.offline).toEqual({ type: 'sops', path: join(fixtures, 'missing-file/secrets/not-yet-there.sops.yaml') });
  });

  it('kubeconfig must exist for provider existing only', () => {
    const existing = `${HEAD.replace('provider: k3d', 'provider: existing')}  kubeconfig: ./no-such-kubeconfig\n`;
    const error = (() => {
      try {
        parseConfig(existing, join(fixtures, 'x.yaml'));
      } catch (e) {
        return e as InputError;
      }
      throw new Error('expected a missing kubeconfig to be rejected');
    })();
    expect(error.details).toEqual([
      `${join(fixtures, 'x.yaml')}:6:15: cluster.kubeconfig: ./no-such-kubeconfig does not exist (looked for ${join(fixtures, 'no-such-kubeconfig')})`,
    ]);
    const k3d = parseConfig(`${HEAD}  kubeconfig: ./no-such-kubeconfig\n`, join(fixtures, 'x.yaml'));
    expect(k3d.cluster.kubeconfig).toBe(join(fixtures, 'no-such-kubeconfig'));
  });

  it('resolve against the config file directory, not the working directory', async () => {
    const dir = join(fixtures, 'paths');
    const config = await loadConfig(join(dir, 'homelab.yaml'));
    expect(config.source).toBe(join(dir, 'homelab.yaml'));
    expect(config.cluster.registries).toEqual({ use: ['k3d-registry.localhost:5050'], config: join(dir, 'registries.yaml') });
    expect(config.namespaces).toEqual({ file: join(dir, 'k8s/namespaces.yaml'), createMissing: false });
    expect(config.storage?.file).toBe(join(dir, 'k8s/storage.yaml'));
    expect(config.sealedSecrets?.controller.manifests).toBe(join(dir, 'k8s/sealed-secrets.yaml'));
    expect(config.sealedSecrets?.certOut).toBe(join(dir, 'out/pub-cert.pem'));
    expect(config.secretStores.local).toEqual({ type: 'file', path: join(dir, 'secrets/values.yaml') });
    expect(config.apps.items).toEqual([
      { name: 'web', manifests: join(dir, 'apps/web') },
      { name: 'media', kustomize: join(dir, 'apps/media') },
      { name: 'demo', helm: { chart: join(dir, 'charts/demo'), namespace: 'apps', values: join(dir, 'charts/demo-values.yaml') } },
      { name: 'remote', helm: { chart: 'oci://registry.example.com/charts/remote', namespace: 'apps' } },
    ]);
    expect(config.apps.wait.timeoutMs).toBe(5_400_000);
    expect(config.drill.reportDir).toBe(join(dir, 'reports'));
    expect(config.warnings).toEqual([]);
  });

  it('~/ paths resolve against the home directory', () => {
    const config = parseConfig(`${HEAD}drill:\n  metricsTextfile: ~/metrics/homelab_dr.prom\n`, 'homelab.yaml', { checkFiles: false });
    expect(config.drill.metricsTextfile).toBe(join(homedir(), 'metrics/homelab_dr.prom'));
  });
});

describe("an exec store's ./program", () => {
  const STORE = 'secretStores:\n  demo:\n    type: exec\n    command: ["./bin/lookup.sh", "--vault", "home"]\n';

  function homelab(): { dir: string; file: string } {
    const dir = mkdtempSync(join(tmpdir(), 'hdr-exec-'));
    const file = join(dir, 'homelab.yaml');
    writeFileSync(file, `${HEAD.replace('provider: k3d', 'provider: kwok')}${STORE}`);
    return { dir, file };
  }

  function errorOf(file: string): InputError {
    try {
      parseConfig(readFileSync(file, 'utf8'), file);
    } catch (error) {
      return error as InputError;
    }
    throw new Error('expected the config to be rejected');
  }

  it('resolves against the config directory and leaves the arguments alone', () => {
    const { dir, file } = homelab();
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin/lookup.sh'), '#!/bin/sh\n', { mode: 0o755 });
    expect(parseConfig(readFileSync(file, 'utf8'), file).secretStores.demo).toEqual({
      type: 'exec', command: [join(dir, 'bin/lookup.sh'), '--vault', 'home'], timeoutMs: 10_000,
    });
  });

  it('that does not exist is an error on its line (exit 2), unless checkFiles is false', () => {
    const { dir, file } = homelab();
    expect(errorOf(file).details).toEqual([
      `${file}:9:15: secretStores.demo.command[0]: ./bin/lookup.sh does not exist (looked for ${join(dir, 'bin/lookup.sh')})`,
    ]);
    expect(parseConfig(readFileSync(file, 'utf8'), file, { checkFiles: false }).secretStores.demo).toMatchObject({ command: [join(dir, 'bin/lookup.sh'), '--vault', 'home'] });
  });

  it('that is not executable, or is a directory, says so with the fix', () => {
    const { dir, file } = homelab();
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin/lookup.sh'), '#!/bin/sh\n');
    chmodSync(join(dir, 'bin/lookup.sh'), 0o644);
    const script = join(dir, 'bin/lookup.sh');
    // Even root cannot execute a file without an x bit, so this holds for every user running the tests.
    expect(errorOf(file).details).toEqual([`${file}:9:15: secretStores.demo.command[0]: ./bin/lookup.sh is not executable (${script}); the fix: chmod +x ${script}`]);
    writeFileSync(file, readFileSync(file, 'utf8').replace('./bin/lookup.sh', './bin'));
    expect(errorOf(file).details).toEqual([`${file}:9:15: secretStores.demo.command[0]: ./bin is a directory (${join(dir, 'bin')}), not a program`]);
  });

  it('a bare program name is looked up on PATH when it runs, and not checked here', () => {
    const text = `${HEAD}secretStores:\n  pass: { type: exec, command: [pass, show] }\n`;
    expect(parseConfig(text, 'homelab.yaml').secretStores.pass).toMatchObject({ command: ['pass', 'show'] });
  });
});

describe('provider k3d (cluster.provider, or the provider option that --provider sets)', () => {
  const K3D = `${HEAD}  image: rancher/k3s\n  registries:\n    config: ./registries.yaml\n`;

  function homelab(registries: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'hdr-k3d-'));
    writeFileSync(join(dir, 'registries.yaml'), registries);
    return join(dir, 'homelab.yaml');
  }

  function details(text: string, file: string, options: Parameters<typeof parseConfig>[2] = {}): string[] {
    try {
      parseConfig(text, file, options);
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      return (error as InputError).details;
    }
    return [];
  }

  it('an image without a tag is an error on the image line', () => {
    const file = homelab('mirrors: {}\n');
    expect(details(K3D, file)).toEqual([`${file}:6:10: cluster.image: image "rancher/k3s" has no tag: pin the k3s version, e.g. rancher/k3s:v1.33.4-k3s1`]);
    expect(details(K3D.replace('rancher/k3s\n', 'rancher/k3s:v1.33.4-k3s1\n'), file)).toEqual([]);
  });

  it('a registries.yaml that does not parse names the file and the position, not its content', () => {
    const file = homelab('configs:\n  r.example:\n    auth: { password: [hunter2\n');
    const text = K3D.replace('rancher/k3s\n', 'rancher/k3s:v1.33.4-k3s1\n');
    const found = details(text, file);
    expect(found).toEqual([expect.stringMatching(new RegExp(`^${file}:8:13: cluster\\.registries\\.config: ${join(dirname(file), 'registries.yaml')} is not valid YAML at line \\d+, column \\d+: `))]);
    expect(found[0]).not.toContain('hunter2');
    expect(details(text, file, { checkFiles: false })).toEqual([]);
  });

  it('follow the provider option, and no other provider checks them', () => {
    const file = homelab('endpoint: [\n');
    const kwok = K3D.replace('provider: k3d', 'provider: kwok');
    expect(details(kwok, file)).toEqual([]);
    expect(details(kwok, file, { provider: 'k3d' }).map((line) => line.split(': ')[1])).toEqual(['cluster.image', 'cluster.registries.config']);
    expect(details(K3D, file, { provider: 'kwok' })).toEqual([]);
    // The option selects the checks; the config keeps the provider it was written with.
    expect(parseConfig(kwok, file, { provider: 'existing' }).cluster.provider).toBe('kwok');
  });
});

describe('good configs', () => {
  it('loads the design example (checkFiles: false)', async () => {
    const config = await loadConfig(designExample, { checkFiles: false });
    expect(config.cluster.provider).toBe('k3d');
    expect(config.cluster.name).toBe('homelab');
    expect(config.cluster.registries?.config).toBe(resolve('../shared/design/registries.yaml'));
    expect(config.apps.items.map((app) => app.name)).toEqual(['argocd', 'networking', 'media']);
    expect(config.apps.wait.timeoutMs).toBe(600_000);
    expect(config.warnings).toEqual([]);
    const refs = config.secrets.flatMap((secret) => Object.values(secret.data)).filter((source) => 'store' in source);
    expect(refs).toEqual([
      { store: 'gitlab', key: 'CF_TUNNEL_TOKEN' },
      { store: 'gitlab', key: 'GITLAB_AGENT_TOKEN' },
      { store: 'gitlab', key: 'ARGOCD_REPO_TOKEN' },
    ]);
    expect(config.sealedSecrets?.keyBackup).toEqual({ from: { store: 'vault-file', key: 'sealed-secrets-key' } });
    expect(config.secrets[0]).toMatchObject({ type: 'Opaque', scope: 'strict', labels: {}, annotations: {} });
    expect(config.firewall?.allow).toEqual([
      { port: 22, proto: 'tcp', from: '192.168.1.0/24' },
      { port: 443, proto: 'tcp' },
    ]);
    expect(config.access.alternate).toEqual([{ name: 'tailscale', check: 'tailscale status --peers=false' }]);
    expect(config.drill.schedule).toBe('monthly');
  });

  it('the design example with CRLF line endings loads the same', async () => {
    const text = readFileSync(designExample, 'utf8').replace(/\n/g, '\r\n');
    const crlf = parseConfig(text, designExample, { checkFiles: false });
    const lf = await loadConfig(designExample, { checkFiles: false });
    expect(crlf).toEqual(lf);
  });

  it('the design example with file checks names each missing input by line', async () => {
    const error = (await loadConfig(designExample).catch((e: unknown) => e)) as InputError;
    expect(error.message).toBe(`config ${designExample} is invalid (8 errors)`);
    expect(error.details.map((line) => line.split(': ').slice(0, 2).join(': ').replace(`${designExample}:`, ''))).toEqual([
      '14:13: cluster.registries.config',
      '23:9: namespaces.file',
      '26:9: storage.file',
      '33:16: sealedSecrets.controller.manifests',
      '68:22: apps.items[0].helm.chart',
      '68:67: apps.items[0].helm.values',
      '70:18: apps.items[1].manifests',
      '72:18: apps.items[2].kustomize',
    ]);
  });

  it('a minimal config gets every default', async () => {
    const file = join(fixtures, 'minimal/homelab.yaml');
    const config = await loadConfig(file);
    expect(config).toEqual({
      source: file,
      warnings: [],
      cluster: { provider: 'kwok', name: 'rehearsal', servers: 1, agents: 0, ports: [], volumes: [], k3sArgs: [] },
      secretStores: {},
      secrets: [],
      apps: { items: [], wait: { timeoutMs: 600_000 } },
      access: { sshPort: 22, alternate: [] },
      drill: { throwawayMaxAgeMs: 24 * 3_600_000 },
    });
  });

  it('section defaults: namespaces, storage, sealedSecrets, secrets, stores, firewall', () => {
    const text = `${HEAD}  ports:
    - { port: "443:443" }
namespaces: { file: ./ns.yaml }
storage: { file: ./storage.yaml }
sealedSecrets: {}
secretStores:
  pass: { type: exec, command: [pass, show] }
  slow: { type: exec, command: [slow-lookup], timeout: 1m }
  gitlab: { type: gitlab, url: https://gitlab.example.com, project: 12345678, tokenEnv: GITLAB_TOKEN }
secrets:
  - name: s
    namespace: apps
    data: { k: { store: pass, key: K } }
firewall:
  defaultInput: accept
  allow: [{ port: 443 }]
`;
    const config = parseConfig(text, 'homelab.yaml', { checkFiles: false });
    expect(config.cluster.ports).toEqual([{ port: '443:443', nodeFilters: [] }]);
    expect(config.namespaces?.createMissing).toBe(false);
    expect(config.storage).toMatchObject({ nodeNamePlaceholder: 'NODE_NAME', requiredLabels: {} });
    expect(config.sealedSecrets).toEqual({ namespace: 'kube-system', controllerName: 'sealed-secrets-controller', controller: {} });
    expect(config.secretStores).toEqual({
      pass: { type: 'exec', command: ['pass', 'show'], timeoutMs: 10_000 },
      slow: { type: 'exec', command: ['slow-lookup'], timeoutMs: 60_000 },
      gitlab: { type: 'gitlab', url: 'https://gitlab.example.com', project: '12345678', tokenEnv: 'GITLAB_TOKEN' },
    });
    expect(config.secrets[0]).toEqual({ name: 's', namespace: 'apps', type: 'Opaque', scope: 'strict', labels: {}, annotations: {}, data: { k: { store: 'pass', key: 'K' } } });
    expect(config.firewall).toEqual({ backend: 'nftables', table: 'homelab_dr', defaultInput: 'accept', allow: [{ port: 443, proto: 'tcp' }] });
  });

  it('apps as a plain list gets the default wait', () => {
    const config = parseConfig(`${HEAD}apps:\n  - name: web\n    manifests: ./web\n`, 'homelab.yaml', { checkFiles: false });
    expect(config.apps).toEqual({ items: [{ name: 'web', manifests: resolve('web') }], wait: { timeoutMs: 600_000 } });
    expect(config.warnings).toEqual([]);
  });

  it('a wait: beside the apps list items (an older example taught it) is a syntax error that names the fix', () => {
    for (const wait of ['  wait: { timeout: 10m }\n', '  wait:\n    timeout: 90s\n']) {
      const error = invalidConfig(`${HEAD}apps:\n  - name: web\n    manifests: ./web\n${wait}firewall: { defaultInput: drop }\n`);
      expect(error.details).toEqual([
        'homelab.yaml:9:3: YAML syntax: apps.wait: a "wait:" beside the apps list items is not valid YAML; write apps as a mapping: apps: { items: [<the list>], wait: { timeout: 10m } }',
      ]);
    }
  });
});

describe('loadConfig', () => {
  it('a config file that does not exist is an InputError (exit 2)', async () => {
    const error = (await loadConfig(join(fixtures, 'nope.yaml')).catch((e: unknown) => e)) as InputError;
    expect(error).toBeInstanceOf(InputError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`config ${join(fixtures, 'nope.yaml')} does not exist`);
  });
});
