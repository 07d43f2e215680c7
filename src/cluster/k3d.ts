// The k3d provider: a k3s cluster in Docker containers, created from a k3d config file that carries
// the registry config, so registries.yaml is only ever given at creation and never by restarting a node.
import { existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { ClusterConfig } from '../config/types.js';
import { InputError, RefusedError } from '../util/errors.js';
import { run } from '../util/exec.js';
import { which } from '../util/helpers.js';
import { apiServerFromList, clusterNamesFromList, k3dConfigYaml, k3dCreateArgs, k3dSimpleConfig, serverContainer } from './k3d-config.js';
import { mapPaths, mapPorts, portsNeeded, throwawayClusterConfig, type PathMapping, type ThrowawayIsolation } from './isolation.js';
import { freeLoopbackPorts } from './ports.js';
import {
  NODE_REGISTRIES_PATH,
  parseRegistriesYaml,
  registriesDifferences,
  registriesDriftMessage,
  registryCredentialValues,
} from './k3d-registries.js';
import { nodeNamesVia, writePrivateFile } from './provider-files.js';
import type { ClusterProvider, CreateClusterOptions } from './provider.js';

const DEFAULT_CREATE_TIMEOUT_MS = 300_000;
const K3D_COMMAND_TIMEOUT_MS = 120_000;
/**
 * k3d create's log line (v5.8.3; INFO goes to stdout) once its servers, agents and load balancer are
 * up: what is left is writing /etc/hosts and applying its registry ConfigMap. Asked earlier (once the
 * servers are up), `k3d kubeconfig get` cannot read the load balancer's config and prints its warning
 * on stdout before the kubeconfig. Should a later k3d word the line otherwise, the kubeconfig is
 * fetched after create, as before.
 */
const K3D_HELPERS_UP = /Injecting records for hostAliases/;
/** k3d derives container and network names from the cluster name, so keep it a short DNS label. */
const K3D_CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;

export function requireExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const found = which(name, env.PATH);
  if (!found) throw new InputError(`${name} is not installed (PATH=${env.PATH ?? ''})`);
  return found;
}

/** `$XDG_STATE_HOME/homelab-dr/k3d`: the cluster kubeconfigs homelab-dr writes live here. */
export function defaultK3dRoot(env: NodeJS.ProcessEnv, home: string): string {
  return join(env.XDG_STATE_HOME || join(home, '.local', 'state'), 'homelab-dr', 'k3d');
}

function checkClusterName(cluster: string): void {
  if (!K3D_CLUSTER_NAME.test(cluster)) {
    throw new InputError(`cluster name ${JSON.stringify(cluster)} is not usable for k3d (lowercase letters, digits and '-', at most 32)`);
  }
}

function defaultClusterConfig(cluster: string): ClusterConfig {
  return { provider: 'k3d', name: cluster, servers: 1, agents: 0, ports: [], volumes: [], k3sArgs: [] };
}

/** Makes each scratch directory: empty, or a copy of the production path where the config says seed: copy. */
async function prepareScratch(paths: readonly PathMapping[]): Promise<void> {
  for (const m of paths) {
    if (m.seed === 'copy') {
      if (!isAbsolute(m.source)) throw new InputError(`cluster.volumes: seed: copy needs a host path, and ${m.source} is a Docker volume name`);
      // A copy, never a bind: whatever the drill's apps write stays in the scratch directory.
      await cp(m.source, m.scratch, { recursive: true, preserveTimestamps: true, errorOnExist: true, force: false });
    } else {
      await mkdir(m.scratch, { recursive: true });
    }
  }
}

async function readRegistriesFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`cluster.registries.config: ${path} does not exist`);
    throw new InputError(`cluster.registries.config: cannot read ${path}: ${(err as Error).message}`);
  }
}

export interface K3dProviderOptions {
  /** Where homelab-dr keeps each cluster's kubeconfig; default `$XDG_STATE_HOME/homelab-dr/k3d`. */
  root?: string;
  /** Reads a node's registries.yaml (undefined when it has none); default `docker exec … cat`. Unit tests inject one. */
  readNodeRegistries?: NodeRegistriesReader;
}

/** One `k3d cluster list -o json`: its output, and the cluster names read from it. */
interface K3dListing {
  json: string;
  names: readonly string[];
}

export class K3dProvider implements ClusterProvider {
  readonly name = 'k3d' as const;
  readonly root: string;
  private readonly readNodeRegistries: NodeRegistriesReader;
  /**
   * The last `k3d cluster list`, kept until this provider creates or deletes a cluster (forget()). Callers
   * that ask meanwhile share it: one hard-reset asked eight times (guards, screen, preflight, delete and
   * create verify), about 40 ms each, and up to 400 ms when the guards ran it beside `k3d kubeconfig get`.
   * During a run the only change to the cluster is this provider's own (the run holds its lock); a failed
   * listing is not kept.
   */
  private listing: Promise<K3dListing> | undefined;
  /**
   * Each cluster's kubeconfig as fetched since this provider last created or deleted it. A cluster
   * recreated under the same name has new certificates, and during a run the only recreation is this
   * provider's own (the run holds the cluster's lock); one recreated behind its back fails TLS loudly.
   * `k3d kubeconfig get` copies the file out of the node container: a run asked for it nine times.
   */
  private readonly fetchedKubeconfigs = new Map<string, { path: Promise<string>; inFlight: boolean }>();

  constructor(opts: K3dProviderOptions = {}) {
    this.root = opts.root ?? defaultK3dRoot(process.env, homedir());
    this.readNodeRegistries = opts.readNodeRegistries ?? readNodeRegistriesViaDocker;
  }

  kubeconfigPath(cluster: string): string {
    checkClusterName(cluster);
    return join(this.root, cluster, 'kubeconfig.yaml');
  }

  /** The scratch directories live beside the cluster's kubeconfig, which delete() removes whole. */
  throwawayIsolation(cluster: string, config: ClusterConfig, freePorts?: readonly number[]): ThrowawayIsolation {
    checkClusterName(cluster);
    return { ports: mapPorts(config.ports, freePorts), paths: mapPaths(config.volumes, join(this.root, cluster, 'scratch'), true) };
  }

  /** `k3d cluster list -o json`: the kept listing, else a new one. */
  private clusterList(): Promise<K3dListing> {
    if (!this.listing) {
      // Output that is not a listing throws while its names are read, and so is not kept.
      const listing = run(requireExecutable('k3d'), ['cluster', 'list', '-o', 'json'], { timeoutMs: K3D_COMMAND_TIMEOUT_MS }).then((r) => ({
        json: r.stdout,
        names: clusterNamesFromList(r.stdout),
      }));
      listing.catch(() => {
        if (this.listing === listing) this.listing = undefined;
      });
      this.listing = listing;
    }
    return this.listing;
  }

  /** What this provider knew of `cluster` is stale once it creates or deletes it. */
  private forget(cluster: string): void {
    this.listing = undefined;
    this.fetchedKubeconfigs.delete(cluster);
  }

  async exists(cluster: string): Promise<boolean> {
    checkClusterName(cluster);
    return (await this.clusterList()).names.includes(cluster);
  }

  async list(): Promise<string[]> {
    return [...(await this.clusterList()).names];
  }

  async create(cluster: string, opts: CreateClusterOptions = {}): Promise<ThrowawayIsolation | void> {
    checkClusterName(cluster);
    const production = opts.config ?? defaultClusterConfig(cluster);
    const isolation = opts.throwaway
      ? this.throwawayIsolation(cluster, production, await freeLoopbackPorts(portsNeeded(production.ports)))
      : undefined;
    const config = isolation ? throwawayClusterConfig(production, isolation) : production;
    // Every input is checked before anything is touched.
    const registriesPath = config.registries?.config;
    const registriesYaml = registriesPath !== undefined ? await readRegistriesFile(registriesPath) : undefined;
    const credentials = registriesYaml !== undefined ? registryCredentialValues(parseRegistriesYaml(registriesYaml, registriesPath ?? '')) : [];
    const configYaml = k3dConfigYaml(k3dSimpleConfig(cluster, config, registriesYaml));
    const k3d = requireExecutable('k3d');
    if (await this.exists(cluster)) throw new RefusedError(`a k3d cluster named ${cluster} already exists; delete it first`);

    if (isolation) await prepareScratch(isolation.paths);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_CREATE_TIMEOUT_MS;
    const configFile = join(this.root, cluster, 'k3d-config.yaml');
    await writePrivateFile(configFile, configYaml);
    this.forget(cluster);
    // Once its load balancer is up, k3d still writes /etc/hosts and applies its registry ConfigMap (about
    // 2 s here, each a `docker exec`); the kubeconfig is fetched meanwhile, not after.
    let early: Promise<string> | undefined;
    const onOutput = (soFar: string): void => {
      if (early || !K3D_HELPERS_UP.test(soFar)) return;
      early = this.fetchKubeconfig(cluster, this.kubeconfigPath(cluster));
      early.catch(() => undefined);
    };
    let created = false;
    try {
      // k3d rolls a failed create back itself (its disableRollback stays false).
      await run(k3d, k3dCreateArgs(configFile, timeoutMs), { timeoutMs: timeoutMs + 30_000, secrets: credentials, onOutput });
      created = true;
    } finally {
      // A failed create rolls back, a killed one leaves half a cluster: either way, ask k3d again.
      this.forget(cluster);
      // The file embeds registry credentials; it is needed only while k3d reads it.
      await rm(configFile, { force: true });
      if (early) await this.keepEarlyKubeconfig(cluster, early, created);
    }
    return isolation;
  }

  /**
   * The kubeconfig fetched while create still ran serves later callers once create succeeded; a fetch
   * that failed (too early) is simply not kept. Of a failed create, nothing is kept and no file is left.
   */
  private async keepEarlyKubeconfig(cluster: string, early: Promise<string>, created: boolean): Promise<void> {
    const path = await early.catch(() => undefined);
    if (created && path !== undefined) this.fetchedKubeconfigs.set(cluster, { path: early, inFlight: false });
    else if (path !== undefined) await rm(path, { force: true });
  }

  /** A cluster that does not exist is not an error. */
  async delete(cluster: string): Promise<void> {
    if (await this.exists(cluster)) {
      this.forget(cluster);
      try {
        await run(requireExecutable('k3d'), ['cluster', 'delete', cluster], { timeoutMs: K3D_COMMAND_TIMEOUT_MS });
      } finally {
        this.forget(cluster);
      }
    }
    await rm(join(this.root, cluster), { recursive: true, force: true });
  }

  /** Fetched once after each create or delete of this provider's (see fetchedKubeconfigs), and again when the file is gone. */
  async kubeconfig(cluster: string): Promise<string> {
    const path = this.kubeconfigPath(cluster);
    const fetched = this.fetchedKubeconfigs.get(cluster);
    // One in flight is shared: its file does not exist until it ends (the guards and the blast-radius
    // screen asking at once ran three `k3d kubeconfig get`, ~400 ms each on two cores).
    if (fetched && (fetched.inFlight || existsSync(path))) return fetched.path;
    const entry = { path: this.fetchKubeconfig(cluster, path), inFlight: true };
    this.fetchedKubeconfigs.set(cluster, entry);
    entry.path.then(
      () => (entry.inFlight = false),
      // A failed fetch is not kept: the next caller asks k3d again.
      () => {
        if (this.fetchedKubeconfigs.get(cluster) === entry) this.fetchedKubeconfigs.delete(cluster);
      },
    );
    return entry.path;
  }

  private async fetchKubeconfig(cluster: string, path: string): Promise<string> {
    const { stdout } = await run(requireExecutable('k3d'), ['kubeconfig', 'get', cluster], { timeoutMs: K3D_COMMAND_TIMEOUT_MS });
    // k3d prints its warnings on stdout too: only a whole kubeconfig, and nothing else, is kept.
    if (!isKubeconfig(stdout)) throw new Error(`k3d kubeconfig get ${cluster} printed no kubeconfig (or more than one): ${stdout.trim().split('\n')[0]?.slice(0, 200) ?? ''}`);
    await writePrivateFile(path, stdout);
    return path;
  }

  async nodeNames(cluster: string): Promise<string[]> {
    return nodeNamesVia(await this.kubeconfig(cluster));
  }

  /**
   * The registry config is given only at creation, so a node whose registries.yaml differs from the
   * config's (or that has one the config does not give) can only be fixed by recreating the cluster.
   */
  async configDrift(cluster: string, config: ClusterConfig): Promise<string[]> {
    const path = config.registries?.config;
    const desired = path !== undefined ? await readRegistriesFile(path) : '';
    const drift = await registriesDrift(cluster, desired, {
      use: config.registries?.use ?? [],
      desiredOrigin: path ?? 'the config (no registries.config)',
      readNode: this.readNodeRegistries,
    });
    return drift.inSync ? [] : [drift.message];
  }

  /** From k3d's own record of the cluster (its load balancer's published 6443), not from a kubeconfig. */
  async apiServer(cluster: string): Promise<string> {
    checkClusterName(cluster);
    return apiServerFromList((await this.clusterList()).json, cluster);
  }
}

const KUBECONFIG_KEYS = new Set(['apiVersion', 'kind', 'clusters', 'contexts', 'users', 'current-context', 'preferences', 'extensions']);

/**
 * A kubeconfig document with at least one cluster, and nothing else: a log line before it parses as one
 * more top-level key ("WARN[0000] failed to get loadbalancer config...": "..."), so unknown keys fail.
 */
function isKubeconfig(text: string): boolean {
  try {
    const doc = parseYaml(text) as Record<string, unknown> | null;
    if (!doc || typeof doc !== 'object' || Object.keys(doc).some((k) => !KUBECONFIG_KEYS.has(k))) return false;
    return doc['kind'] === 'Config' && Array.isArray(doc['clusters']) && doc['clusters'].length > 0;
  } catch {
    return false;
  }
}

export interface RegistriesDrift {
  inSync: boolean;
  /** Paths that differ; never values (registries.yaml holds registry passwords). */
  differences: string[];
  message: string;
}

/** Reads a node container's registries.yaml; undefined when the node has none. */
export type NodeRegistriesReader = (container: string) => Promise<string | undefined>;

export async function readNodeRegistriesViaDocker(container: string): Promise<string | undefined> {
  const result = await run(requireExecutable('docker'), ['exec', container, 'cat', NODE_REGISTRIES_PATH], {
    timeoutMs: K3D_COMMAND_TIMEOUT_MS,
    allowFailure: true,
  });
  if (result.code === 0) return result.stdout;
  if (/No such file or directory/.test(result.stderr)) return undefined;
  throw new Error(`cannot read ${NODE_REGISTRIES_PATH} on ${container}: ${result.command}: exit ${result.code}: ${result.stderr.trim()}`);
}

/**
 * Compares the registries.yaml the first server node runs with the desired one, semantically.
 * `use` is the config's registries.use, whose mirrors k3d adds on its own.
 */
export async function registriesDrift(
  cluster: string,
  desiredYamlText: string,
  opts: { use?: readonly string[]; desiredOrigin?: string; readNode?: NodeRegistriesReader } = {},
): Promise<RegistriesDrift> {
  checkClusterName(cluster);
  const desired = parseRegistriesYaml(desiredYamlText, opts.desiredOrigin ?? 'desired registries.yaml');
  const container = serverContainer(cluster);
  const text = await (opts.readNode ?? readNodeRegistriesViaDocker)(container);
  const running = text === undefined ? undefined : parseRegistriesYaml(text, `${container}:${NODE_REGISTRIES_PATH}`);
  const differences = registriesDifferences(desired, running, opts.use ?? []);
  return { inSync: differences.length === 0, differences, message: registriesDriftMessage(cluster, container, differences) };
}
