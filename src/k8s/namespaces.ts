// Which namespaces a set of objects needs, and which of those nobody declares: applying into a
// namespace that does not exist yet fails every object in it (the incident's silent failure).
import { isClusterScoped } from './manifests.js';
import { describeObject, describeSource, type LoadedObject, type SourceRef } from './types.js';

/** Namespaces every cluster has; they never need declaring. */
export const BUILTIN_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface NamespaceNeed {
  namespace: string;
  /** "Deployment networking/cloudflared" */
  object: string;
  source: SourceRef;
}

export interface UndeclaredNamespace {
  namespace: string;
  neededBy: NamespaceNeed[];
  message: string;
}

/**
 * The namespace of every namespaced object. An object without metadata.namespace lands in
 * `defaultNamespace` (kubectl's current namespace, or an app's helm/kustomize namespace).
 */
export function namespacesNeeded(objects: readonly LoadedObject[], defaultNamespace = 'default'): NamespaceNeed[] {
  return objects
    .filter(({ obj }) => !isClusterScoped(obj.kind))
    .map(({ obj, source }) => ({
      namespace: obj.metadata.namespace ?? defaultNamespace,
      object: describeObject({ ...obj, metadata: { ...obj.metadata, namespace: obj.metadata.namespace ?? defaultNamespace } }),
      source,
    }));
}

/** Needed namespaces that are neither declared nor built in, each with every object that needs it. */
export function checkDeclared(declaredNamespaces: readonly string[], needed: readonly NamespaceNeed[]): UndeclaredNamespace[] {
  const declared = new Set([...declaredNamespaces, ...BUILTIN_NAMESPACES]);
  const undeclared = new Map<string, NamespaceNeed[]>();
  for (const need of needed.filter((candidate) => !declared.has(candidate.namespace))) {
    undeclared.set(need.namespace, [...(undeclared.get(need.namespace) ?? []), need]);
  }
  return [...undeclared].map(([namespace, neededBy]) => ({
    namespace,
    neededBy,
    message: `namespace ${namespace} is not declared, but ${neededBy
      .map((need) => `${need.object} (${describeSource(need.source)})`)
      .join(', ')} ${neededBy.length === 1 ? 'needs' : 'need'} it`,
  }));
}
