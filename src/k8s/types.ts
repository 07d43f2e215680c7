// Objects as parsed from YAML, with where they were written. They are the one object type (kube/types.ts).
import type { KubeObject } from '../kube/types.js';
import type { ScalarDifference } from './yaml-lines.js';
export type { KubeObject, ObjectMeta } from '../kube/types.js';

/** Where an object was written: the file and the 1-based line its document starts on. */
export interface SourceRef {
  file: string;
  line: number;
}

export interface LoadedObject {
  obj: KubeObject;
  source: SourceRef;
  /** Plain scalars of this object's document that YAML 1.2 reads otherwise than kubectl (lint warns). */
  scalarDifferences?: ScalarDifference[];
}

export function describeSource(source: SourceRef): string {
  return `${source.file}:${source.line}`;
}

/** "Deployment networking/cloudflared" or "StorageClass local-storage". */
export function describeObject(obj: KubeObject): string {
  const name = obj.metadata.name ?? '(unnamed)';
  return obj.metadata.namespace ? `${obj.kind} ${obj.metadata.namespace}/${name}` : `${obj.kind} ${name}`;
}
