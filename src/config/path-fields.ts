// Every field of the config that holds a path: where it is, and whether it must already exist.
// Paths resolve against the config file's directory, so a config works from any working directory.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { isRecord, type FieldPath } from './field-path.js';
import type { ConfigIssue } from './issues.js';

/**
 * input: read by a step, so it must exist. output: written by homelab-dr.
 * store: a secret store's file is not checked here: it may live on media mounted only for the
 * recovery, and preflight's store check reports it with the store's name.
 */
type PathRole = 'input' | 'output' | 'store';

/** A path pattern: '*' matches every key of a mapping or every item of a list. */
const PATH_FIELDS: ReadonlyArray<{ pattern: readonly string[]; role: PathRole }> = [
  { pattern: ['cluster', 'registries', 'config'], role: 'input' },
  { pattern: ['cluster', 'kubeconfig'], role: 'input' },
  { pattern: ['namespaces', 'file'], role: 'input' },
  { pattern: ['storage', 'file'], role: 'input' },
  { pattern: ['sealedSecrets', 'controller', 'manifests'], role: 'input' },
  { pattern: ['sealedSecrets', 'certOut'], role: 'output' },
  { pattern: ['secretStores', '*', 'path'], role: 'store' },
  { pattern: ['secretStores', '*', 'ageKeyFile'], role: 'store' },
  { pattern: ['secretStores', '*', 'identity'], role: 'store' },
  { pattern: ['apps', 'items', '*', 'manifests'], role: 'input' },
  { pattern: ['apps', 'items', '*', 'kustomize'], role: 'input' },
  { pattern: ['apps', 'items', '*', 'helm', 'chart'], role: 'input' },
  { pattern: ['apps', 'items', '*', 'helm', 'values'], role: 'input' },
  { pattern: ['drill', 'reportDir'], role: 'output' },
  { pattern: ['drill', 'metricsTextfile'], role: 'output' },
];

/** A chart given as oci://… or https://… is a reference, not a path. */
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

interface PathField {
  path: FieldPath;
  role: PathRole;
  owner: Record<string, unknown>;
  key: string;
  value: string;
}

function collect(node: unknown, pattern: readonly string[], path: FieldPath, role: PathRole, out: PathField[]): void {
  const [head, ...rest] = pattern;
  if (head === undefined) return;
  if (head === '*') {
    const entries: Array<[string | number, unknown]> = Array.isArray(node) ? node.map((item, i) => [i, item]) : isRecord(node) ? Object.entries(node) : [];
    for (const [segment, child] of entries) collect(child, rest, [...path, segment], role, out);
    return;
  }
  if (!isRecord(node)) return;
  const value = node[head];
  if (rest.length > 0) collect(value, rest, [...path, head], role, out);
  else if (typeof value === 'string' && value !== '' && !URL_LIKE.test(value)) out.push({ path: [...path, head], role, owner: node, key: head, value });
}

function pathFields(data: unknown): PathField[] {
  const fields: PathField[] = [];
  for (const { pattern, role } of PATH_FIELDS) collect(data, pattern, [], role, fields);
  // Only provider existing reads a kubeconfig the user made; k3d and kwok write theirs.
  const provider = isRecord(data) && isRecord(data.cluster) ? data.cluster.provider : undefined;
  return fields.map((f) => (f.path.join('.') === 'cluster.kubeconfig' && provider !== 'existing' ? { ...f, role: 'output' } : f));
}

function absolutePath(value: string, configDir: string): string {
  if (value === '~' || value.startsWith('~/')) return join(homedir(), value.slice(1));
  return isAbsolute(value) ? value : resolve(configDir, value);
}

/** Replaces every path in `data` by its absolute form; returns the inputs that do not exist. */
export function resolvePaths(data: unknown, configDir: string, checkFiles: boolean): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const field of pathFields(data)) {
    const absolute = absolutePath(field.value, configDir);
    field.owner[field.key] = absolute;
    if (checkFiles && field.role === 'input' && !existsSync(absolute)) {
      issues.push({ path: field.path, message: `${field.value} does not exist (looked for ${absolute})` });
    }
  }
  return issues;
}
