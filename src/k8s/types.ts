// Plain Kubernetes objects as parsed from YAML: only the fields homelab-dr reads are typed.
import type { ScalarDifference } from './yaml-lines.js';

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

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

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
