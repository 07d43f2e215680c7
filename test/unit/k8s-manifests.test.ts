import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isClusterScoped, kindOrder, loadManifests, orderForApply, parseManifests } from '../../src/k8s/manifests.js';
import { duplicateObjects, objectIdentity, unnamedObjects } from '../../src/k8s/identity.js';
import { checkDeclared, namespacesNeeded } from '../../src/k8s/namespaces.js';
import type { KubeObject } from '../../src/k8s/types.js';
import { InputError } from '../../src/util/errors.js';

const obj = (kind: string, name = kind.toLowerCase(), namespace?: string): KubeObject => ({
  apiVersion: 'v1', kind, metadata: { name, ...(namespace ? { namespace } : {}) },
});

describe('parseManifests', () => {
  it('records the line each document starts on and skips empty documents', () => {
    const text = [
      '# leading comment',
      'apiVersion: v1',
      'kind: Namespace',
      'metadata: {name: a}',
      '---',
      '---',
      '# only a comment',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: b',
      '  namespace: a',
      '',
    ].join('\n');
    const loaded = parseManifests(text, 'x.yaml');
    expect(loaded.map(({ obj: o, source }) => [o.kind, source.line])).toEqual([['Namespace', 2], ['ConfigMap', 9]]);
    expect(loaded[0]?.source.file).toBe('x.yaml');
  });

  it('expands a v1 List into its items', () => {
    const text = 'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n';
    expect(parseManifests(text, 'l.yaml').map(({ obj: o }) => o.kind)).toEqual(['ConfigMap']);
  });

  it('names file and line for invalid YAML and for objects without kind', () => {
    expect(() => parseManifests('apiVersion: v1\nkind: A\n---\nkind: B\nkind: C\n', 'bad.yaml')).toThrow(/^bad\.yaml:5: invalid YAML: duplicated mapping key/);
    expect(() => parseManifests('apiVersion: v1\nkind: A\n---\napiVersion: v1\nmetadata: {}\n', 'nokind.yaml'))
      .toThrow(new InputError('nokind.yaml:4: the object has no kind'));
    expect(() => parseManifests('- a\n- b\n', 'seq.yaml')).toThrow(/seq\.yaml:1: a manifest document must be a mapping/);
  });
});

describe('loadManifests', () => {
  it('loads every manifest file below a directory in sorted order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-manifests-'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'b.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n');
    writeFileSync(join(dir, 'a.yml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n');
    writeFileSync(join(dir, 'sub', 'c.json'), '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}');
    writeFileSync(join(dir, 'notes.txt'), 'not a manifest');
    const loaded = await loadManifests(dir);
    expect(loaded.map(({ obj: o }) => o.metadata.name)).toEqual(['a', 'b', 'c']);
    expect(loaded[2]?.source).toEqual({ file: join(dir, 'sub', 'c.json'), line: 1 });
  });

  it('refuses a kustomize directory and a missing path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-kustomize-'));
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: []\n');
    await expect(loadManifests(dir)).rejects.toThrow(/configure this app with "kustomize:"/);
    await expect(loadManifests(join(dir, 'missing'))).rejects.toBeInstanceOf(InputError);
  });
});

describe('apply order', () => {
  it('puts CRDs, then namespaces, then cluster-scoped objects, then namespaced ones by dependency', () => {
    const shuffled = ['Ingress', 'MyCustomThing', 'Deployment', 'Service', 'RoleBinding', 'PersistentVolumeClaim',
      'ConfigMap', 'Secret', 'ServiceAccount', 'LimitRange', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass',
      'Namespace', 'CustomResourceDefinition', 'ValidatingWebhookConfiguration'].map((kind) => obj(kind));
    expect(orderForApply(shuffled).map((o) => o.kind)).toEqual(['CustomResourceDefinition', 'Namespace', 'StorageClass',
      'PersistentVolume', 'ClusterRoleBinding', 'LimitRange', 'ServiceAccount', 'Secret', 'ConfigMap',
      'PersistentVolumeClaim', 'RoleBinding', 'Service', 'Deployment', 'Ingress', 'MyCustomThing',
      'ValidatingWebhookConfiguration']);
  });

  it('keeps the written order within one rank, for loaded objects too', () => {
    const loaded = [obj('Secret', 's1'), obj('Namespace'), obj('ConfigMap', 'c1'), obj('Secret', 's2')]
      .map((o, line) => ({ obj: o, source: { file: 'f.yaml', line } }));
    expect(orderForApply(loaded).map(({ obj: o }) => o.metadata.name)).toEqual(['namespace', 's1', 's2', 'c1']);
    expect(orderForApply([obj('MyThing', 'b'), obj('OtherThing', 'a')]).map((o) => o.metadata.name)).toEqual(['b', 'a']);
    expect(kindOrder({ kind: 'SealedSecret' })).toBeGreaterThan(kindOrder({ kind: 'Deployment' }));
  });

  it('knows which built-in kinds are cluster-scoped', () => {
    for (const kind of ['Namespace', 'PersistentVolume', 'StorageClass', 'ClusterRole', 'PriorityClass', 'CustomResourceDefinition']) {
      expect(isClusterScoped(kind), kind).toBe(true);
    }
    for (const kind of ['PersistentVolumeClaim', 'Deployment', 'Secret', 'Role', 'SealedSecret']) {
      expect(isClusterScoped(kind), kind).toBe(false);
    }
  });
});

describe('namespaces', () => {
  const at = (o: KubeObject, line: number) => ({ obj: o, source: { file: 'apps.yaml', line } });

  it('lists the namespace of every namespaced object, with its source', () => {
    const needed = namespacesNeeded([at(obj('StorageClass'), 1), at(obj('Deployment', 'web', 'media'), 5), at(obj('ConfigMap', 'c'), 9)]);
    expect(needed).toEqual([
      { namespace: 'media', object: 'Deployment media/web', source: { file: 'apps.yaml', line: 5 } },
      { namespace: 'default', object: 'ConfigMap default/c', source: { file: 'apps.yaml', line: 9 } },
    ]);
    expect(namespacesNeeded([at(obj('ConfigMap', 'c'), 1)], 'argocd')[0]?.namespace).toBe('argocd');
  });

  it('reports undeclared namespaces with every object and file:line that needs them', () => {
    const needed = namespacesNeeded([
      at(obj('Secret', 'token', 'networking'), 3),
      at(obj('Deployment', 'web', 'media'), 10),
      at(obj('Service', 'web', 'media'), 30),
      at(obj('Deployment', 'controller', 'kube-system'), 40),
    ]);
    expect(checkDeclared(['networking'], needed)).toEqual([{
      namespace: 'media',
      neededBy: needed.slice(1, 3),
      message: 'namespace media is not declared, but Deployment media/web (apps.yaml:10), Service media/web (apps.yaml:30) need it',
    }]);
    expect(checkDeclared(['networking', 'media'], needed)).toEqual([]);
  });
});

describe('object identity: names and duplicates', () => {
  const at = (o: KubeObject, file: string, line: number) => ({ obj: o, source: { file, line } });

  it('an object without a usable metadata.name is named by file:line, with the fix', () => {
    const unnamed = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'networking' } };
    const generated = { apiVersion: 'batch/v1', kind: 'Job', metadata: { generateName: 'migrate-' } };
    const numeric = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 42 as unknown as string } };
    const found = unnamedObjects([at(obj('ConfigMap', 'ok'), 'a.yaml', 1), at(unnamed, 'a.yaml', 7), at(generated, 'b.yaml', 3), at(numeric, 'c.yaml', 9)]);
    expect(found.map((u) => u.message)).toEqual([
      'a.yaml:7: ConfigMap has no metadata.name; add metadata.name (the apiserver rejects an object without one)',
      'b.yaml:3: Job has metadata.generateName but no metadata.name; homelab-dr applies with server-side apply, which needs metadata.name: set it',
      'c.yaml:9: Secret: metadata.name must be a string (it is a number); quote it',
    ]);
    expect(found[0]?.object.source).toEqual({ file: 'a.yaml', line: 7 });
  });

  it('the same group, kind, namespace and name twice is a duplicate naming every place', () => {
    const deployment = (file: string, apiVersion = 'apps/v1') => at({ ...obj('Deployment', 'cloudflared', 'networking'), apiVersion }, file, 3);
    const found = duplicateObjects([deployment('old.yaml'), at(obj('ConfigMap', 'cloudflared', 'networking'), 'cm.yaml', 1), deployment('new.yaml', 'apps/v1beta2')]);
    expect(found).toHaveLength(1);
    expect(found[0]?.object).toBe('Deployment networking/cloudflared');
    expect(found[0]?.declaredAt.map((o) => o.source.file)).toEqual(['old.yaml', 'new.yaml']);
    expect(found[0]?.message).toBe(
      'duplicate Deployment networking/cloudflared: declared twice, at old.yaml:3 and new.yaml:3; each apply would silently replace the one before: keep one and delete the other',
    );
    const thrice = duplicateObjects([deployment('a.yaml'), deployment('b.yaml'), deployment('c.yaml')]);
    expect(thrice[0]?.message).toMatch(/^duplicate Deployment networking\/cloudflared: declared 3 times, at a\.yaml:3, b\.yaml:3 and c\.yaml:3; .* delete the others$/);
  });

  it('differs by namespace, by group, and not by the namespace a cluster-scoped object was given', () => {
    expect(duplicateObjects([at(obj('Secret', 's', 'a'), 'x', 1), at(obj('Secret', 's', 'b'), 'y', 1)])).toEqual([]);
    const ingress = (apiVersion: string) => ({ ...obj('Ingress', 'web', 'apps'), apiVersion });
    expect(duplicateObjects([at(ingress('networking.k8s.io/v1'), 'x', 1), at(ingress('traefik.io/v1alpha1'), 'y', 1)])).toEqual([]);
    // An app's default namespace is filled into every object, cluster-scoped ones included.
    const namespaces = duplicateObjects([at(obj('Namespace', 'apps'), 'namespaces.yaml', 1), at(obj('Namespace', 'apps', 'default'), 'app.yaml', 4)]);
    expect(namespaces.map((d) => d.object)).toEqual(['Namespace apps']);
    expect(objectIdentity(at(obj('StorageClass', 'local', 'x'), 'f', 1))).toBe(objectIdentity(at(obj('StorageClass', 'local'), 'g', 2)));
    // Unnamed objects are unnamedObjects' to report, not duplicates of each other.
    const unnamed = at({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }, 'f', 1);
    expect(duplicateObjects([unnamed, unnamed])).toEqual([]);
  });
});
