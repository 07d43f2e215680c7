// What a pod template needs to exist before a real kubelet runs it: Secrets, ConfigMaps, PVCs and its
// ServiceAccount. kwok runs such pods anyway, so a rehearsal would go green where the real node stays
// in CreateContainerConfigError; this is read offline, from the manifests.
import { podTemplateOf } from './podsecurity.js';
import type { KubeObject } from './types.js';

export interface PodReference {
  kind: 'Secret' | 'ConfigMap' | 'PersistentVolumeClaim' | 'ServiceAccount';
  name: string;
  /** Where in the pod spec, e.g. "volumes[data].persistentVolumeClaim". */
  field: string;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
const list = (v: unknown): Rec[] => (Array.isArray(v) ? v.map(rec) : []);
const name = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
/** An optional reference does not stop the container: the kubelet runs it without. */
const required = (ref: Rec): boolean => ref['optional'] !== true;

function volumeReferences(spec: Rec): PodReference[] {
  const refs: PodReference[] = [];
  for (const volume of list(spec['volumes'])) {
    const at = `volumes[${String(volume['name'] ?? '?')}]`;
    const secret = rec(volume['secret']);
    const configMap = rec(volume['configMap']);
    const claim = rec(volume['persistentVolumeClaim']);
    if (name(secret['secretName']) && required(secret)) refs.push({ kind: 'Secret', name: secret['secretName'] as string, field: `${at}.secret` });
    if (name(configMap['name']) && required(configMap)) refs.push({ kind: 'ConfigMap', name: configMap['name'] as string, field: `${at}.configMap` });
    if (name(claim['claimName'])) refs.push({ kind: 'PersistentVolumeClaim', name: claim['claimName'] as string, field: `${at}.persistentVolumeClaim` });
    for (const source of list(rec(volume['projected'])['sources'])) {
      const s = rec(source['secret']);
      const c = rec(source['configMap']);
      if (name(s['name']) && required(s)) refs.push({ kind: 'Secret', name: s['name'] as string, field: `${at}.projected.secret` });
      if (name(c['name']) && required(c)) refs.push({ kind: 'ConfigMap', name: c['name'] as string, field: `${at}.projected.configMap` });
    }
  }
  return refs;
}

function containerReferences(spec: Rec): PodReference[] {
  const refs: PodReference[] = [];
  const containers = [...list(spec['initContainers']), ...list(spec['containers'])];
  for (const c of containers) {
    const at = `containers[${String(c['name'] ?? '?')}]`;
    for (const from of list(c['envFrom'])) {
      const s = rec(from['secretRef']);
      const m = rec(from['configMapRef']);
      if (name(s['name']) && required(s)) refs.push({ kind: 'Secret', name: s['name'] as string, field: `${at}.envFrom.secretRef` });
      if (name(m['name']) && required(m)) refs.push({ kind: 'ConfigMap', name: m['name'] as string, field: `${at}.envFrom.configMapRef` });
    }
    for (const env of list(c['env'])) {
      const from = rec(env['valueFrom']);
      const s = rec(from['secretKeyRef']);
      const m = rec(from['configMapKeyRef']);
      const where = `${at}.env[${String(env['name'] ?? '?')}]`;
      if (name(s['name']) && required(s)) refs.push({ kind: 'Secret', name: s['name'] as string, field: `${where}.valueFrom.secretKeyRef` });
      if (name(m['name']) && required(m)) refs.push({ kind: 'ConfigMap', name: m['name'] as string, field: `${where}.valueFrom.configMapKeyRef` });
    }
  }
  return refs;
}

/** Every object the pods of `obj` need, in the pod's namespace; none for an object without a pod template. */
export function podReferences(obj: KubeObject): PodReference[] {
  const template = podTemplateOf(obj);
  if (!template) return [];
  const spec = template.spec as Rec;
  const refs = [...volumeReferences(spec), ...containerReferences(spec)];
  for (const pull of list(spec['imagePullSecrets'])) {
    if (name(pull['name'])) refs.push({ kind: 'Secret', name: pull['name'] as string, field: 'imagePullSecrets' });
  }
  const account = name(spec['serviceAccountName']) ?? name(spec['serviceAccount']);
  if (account) refs.push({ kind: 'ServiceAccount', name: account, field: 'serviceAccountName' });
  return refs;
}

/** Made in every namespace by kube-controller-manager, never by a manifest. */
export function createdByControllers(kind: PodReference['kind'], objectName: string): boolean {
  return (kind === 'ServiceAccount' && objectName === 'default') || (kind === 'ConfigMap' && objectName === 'kube-root-ca.crt');
}
