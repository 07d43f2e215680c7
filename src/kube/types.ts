// Objects as they travel on the wire: plain JSON, so pure rules (health, diagnosis) work on literals.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** Names one object; `namespace` is required for namespaced kinds. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** Selects objects of one kind; no namespace means all namespaces (or a cluster-scoped kind). */
export interface ListQuery {
  apiVersion: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface KubeEvent extends KubeObject {
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  involvedObject: { kind?: string; name?: string; namespace?: string; uid?: string };
  lastTimestamp?: string;
  eventTime?: string;
}

export function refOf(obj: KubeObject): ObjectRef {
  return { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace };
}
