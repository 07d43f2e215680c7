// Loading multi-document YAML manifests into objects that remember their file and line,
// and the order in which a set of objects can be applied without forward references.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../util/errors.js';
import { isRecord } from '../util/helpers.js';
import type { KubeObject, LoadedObject, ObjectMeta } from './types.js';
import { findScalarDifferences, lineOfField } from './yaml-lines.js';
import { KubeYamlError, loadKubeYaml } from './yaml11.js';

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** The documents of a YAML stream, each with the 1-based line its text starts on. */
export function splitDocuments(text: string): Array<{ text: string; line: number }> {
  const lines = text.split('\n');
  const docs: Array<{ text: string; line: number }> = [];
  let current: string[] = [];
  let startLine = 1;
  lines.forEach((line, i) => {
    // A document marker at column 0 cannot occur inside any scalar, so splitting on it is exact.
    if (/^(---|\.\.\.)(\s|$)/.test(line)) {
      docs.push({ text: current.join('\n'), line: startLine });
      const rest = line.slice(3);
      current = line.startsWith('---') && rest.trim() !== '' && !rest.trim().startsWith('#') ? [rest] : [];
      startLine = i + (current.length > 0 ? 1 : 2);
    } else {
      current.push(line);
    }
  });
  docs.push({ text: current.join('\n'), line: startLine });
  return docs;
}

/** Line of the first non-blank, non-comment line of a document: where its object starts. */
function contentLine(doc: { text: string; line: number }): number {
  const offset = doc.text.split('\n').findIndex((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  return doc.line + Math.max(offset, 0);
}

/**
 * Parses every non-empty document of a YAML text as kubectl does (YAML 1.1 scalars, see yaml11.ts);
 * `file` is used in error messages and sources. js-yaml reads manifests (about five times faster than
 * the yaml package on a thousand objects, which is the plan's hot path); the config keeps the yaml
 * package for its node positions. The scalars YAML 1.2 reads otherwise ride on the document's first
 * object, for lint.
 */
export function parseManifests(text: string, file: string): LoadedObject[] {
  const loaded: LoadedObject[] = [];
  for (const doc of splitDocuments(text)) {
    const { value, differs } = loadDocument(doc, file);
    if (value === null || value === undefined) continue;
    const line = contentLine(doc);
    const objects = expandList(toKubeObject(value, file, line), file, line);
    for (const { obj } of objects) requireTextMaps(obj, (field) => lineOfField(doc.text, doc.line, field) ?? line, file);
    if (differs > 0 && objects[0]) objects[0].scalarDifferences = findScalarDifferences(doc.text, doc.line);
    loaded.push(...objects);
  }
  return loaded;
}

function loadDocument(doc: { text: string; line: number }, file: string): ReturnType<typeof loadKubeYaml> {
  try {
    return loadKubeYaml(doc.text, file);
  } catch (err) {
    if (err instanceof KubeYamlError) {
      const line = (err.field && lineOfField(doc.text, doc.line, err.field)) || contentLine(doc);
      throw new InputError(`${file}:${line}: ${err.message}`);
    }
    const mark = (err as { mark?: { line?: number } }).mark;
    const line = doc.line + (mark?.line ?? 0);
    const reason = (err as { reason?: string }).reason ?? (err as Error).message.split('\n')[0];
    throw new InputError(`${file}:${line}: invalid YAML: ${reason}`);
  }
}

// Maps of text in the API: a value YAML 1.1 makes a boolean, number or null (`backup: yes`,
// `port: 8080`) is refused by the apiserver at apply time, so it is bad input now, with its line.
function textMapsOf(obj: KubeObject): Array<[string, unknown]> {
  const maps: Array<[string, unknown]> = [['metadata.labels', obj.metadata.labels], ['metadata.annotations', obj.metadata.annotations]];
  const template = isRecord(obj.spec) && isRecord(obj.spec.template) && isRecord(obj.spec.template.metadata) ? obj.spec.template.metadata : undefined;
  if (template) maps.push(['spec.template.metadata.labels', template.labels], ['spec.template.metadata.annotations', template.annotations]);
  if (obj.kind === 'ConfigMap' || obj.kind === 'Secret') maps.push(['data', obj.data]);
  if (obj.kind === 'Secret') maps.push(['stringData', obj.stringData]);
  return maps;
}

function requireTextMaps(obj: KubeObject, lineOf: (field: string) => number, file: string): void {
  for (const [field, map] of textMapsOf(obj)) {
    if (!isRecord(map)) continue;
    for (const [key, value] of Object.entries(map)) {
      if (typeof value === 'string') continue;
      const at = /^[A-Za-z_$][\w$-]*$/.test(key) ? `${field}.${key}` : `${field}[${JSON.stringify(key)}]`;
      const reading = value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;
      // The value is not repeated: in a Secret it is the secret.
      throw new InputError(`${file}:${lineOf(at)}: ${obj.kind} ${obj.metadata.name ?? '(unnamed)'}: ${at}: kubectl reads this value as ${reading} (YAML 1.1), and the API takes only text here; quote it`);
    }
  }
}

function toKubeObject(value: unknown, file: string, line: number): KubeObject {
  if (!isRecord(value)) throw new InputError(`${file}:${line}: a manifest document must be a mapping`);
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '') {
    throw new InputError(`${file}:${line}: the object has no apiVersion`);
  }
  if (typeof value.kind !== 'string' || value.kind === '') {
    throw new InputError(`${file}:${line}: the object has no kind`);
  }
  const metadata = value.metadata ?? {};
  if (!isRecord(metadata)) throw new InputError(`${file}:${line}: ${value.kind}: metadata must be a mapping`);
  // The one boundary where untyped YAML becomes an object: a missing name is left for preflight's
  // unnamedObjects (k8s/identity.ts) to name with its file and line, before anything is applied.
  return { ...value, apiVersion: value.apiVersion, kind: value.kind, metadata: metadata as ObjectMeta };
}

// `kubectl get -o yaml` writes a v1 List; its items are applied one by one.
function expandList(obj: KubeObject, file: string, line: number): LoadedObject[] {
  if (obj.kind !== 'List') return [{ obj, source: { file, line } }];
  const items = Array.isArray(obj.items) ? obj.items : [];
  return items.map((item) => ({ obj: toKubeObject(item, file, line), source: { file, line } }));
}

export async function loadManifestFile(file: string): Promise<LoadedObject[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`${file}: cannot read manifest file: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  return parseManifests(text, file);
}

/** A file, or every manifest file below a directory (sorted, recursive), like `kubectl apply -R -f`. */
export async function loadManifests(path: string): Promise<LoadedObject[]> {
  const info = await stat(path).catch(() => {
    throw new InputError(`${path}: no such manifest file or directory`);
  });
  if (!info.isDirectory()) return loadManifestFile(path);
  const loaded: LoadedObject[] = [];
  for (const file of await manifestFilesBelow(path)) loaded.push(...(await loadManifestFile(file)));
  return loaded;
}

async function manifestFilesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.map((entry) => entry.name).sort();
  if (names.some((name) => /^kustomization\.ya?ml$/i.test(name))) {
    throw new InputError(`${dir}: holds a kustomization file; configure this app with "kustomize:" instead`);
  }
  const files: string[] = [];
  for (const name of names) {
    const entry = entries.find((candidate) => candidate.name === name)!;
    const full = join(dir, name);
    if (entry.isDirectory()) files.push(...(await manifestFilesBelow(full)));
    else if (MANIFEST_EXTENSIONS.some((ext) => name.endsWith(ext))) files.push(full);
  }
  return files;
}

// Built-in kinds that live outside any namespace.
const CLUSTER_SCOPED_KINDS = new Set([
  'APIService', 'CertificateSigningRequest', 'ClusterRole', 'ClusterRoleBinding', 'ClusterTrustBundle',
  'ComponentStatus', 'CSIDriver', 'CSINode', 'CustomResourceDefinition', 'DeviceClass', 'FlowSchema',
  'IngressClass', 'IPAddress', 'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding',
  'MutatingWebhookConfiguration', 'Namespace', 'Node', 'PersistentVolume', 'PriorityClass',
  'PriorityLevelConfiguration', 'ResourceSlice', 'RuntimeClass', 'ServiceCIDR', 'StorageClass',
  'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'ValidatingWebhookConfiguration',
  'VolumeAttachment', 'VolumeAttributesClass',
]);

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED_KINDS.has(kind);
}

// Apply order, earliest first; a kind's rank is its position here. Webhooks and APIServices go last:
// registered before their backing Service runs, a failurePolicy=Fail webhook would reject later objects.
const APPLY_ORDER: readonly string[] = [
  'CustomResourceDefinition',
  'Namespace',
  'PriorityClass', 'RuntimeClass', 'StorageClass', 'VolumeAttributesClass', 'CSIDriver', 'PersistentVolume',
  'IngressClass', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  'ResourceQuota', 'LimitRange', 'ServiceAccount', 'Secret', 'ConfigMap', 'PersistentVolumeClaim', 'Role',
  'RoleBinding', 'Service', 'Endpoints', 'EndpointSlice', 'NetworkPolicy', 'PodDisruptionBudget',
  'PodTemplate', 'Pod', 'ReplicationController', 'ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job',
  'CronJob', 'HorizontalPodAutoscaler', 'Ingress',
];
const CUSTOM_RESOURCE_ORDER = APPLY_ORDER.length;
const LATE_KINDS = new Set(['APIService', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
const BUILTIN_ORDER = new Map(APPLY_ORDER.map((kind, rank) => [kind, rank] as const));

/** The apply rank of an object: lower first. Unknown kinds are custom resources and come after built-ins. */
export function kindOrder(obj: Pick<KubeObject, 'kind'>): number {
  if (LATE_KINDS.has(obj.kind)) return CUSTOM_RESOURCE_ORDER + 1;
  return BUILTIN_ORDER.get(obj.kind) ?? CUSTOM_RESOURCE_ORDER;
}

/** A stable sort by kindOrder: objects of one rank keep the order they were written in. */
export function orderForApply<T extends KubeObject | LoadedObject>(items: readonly T[]): T[] {
  const rankOf = (item: T): number => kindOrder(objectOf(item));
  return items
    .map((item, index) => ({ item, index, rank: rankOf(item) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ item }) => item);
}

function objectOf(item: KubeObject | LoadedObject): KubeObject {
  return 'source' in item && isRecord(item.obj) ? (item as LoadedObject).obj : (item as KubeObject);
}
