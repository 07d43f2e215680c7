// Every program a step runs, where homelab-dr finds it, how it proves it answers, and how to get it.
// Preflight asks each tool the selected steps declare (a `tool NAME` use) for its version before
// anything is destroyed: a tool found missing after the cluster is gone is the outage.
import { basename, dirname } from 'node:path';
import { BUILD_HINT } from '../cluster/control-plane-binaries.js';
import { cachedBinary, type PinnedComponent } from './binaries.js';
import { errorMessage } from './errors.js';
import { run } from './exec.js';
import { which } from './helpers.js';
import { childEnv } from './secrets-registry.js';

/** cache: only the pinned build is used; path: looked up on PATH; cache-or-path: the pinned build, else PATH. */
type Where = { cache: [PinnedComponent, string] } | { path: string } | { cacheOrPath: [PinnedComponent, string] };

interface ToolSpec {
  where: Where;
  /** The arguments that make the tool print its version and nothing else. */
  versionArgs: string[];
  /** How to get it, for the operator reading the refusal. */
  install: string;
}

const pinned = (component: PinnedComponent, file: string, versionArgs = ['--version']): ToolSpec => ({
  where: { cache: [component, file] },
  versionArgs,
  install: BUILD_HINT,
});

export const TOOLS: Readonly<Record<string, ToolSpec>> = {
  k3d: { where: { path: 'k3d' }, versionArgs: ['version'], install: 'install k3d: https://k3d.io/#installation (release binary or install script)' },
  // `docker version` also asks the daemon: k3d needs it running, not only the client installed.
  docker: { where: { path: 'docker' }, versionArgs: ['version'], install: 'apt-get install docker.io (or https://docs.docker.com/engine/install/), and start the daemon' },
  nft: { where: { path: 'nft' }, versionArgs: ['--version'], install: 'apt-get install nftables' },
  unshare: { where: { path: 'unshare' }, versionArgs: ['--version'], install: 'apt-get install util-linux' },
  ip: { where: { path: 'ip' }, versionArgs: ['-V'], install: 'apt-get install iproute2' },
  kwokctl: pinned('kwok', 'kwokctl'),
  kwok: pinned('kwok', 'kwok'),
  'kube-apiserver': pinned('kubernetes', 'kube-apiserver'),
  'kube-controller-manager': pinned('kubernetes', 'kube-controller-manager'),
  'kube-scheduler': pinned('kubernetes', 'kube-scheduler'),
  etcd: pinned('etcd', 'etcd'),
  kubectl: pinned('kubernetes', 'kubectl', ['version', '--client']),
  helm: pinned('helm', 'helm', ['version']),
  'sealed-secrets-controller': pinned('sealed-secrets', 'sealed-secrets-controller'),
  sops: { where: { cacheOrPath: ['sops', 'sops'] }, versionArgs: ['--version'], install: `${BUILD_HINT}, or apt-get install sops (https://github.com/getsops/sops/releases)` },
  age: { where: { cacheOrPath: ['age', 'age'] }, versionArgs: ['--version'], install: `${BUILD_HINT}, or apt-get install age` },
};

export interface ToolCheck {
  tool: string;
  ok: boolean;
  /** The version line it printed, or what is wrong and how to get it. */
  detail: string;
}

const VERSION_TIMEOUT_MS = 15_000;

function locate(spec: ToolSpec, env: NodeJS.ProcessEnv): { path?: string; looked: string } {
  const where = spec.where;
  if ('path' in where) return { path: which(where.path, env.PATH), looked: `on PATH (${env.PATH ?? ''})` };
  const [component, file] = 'cache' in where ? where.cache : where.cacheOrPath;
  const cached = cachedBinary(component, file, env);
  // The cache directory as a one-entry PATH: the same executable test as for PATH.
  const inCache = which(basename(cached), dirname(cached));
  if (inCache || 'cache' in where) return { path: inCache, looked: `at ${cached}` };
  return { path: which(where.cacheOrPath[1], env.PATH), looked: `at ${cached} or on PATH (${env.PATH ?? ''})` };
}

/** Finds the tool and runs its version command; never throws. */
export async function checkTool(tool: string, env: NodeJS.ProcessEnv = process.env): Promise<ToolCheck> {
  const spec = TOOLS[tool];
  if (!spec) return { tool, ok: false, detail: `no version check is known for ${tool} (a step declares a tool src/util/tools.ts does not list)` };
  const { path, looked } = locate(spec, env);
  if (!path) return { tool, ok: false, detail: `${tool} is not installed: not found ${looked}; to get it: ${spec.install}` };
  try {
    const result = await run(path, spec.versionArgs, { timeoutMs: VERSION_TIMEOUT_MS, allowFailure: true, env: childEnv({ ...process.env, PATH: env.PATH }) });
    const firstLine = (result.stdout.trim() || result.stderr.trim()).split('\n')[0] ?? '';
    if (result.code !== 0) {
      return { tool, ok: false, detail: `${tool} does not answer: \`${result.command}\` exited ${result.code ?? result.signal}${firstLine ? ` (${firstLine})` : ''}; to get a working one: ${spec.install}` };
    }
    return { tool, ok: true, detail: `${path}: ${firstLine}` };
  } catch (err) {
    return { tool, ok: false, detail: `${tool} does not answer: ${errorMessage(err)}; to get a working one: ${spec.install}` };
  }
}
