// A kubeconfig pinned to one context, cut from the user's kubeconfig file(s). Pure.
// Every later step opens the cluster through this file without naming a context, so pinning it here
// means a `kubectl config use-context` elsewhere during a run cannot redirect the run to another cluster.
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { writeYaml } from '../k8s/yaml-write.js';
import { loadKubeYaml } from '../k8s/yaml11.js';
import { InputError } from '../util/errors.js';
import { asRecord } from '../util/helpers.js';

export interface KubeconfigSource {
  path: string;
  text: string;
}

interface NamedEntry {
  name: string;
  [key: string]: unknown;
}

interface Found<T> {
  entry: T;
  /** The file that defined the entry; relative paths inside it are relative to that file. */
  path: string;
}

export interface PinnedKubeconfig {
  context: string;
  server: string;
  text: string;
}

// kubectl reads a kubeconfig with the same YAML 1.1 rules as a manifest.
function parseSource(source: KubeconfigSource): Record<string, unknown> {
  try {
    return asRecord(loadKubeYaml(source.text, source.path).value);
  } catch (err) {
    throw new InputError(`${source.path}: not a valid kubeconfig: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** kubectl's merge rule for a KUBECONFIG list: the first file that names an entry wins. */
function findNamed(docs: Array<{ path: string; doc: Record<string, unknown> }>, list: string, name: string): Found<NamedEntry> | undefined {
  for (const { path, doc } of docs) {
    const entries = Array.isArray(doc[list]) ? (doc[list] as unknown[]) : [];
    const entry = entries.find((e): e is NamedEntry => asRecord(e).name === name);
    if (entry) return { entry, path };
  }
  return undefined;
}

function absoluteFrom(file: string, value: unknown): unknown {
  return typeof value === 'string' && value !== '' && !isAbsolute(value) ? join(dirname(file), value) : value;
}

/** The file references kubectl resolves against the kubeconfig's own directory. */
function resolveClusterPaths(found: Found<NamedEntry>): NamedEntry {
  const cluster = { ...asRecord(found.entry.cluster) };
  cluster['certificate-authority'] = absoluteFrom(found.path, cluster['certificate-authority']);
  return { ...found.entry, cluster: dropUndefined(cluster) };
}

function resolveUserPaths(found: Found<NamedEntry>): NamedEntry {
  const user = { ...asRecord(found.entry.user) };
  for (const key of ['client-certificate', 'client-key', 'tokenFile']) user[key] = absoluteFrom(found.path, user[key]);
  const exec = asRecord(user.exec);
  // A bare exec command is looked up on PATH; only one with a slash is a path relative to the file.
  if (typeof exec.command === 'string' && exec.command.includes('/')) user.exec = { ...exec, command: absoluteFrom(found.path, exec.command) };
  return { ...found.entry, user: dropUndefined(user) };
}

function dropUndefined(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

export function pinnedKubeconfig(sources: readonly KubeconfigSource[], context?: string): PinnedKubeconfig {
  const files = sources.map((s) => s.path).join(', ');
  const docs = sources.map((source) => ({ path: source.path, doc: parseSource(source) }));
  const current = docs.map(({ doc }) => doc['current-context']).find((c): c is string => typeof c === 'string' && c !== '');
  const contextName = context ?? current;
  if (!contextName) throw new InputError(`cluster.context is not set and ${files} has no current-context`);
  const contextFound = findNamed(docs, 'contexts', contextName);
  if (!contextFound) {
    const known = docs.flatMap(({ doc }) => (Array.isArray(doc.contexts) ? doc.contexts : []).map((c) => asRecord(c).name)).filter(Boolean);
    throw new InputError(`cluster.context: context "${contextName}" is not in ${files} (contexts: ${known.join(', ') || 'none'})`);
  }
  const contextBody = asRecord(contextFound.entry.context);
  const clusterName = String(contextBody.cluster ?? '');
  const clusterFound = findNamed(docs, 'clusters', clusterName);
  if (!clusterFound) throw new InputError(`context "${contextName}" names cluster "${clusterName}", which is not in ${files}`);
  const server = asRecord(clusterFound.entry.cluster).server;
  if (typeof server !== 'string' || server === '') throw new InputError(`cluster "${clusterName}" in ${clusterFound.path} has no server`);
  const userName = typeof contextBody.user === 'string' ? contextBody.user : undefined;
  const userFound = userName !== undefined ? findNamed(docs, 'users', userName) : undefined;
  if (userName !== undefined && !userFound) throw new InputError(`context "${contextName}" names user "${userName}", which is not in ${files}`);

  const pinned = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [resolveClusterPaths(clusterFound)],
    users: userFound ? [resolveUserPaths(userFound)] : [],
    contexts: [contextFound.entry],
    'current-context': contextName,
  };
  return { context: contextName, server, text: writeYaml(pinned) };
}

/** The files kubectl would read: cluster.kubeconfig, else every entry of $KUBECONFIG, else ~/.kube/config. */
export function kubeconfigFiles(configured: string | undefined, env: NodeJS.ProcessEnv, home: string): string[] {
  if (configured) return [configured];
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter((p) => p !== '');
  return fromEnv.length > 0 ? fromEnv : [join(home, '.kube', 'config')];
}
