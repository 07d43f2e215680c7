// Which object a manifest declares: its API group, kind, namespace and name. Two manifests that declare
// the same object are not an error any apiserver reports (the second apply silently replaces the
// first), and an object without a name cannot be applied at all; both are found here, offline.
import { isClusterScoped } from './manifests.js';
import { describeObject, describeSource, type LoadedObject } from './types.js';

export interface UnnamedObject {
  object: LoadedObject;
  message: string;
}

export interface DuplicateObject {
  /** "Deployment networking/cloudflared" */
  object: string;
  /** Every place it is declared, in the order the objects were given (the last one would win). */
  declaredAt: LoadedObject[];
  message: string;
}

/** The API group of an apiVersion: "" for the core group (v1), "apps" for apps/v1. */
function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * The identity the apiserver stores an object under: group, kind, namespace (none for cluster-scoped
 * kinds) and name. Versions do not count: apps/v1 and apps/v1beta1 Deployments are one object.
 */
export function objectIdentity({ obj }: LoadedObject): string {
  const namespace = isClusterScoped(obj.kind) ? '' : (obj.metadata.namespace ?? '');
  return [groupOf(obj.apiVersion), obj.kind, namespace, obj.metadata.name ?? ''].join('\u0000');
}

/** Objects without a usable metadata.name: server-side apply (and so every step) needs one. */
export function unnamedObjects(objects: readonly LoadedObject[]): UnnamedObject[] {
  return objects.flatMap((object) => {
    const { metadata } = object.obj;
    const name = metadata.name as unknown;
    if (typeof name === 'string' && name !== '') return [];
    const where = `${describeSource(object.source)}: ${object.obj.kind}`;
    let message: string;
    if (name !== undefined && name !== null && name !== '') {
      message = `${where}: metadata.name must be a string (it is a ${Array.isArray(name) ? 'list' : typeof name}); quote it`;
    } else if (typeof metadata.generateName === 'string') {
      message = `${where} has metadata.generateName but no metadata.name; homelab-dr applies with server-side apply, which needs metadata.name: set it`;
    } else {
      message = `${where} has no metadata.name; add metadata.name (the apiserver rejects an object without one)`;
    }
    return [{ object, message }];
  });
}

/**
 * Objects declared more than once (unnamed objects are left to unnamedObjects). `objects` must already
 * carry the namespace each will land in (an app's default namespace filled in).
 */
export function duplicateObjects(objects: readonly LoadedObject[]): DuplicateObject[] {
  const byIdentity = new Map<string, LoadedObject[]>();
  for (const object of objects) {
    if (typeof object.obj.metadata.name !== 'string' || object.obj.metadata.name === '') continue;
    const key = objectIdentity(object);
    byIdentity.set(key, [...(byIdentity.get(key) ?? []), object]);
  }
  return [...byIdentity.values()]
    .filter((declaredAt) => declaredAt.length > 1)
    .map((declaredAt) => {
      const first = declaredAt[0]!.obj;
      const object = describeObject(isClusterScoped(first.kind) ? { ...first, metadata: { ...first.metadata, namespace: undefined } } : first);
      const places = declaredAt.map((o) => describeSource(o.source));
      const times = declaredAt.length === 2 ? 'twice' : `${declaredAt.length} times`;
      const at = `${places.slice(0, -1).join(', ')} and ${places[places.length - 1]}`;
      return {
        object,
        declaredAt,
        message:
          `duplicate ${object}: declared ${times}, at ${at}; each apply would silently replace the one before: ` +
          `keep one and delete the other${declaredAt.length > 2 ? 's' : ''}`,
      };
    });
}
