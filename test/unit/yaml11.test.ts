// Manifests mean what kubectl makes of them (issue 14): the YAML 1.1 reading, its refusals with file,
// line and field, and lint's account of the scalars YAML 1.2 reads otherwise.
import { describe, expect, it } from 'vitest';
import { secretFromYaml } from '../../src/cli/commands/seal.js';
import { parseManifests } from '../../src/k8s/manifests.js';
import { describeScalarDifference, findScalarDifferences } from '../../src/k8s/yaml-lines.js';
import { loadKubeYaml } from '../../src/k8s/yaml11.js';

const deployment = `# the incident's Deployment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {backup: "yes", tier: "on"}
spec:
  paused: yes
  replicas: 0x2
  template:
    spec:
      containers: [{name: c, image: nginx}]
      volumes:
      - name: s
        secret: {secretName: s, defaultMode: 0400}
`;

describe('parseManifests reads YAML 1.1 scalars as kubectl does', () => {
  it('defaultMode: 0400 is 256 (mode 0400), not 400 (mode 0620); yes is true; quoted text stays text', () => {
    const [loaded] = parseManifests(deployment, 'web.yaml');
    const spec = loaded!.obj.spec as { paused: unknown; replicas: unknown; template: { spec: { volumes: Array<{ secret: { defaultMode: unknown } }> } } };
    expect(spec.template.spec.volumes[0]!.secret.defaultMode).toBe(256);
    expect(spec.replicas).toBe(2);
    expect(spec.paused).toBe(true);
    expect(loaded!.obj.metadata.labels).toEqual({ backup: 'yes', tier: 'on' });
  });

  it('refuses a label, annotation or ConfigMap value that is not text to kubectl, naming file, line and field but not the value', () => {
    const labelled = deployment.replace('backup: "yes"', 'backup: yes');
    expect(() => parseManifests(labelled, 'web.yaml')).toThrow('web.yaml:6: Deployment web: metadata.labels.backup: kubectl reads this value as a boolean (YAML 1.1), and the API takes only text here; quote it');
    const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  enabled: "true"\n  port: 8080\n';
    expect(() => parseManifests(configMap, 'c.yaml')).toThrow('c.yaml:6: ConfigMap c: data.port: kubectl reads this value as a number');
    const secret = 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  pin: 0400\n';
    expect(() => parseManifests(secret, 's.yaml')).toThrow(/^s\.yaml:5: Secret s: stringData\.pin: kubectl reads this value as a number/);
    expect(() => parseManifests(secret, 's.yaml')).not.toThrow(/0400|256/);
  });

  it('locates each scalar YAML 1.2 reads otherwise, with both readings and the fix', () => {
    const [loaded] = parseManifests(`---\n${deployment}`, 'web.yaml');
    const warnings = (loaded!.scalarDifferences ?? []).map((d) => describeScalarDifference('web.yaml', d));
    expect(warnings).toEqual([
      'web.yaml:9: spec.paused: yes is true to kubectl (YAML 1.1) but "yes" under YAML 1.2; write true for what kubectl reads, or "yes" for the text',
      'web.yaml:16: spec.template.spec.volumes[0].secret.defaultMode: 0400 is 256 to kubectl (YAML 1.1) but 400 under YAML 1.2; write 256 for what kubectl reads, or "0400" for the text',
    ]);
  });

  it('says nothing about a manifest both readings agree on', () => {
    const [loaded] = parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: "yes", b: "0400", c: 1:20}\n', 'c.yaml');
    expect(loaded!.scalarDifferences).toBeUndefined();
    expect(findScalarDifferences('a: 1.5\nb: true\nc: ~\nd: 2001-12-14\n', 1)).toEqual([]);
  });

  it('merges in document order, as goyaml.v2 does: a later << overrides an earlier key', () => {
    const { value } = loadKubeYaml('base: &b {a: 1, b: 2}\nx:\n  a: 0\n  <<: *b\n  b: 3\n', 'm.yaml');
    expect(value).toEqual({ base: { a: 1, b: 2 }, x: { a: 1, b: 3 } });
  });

  it('refuses what kubectl refuses, naming file, line and field', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nextra:\n  weight: .inf\n';
    expect(() => parseManifests(text, 'c.yaml')).toThrow('c.yaml:5: extra.weight: Infinity has no JSON form');
    expect(() => parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n~: x\n', 'n.yaml')).toThrow(/^n\.yaml:1: a mapping key is null/);
    expect(() => parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n18446744073709551615: x\n', 'u.yaml')).toThrow(/uint64/);
  });
});

describe('seal reads its stdin Secret as kubectl does', () => {
  const secret = (labels: string): string => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: tunnel\n  namespace: networking\n  labels: {${labels}}\nstringData:\n  token: not-this-value\n`;

  it('refuses a label kubectl reads as a boolean, naming the field and not the value', () => {
    expect(() => secretFromYaml(secret('backup: yes'))).toThrow('stdin: metadata.labels.backup: kubectl reads this value as a boolean (YAML 1.1), not as text; quote it');
    expect(() => secretFromYaml('apiVersion: v1\nkind: Secret\nmetadata: {name: tunnel, namespace: networking}\nstringData:\n  pin: 0400\n')).toThrow('stdin: stringData.pin: kubectl reads this value as a number');
  });

  it('takes a quoted label as text', () => {
    expect(secretFromYaml(secret('backup: "yes"')).labels).toEqual({ backup: 'yes' });
  });
});

describe("lint's warnings", () => {
  it('come from every input the plan reads, with file, line, field and both readings', async () => {
    const { scalarDifferenceWarnings } = await import('../../src/cli/scalar-warnings.js');
    const app = parseManifests(deployment, 'apps/web.yaml');
    const namespaces = parseManifests('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n  labels: {audit: "on"}\nspec: {finalizers: [kubernetes], x: on}\n', 'namespaces.yaml');
    const inputs = {
      namespaces: async () => namespaces,
      storage: async () => [],
      sealedSecretsController: async () => Promise.reject(new Error('reported by its step')),
      apps: async () => [{ app: {} as never, how: 'manifests' as const, objects: app }],
      values: async () => Promise.reject(new Error('never read by lint')),
    };
    const warnings = await scalarDifferenceWarnings(inputs);
    expect(warnings.map((w) => w.split(' is ')[0])).toEqual([
      'namespaces.yaml:6: spec.x: on',
      'apps/web.yaml:8: spec.paused: yes',
      'apps/web.yaml:15: spec.template.spec.volumes[0].secret.defaultMode: 0400',
    ]);
  });
});
