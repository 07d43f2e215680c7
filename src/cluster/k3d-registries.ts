// Semantic comparison of the registries.yaml a k3d node runs with the one the config wants. Pure.
// Differences name paths only: registries.yaml carries registry passwords, so no value is ever shown.
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { InputError } from '../util/errors.js';
import { isRecord } from '../util/helpers.js';

export const NODE_REGISTRIES_PATH = '/etc/rancher/k3s/registries.yaml';

type Tree = Record<string, unknown>;

/**
 * k3d re-marshals the file it writes, dropping empty and false fields, so an absent field and an
 * empty or false one mean the same and are removed on both sides before comparing.
 */
export function pruneEmpty(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(pruneEmpty).filter((item) => item !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (isRecord(value)) {
    const entries = Object.entries(value)
      .map(([key, child]) => [key, pruneEmpty(child)] as const)
      .filter(([, child]) => child !== undefined);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  if (value === null || value === '' || value === false) return undefined;
  return value;
}

/**
 * A YAML error's reason without the text it quotes (the part after ": ", an escape sequence): the
 * file holds registry passwords.
 */
function safeYamlReason(error: YAMLError): string {
  if (error.code === 'BAD_DQ_ESCAPE') return 'invalid escape sequence in a double-quoted string';
  return error.message.split('\n')[0]!.split(': ')[0]!;
}

function parseTree(text: string): { tree?: unknown; problem?: string } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    return { problem: `is not valid YAML at line ${line}, column ${col}: ${safeYamlReason(first)}` };
  }
  let tree: unknown;
  try {
    tree = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { problem: `is not valid YAML: ${(err as Error).message.split('\n')[0]}` };
  }
  if (tree !== null && tree !== undefined && !isRecord(tree)) return { problem: 'is not a mapping' };
  return { tree };
}

/**
 * Why a registries.yaml text cannot be used ("is not valid YAML at line 3, column 15: ...", "is not a
 * mapping"), or undefined. Positions only, never content.
 */
export function registriesYamlProblem(text: string): string | undefined {
  return parseTree(text).problem;
}

export function parseRegistriesYaml(text: string, origin: string): Tree {
  const { tree, problem } = parseTree(text);
  if (problem) throw new InputError(`${origin}: registries.yaml ${problem}`);
  const pruned = pruneEmpty(tree);
  return isRecord(pruned) ? pruned : {};
}

function pathLabel(path: readonly string[]): string {
  return path.map((key, index) => (/^[A-Za-z_][\w-]*$/.test(key) ? `${index === 0 ? '' : '.'}${key}` : `[${JSON.stringify(key)}]`)).join('');
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => sameValue(a[key], b[key]));
  }
  return a === b;
}

/** Host part of a `registries.use` reference (`k3d-registry.localhost:5050` → `k3d-registry.localhost`). */
function registryHost(ref: string): string {
  return ref.replace(/:\d+$/, '');
}

/**
 * k3d adds a mirror of its own for every `registries.use` registry (keyed by its host and a port we
 * cannot know before creation); those are expected on the node and are not drift.
 */
function isGeneratedMirror(path: readonly string[], use: readonly string[]): boolean {
  if (path.length !== 2 || path[0] !== 'mirrors') return false;
  const host = registryHost(path[1] ?? '');
  return use.some((ref) => {
    const usedHost = registryHost(ref);
    return host === usedHost || host === `k3d-${usedHost}` || `k3d-${host}` === usedHost;
  });
}

function collectDifferences(desired: unknown, running: unknown, path: string[], use: readonly string[], out: string[]): void {
  if (isRecord(desired) && isRecord(running)) {
    const keys = [...new Set([...Object.keys(desired), ...Object.keys(running)])].sort();
    for (const key of keys) {
      const childPath = [...path, key];
      if (!(key in running)) out.push(`${pathLabel(childPath)} is missing on the node`);
      else if (!(key in desired)) {
        if (!isGeneratedMirror(childPath, use)) out.push(`${pathLabel(childPath)} is on the node but not in the desired registries.yaml`);
      } else collectDifferences(desired[key], running[key], childPath, use, out);
    }
    return;
  }
  if (!sameValue(desired, running)) out.push(`${pathLabel(path)} differs`);
}

/**
 * What differs between the desired registries.yaml and the node's (undefined when the node has none).
 * `use` is the config's registries.use.
 */
export function registriesDifferences(desired: Tree, running: Tree | undefined, use: readonly string[] = []): string[] {
  if (running === undefined) return Object.keys(desired).length > 0 ? [`the node has no ${NODE_REGISTRIES_PATH}`] : [];
  const out: string[] = [];
  collectDifferences(desired, running, [], use, out);
  return out;
}

export function registriesDriftMessage(cluster: string, container: string, differences: readonly string[]): string {
  if (differences.length === 0) return `registries.yaml on ${container} matches the desired one`;
  return [
    `registries.yaml on ${container} differs from the desired one (${differences.length} difference(s)):`,
    ...differences.map((d) => `  - ${d}`),
    `The fix is recreating cluster ${cluster}, which gives the registry config at creation: run \`homelab-dr dr-test\` first, then \`homelab-dr hard-reset\`.`,
    'Do not `docker restart` the node to reload it: that restarts every pod on it, including any tunnel your access depends on.',
  ].join('\n');
}

/** Every credential value under configs.*.auth, to be redacted from k3d's output. */
export function registryCredentialValues(registries: Tree): string[] {
  const configs = isRecord(registries.configs) ? Object.values(registries.configs) : [];
  return configs.flatMap((entry) => {
    const auth = isRecord(entry) ? entry.auth : undefined;
    return isRecord(auth) ? Object.values(auth).filter((v): v is string => typeof v === 'string') : [];
  });
}
