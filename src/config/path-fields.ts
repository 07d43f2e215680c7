// Every field of the config that holds a path: where it is, and whether it must already exist.
// Paths resolve against the config file's directory, so a config works from any working directory.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { isRecord } from '../util/helpers.js';
import type { FieldPath } from './field-path.js';
import type { ConfigIssue } from './issues.js';
import type { ProviderName } from './types.js';

/**
 * input: read by a step, so it must exist. output: written by homelab-dr.
 * store: a secret store's file is not checked here: it may live on media mounted only for the
 * recovery, and preflight's store check reports it with the store's name.
 * program: an exec store's `./script`, one of the config's own files, or a `tools:` path: it must exist and be executable.
 */
type PathRole = 'input' | 'output' | 'store' | 'program';

/** A path pattern: '*' matches every key of a mapping or every item of a list. */
const PATH_FIELDS: ReadonlyArray<{ pattern: readonly string[]; role: PathRole }> = [
  { pattern: ['cluster', 'registries', 'config'], role: 'input' },
  { pattern: ['cluster', 'kubeconfig'], role: 'input' },
  { pattern: ['namespaces', 'file'], role: 'input' },
  { pattern: ['storage', 'file'], role: 'input' },
  { pattern: ['sealedSecrets', 'controller', 'manifests'], role: 'input' },
  { pattern: ['sealedSecrets', 'certOut'], role: 'output' },
  { pattern: ['sealedSecrets', 'keyBackup', 'file'], role: 'output' },
  { pattern: ['secretStores', '*', 'path'], role: 'store' },
  { pattern: ['secretStores', '*', 'ageKeyFile'], role: 'store' },
  { pattern: ['secretStores', '*', 'identity'], role: 'store' },
  { pattern: ['apps', 'items', '*', 'manifests'], role: 'input' },
  { pattern: ['apps', 'items', '*', 'kustomize'], role: 'input' },
  { pattern: ['apps', 'items', '*', 'helm', 'chart'], role: 'input' },
  { pattern: ['apps', 'items', '*', 'helm', 'values'], role: 'input' },
  { pattern: ['drill', 'reportDir'], role: 'output' },
  { pattern: ['drill', 'metricsTextfile'], role: 'output' },
  // tools: { kubectl: /usr/local/bin/kubectl }: the operator's own programs (src/util/tools.ts).
  { pattern: ['tools', '*'], role: 'program' },
];

/** A chart given as oci://… or https://… is a reference, not a path. */
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

interface PathField {
  path: FieldPath;
  role: PathRole;
  owner: Record<string, unknown> | unknown[];
  key: string | number;
  value: string;
}

/** `./script` and `../script` are the config's own files; a bare name (`pass`) is looked up on PATH. */
const RELATIVE_PROGRAM = /^\.\.?\//;

function collect(node: unknown, pattern: readonly string[], path: FieldPath, role: PathRole, out: PathField[]): void {
  const [head, ...rest] = pattern;
  if (head === undefined) return;
  if (head === '*') {
    const entries: Array<[string | number, unknown]> = Array.isArray(node) ? node.map((item, i) => [i, item]) : isRecord(node) ? Object.entries(node) : [];
    for (const [segment, child] of entries) {
      // A trailing '*' names the values themselves (every entry of `tools:`).
      if (rest.length === 0 && isRecord(node) && typeof child === 'string' && child !== '') out.push({ path: [...path, segment], role, owner: node, key: segment, value: child });
      else collect(child, rest, [...path, segment], role, out);
    }
    return;
  }
  if (!isRecord(node)) return;
  const value = node[head];
  if (rest.length > 0) collect(value, rest, [...path, head], role, out);
  else if (typeof value === 'string' && value !== '' && !URL_LIKE.test(value)) out.push({ path: [...path, head], role, owner: node, key: head, value });
}

/** An exec store's program, when it is a path relative to the config (argv[0] only: arguments are the helper's own). */
function execPrograms(data: unknown): PathField[] {
  const stores = isRecord(data) && isRecord(data.secretStores) ? data.secretStores : {};
  return Object.entries(stores).flatMap(([name, store]) => {
    if (!isRecord(store) || store.type !== 'exec' || !Array.isArray(store.command)) return [];
    const program: unknown = store.command[0];
    if (typeof program !== 'string' || !RELATIVE_PROGRAM.test(program)) return [];
    return [{ path: ['secretStores', name, 'command', 0], role: 'program' as const, owner: store.command, key: 0, value: program }];
  });
}

/** `provider`: the one the command uses (--provider, else cluster.provider); some paths matter to one provider only. */
function pathFields(data: unknown, provider: unknown): PathField[] {
  const fields: PathField[] = [];
  for (const { pattern, role } of PATH_FIELDS) collect(data, pattern, [], role, fields);
  fields.push(...execPrograms(data));
  // Only provider existing reads a kubeconfig the user made; k3d and kwok write theirs.
  return fields.map((f) => (f.path.join('.') === 'cluster.kubeconfig' && provider !== 'existing' ? { ...f, role: 'output' } : f));
}

function absolutePath(value: string, configDir: string): string {
  if (value === '~' || value.startsWith('~/')) return join(homedir(), value.slice(1));
  return isAbsolute(value) ? value : resolve(configDir, value);
}

function setValue(field: PathField, value: string): void {
  if (Array.isArray(field.owner)) field.owner[field.key as number] = value;
  else field.owner[field.key as string] = value;
}

/** Why an existing exec program cannot run, or undefined. */
function programProblem(absolute: string): string | undefined {
  if (statSync(absolute).isDirectory()) return `is a directory (${absolute}), not a program`;
  try {
    accessSync(absolute, constants.X_OK);
    return undefined;
  } catch {
    return `is not executable (${absolute}); the fix: chmod +x ${absolute}`;
  }
}

/**
 * Replaces every path in `data` by its absolute form; returns the inputs that do not exist.
 * `provider` overrides cluster.provider (the --provider flag); by default the config's own.
 */
export function resolvePaths(data: unknown, configDir: string, checkFiles: boolean, provider?: ProviderName): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const effective = provider ?? (isRecord(data) && isRecord(data.cluster) ? data.cluster.provider : undefined);
  for (const field of pathFields(data, effective)) {
    const absolute = absolutePath(field.value, configDir);
    setValue(field, absolute);
    if (!checkFiles || (field.role !== 'input' && field.role !== 'program')) continue;
    if (!existsSync(absolute)) {
      issues.push({ path: field.path, message: `${field.value} does not exist (looked for ${absolute})` });
    } else if (field.role === 'program') {
      const problem = programProblem(absolute);
      if (problem) issues.push({ path: field.path, message: `${field.value} ${problem}` });
    }
  }
  return issues;
}
