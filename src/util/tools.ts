// Every program a step runs, where homelab-dr finds it, how it proves it answers, and how to get it.
// Preflight asks each tool the selected steps declare (a `tool NAME` use) for its version before
// anything is destroyed: a tool found missing after the cluster is gone is the outage.
//
// Where an operator's tool comes from (docs/tools.md), first match wins:
//   1. the environment variable HOMELAB_DR_<TOOL> (HOMELAB_DR_KUBECTL=/opt/k/kubectl),
//   2. the config's `tools:` map (tools: { kubectl: /usr/local/bin/kubectl }),
//   3. PATH.
// The kwok rehearsal (ToolSource.rehearsal) and the test harness (vitest.config.ts) put the Go-built
// cache's bin dirs first on that PATH, explicitly (rehearsalPath); nothing else reads the cache for them.
import { basename, dirname } from 'node:path';
import { BUILD_HINT } from '../cluster/control-plane-binaries.js';
import { cachedBinary, rehearsalPath, type PinnedComponent } from './binaries.js';
import { errorMessage } from './errors.js';
import { run } from './exec.js';
import { which } from './helpers.js';
import { childEnv } from './secrets-registry.js';

/**
 * The tools homelab-dr itself runs by path, which the config's `tools:` map and HOMELAB_DR_<TOOL> may
 * point at. k3d (and the docker it drives) come from PATH only: the k3d provider runs `k3d` from PATH.
 */
export const OPERATOR_TOOLS = ['kubectl', 'helm', 'sops', 'age'] as const;
export type OperatorTool = (typeof OPERATOR_TOOLS)[number];
type RangedTool = OperatorTool | 'k3d';

/**
 * The one table of supported versions ([min, below)); docs/tools.md explains it. Each range is the
 * major line of the pinned build (scripts/control-plane.pins), which the tests run; the upper bound keeps
 * out the next major (helm 4, sops 4 ...), whose command lines are unproven. kubectl's window is its
 * skew policy (one minor either side of the apiserver) around the clusters homelab-dr rebuilds.
 */
export const SUPPORTED_VERSIONS: Readonly<Record<RangedTool, { min: string; below: string }>> = {
  kubectl: { min: '1.30.0', below: '1.35.0' },
  helm: { min: '3.12.0', below: '4.0.0' },
  sops: { min: '3.8.0', below: '4.0.0' },
  age: { min: '1.1.0', below: '2.0.0' },
  k3d: { min: '5.6.0', below: '6.0.0' },
};

/** cache: only the pinned build is used (the kwok rehearsal's own components); path: resolved as above. */
type Where = { cache: [PinnedComponent, string] } | { path: string };

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
  'sealed-secrets-controller': pinned('sealed-secrets', 'sealed-secrets-controller'),
  kubectl: { where: { path: 'kubectl' }, versionArgs: ['version', '--client'], install: 'install kubectl: https://kubernetes.io/docs/tasks/tools/#kubectl (or apt-get install kubectl)' },
  helm: { where: { path: 'helm' }, versionArgs: ['version'], install: 'install helm 3: https://helm.sh/docs/intro/install/' },
  sops: { where: { path: 'sops' }, versionArgs: ['--version', '--disable-version-check'], install: 'install sops: https://github.com/getsops/sops/releases' },
  age: { where: { path: 'age' }, versionArgs: ['--version'], install: 'apt-get install age (or https://github.com/FiloSottile/age/releases)' },
};

/** Where to look for the operator's tools: the environment (HOMELAB_DR_<TOOL>, PATH) and the config's `tools:`. */
export interface ToolSource {
  env: NodeJS.ProcessEnv;
  configured?: Partial<Record<OperatorTool, string>>;
  /** The kwok rehearsal: kubectl, helm, age and sops are looked for in the build cache before PATH. */
  rehearsal?: boolean;
}

export function toolEnvVariable(tool: string): string {
  return `HOMELAB_DR_${tool.toUpperCase().replace(/-/g, '_')}`;
}

function isOperatorTool(tool: string): tool is OperatorTool {
  return (OPERATOR_TOOLS as readonly string[]).includes(tool);
}

function isRanged(tool: string): tool is RangedTool {
  return Object.hasOwn(SUPPORTED_VERSIONS, tool);
}

/** The tool source of a config: the kwok rehearsal runs the pinned builds, any other provider the operator's. */
export function toolSourceOf(config: { cluster: { provider: string }; tools?: Partial<Record<OperatorTool, string>> }, env: NodeJS.ProcessEnv = process.env): ToolSource {
  return { env, ...(config.tools ? { configured: config.tools } : {}), ...(config.cluster.provider === 'kwok' ? { rehearsal: true } : {}) };
}

export interface Located {
  path?: string;
  /** Where it came from (found), or where it was looked for (not found): said in every message about it. */
  from: string;
}

/** Finds a tool: HOMELAB_DR_<TOOL>, else the config's tools.<name>, else PATH (cache-only tools: the cache). */
export function locateTool(tool: string, source: ToolSource): Located {
  const spec = TOOLS[tool];
  const where = spec?.where ?? { path: tool };
  if ('cache' in where) {
    const cached = cachedBinary(where.cache[0], where.cache[1], source.env);
    // The cache directory as a one-entry PATH: the same executable test as for PATH.
    const found = which(basename(cached), dirname(cached));
    return { path: found, from: found ? `the build cache (${cached})` : `at ${cached}` };
  }
  if (!isOperatorTool(tool)) return onPath(where.path, source.env.PATH);
  const variable = toolEnvVariable(tool);
  const fromEnv = source.env[variable];
  if (fromEnv) return explicit(fromEnv, `${variable}=${fromEnv}`);
  const fromConfig = source.configured?.[tool];
  if (fromConfig) return explicit(fromConfig, `the config's tools.${tool} (${fromConfig})`);
  return onPath(where.path, source.rehearsal ? rehearsalPath(source.env) : source.env.PATH);
}

function onPath(name: string, path: string | undefined): Located {
  const found = which(name, path);
  return { path: found, from: found ? `PATH (${found})` : `on PATH (${path ?? ''})` };
}

/** A path the operator named: used if it is executable, never replaced by another one on PATH. */
function explicit(path: string, named: string): Located {
  const found = which(basename(path), dirname(path));
  return { path: found, from: found ? named : `at ${named}` };
}

/** The first x.y.z in a version line ("Client Version: v1.33.4", `BuildInfo{Version:"v3.18.4"`). */
export function parseVersion(text: string): [number, number, number] | undefined {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Why a version line is outside the tool's supported range, or undefined when it is inside (or no range is known). */
export function versionProblem(tool: string, line: string, from: string): string | undefined {
  if (!isRanged(tool)) return undefined;
  const { min, below } = SUPPORTED_VERSIONS[tool];
  const range = `supported: >=${min} <${below}`;
  const found = parseVersion(line);
  if (!found) return `${tool} from ${from} printed no version this release can read ("${line}"); ${range}`;
  if (compare(found, parseVersion(min)!) >= 0 && compare(found, parseVersion(below)!) < 0) return undefined;
  const fix = isOperatorTool(tool) ? `install a supported ${tool} or point ${toolEnvVariable(tool)} or the config's tools.${tool} at one` : `put a supported ${tool} first on PATH`;
  return `${tool} ${found.join('.')} from ${from} is outside the supported range (${range}); ${fix}`;
}

export interface ToolCheck {
  tool: string;
  ok: boolean;
  /** The version line it printed, or what is wrong and how to get it. */
  detail: string;
  /** The executable, when it was found and answered within range. */
  path?: string;
}

const VERSION_TIMEOUT_MS = 15_000;

/** Finds the tool, runs its version command and checks the range; never throws. */
export async function checkTool(tool: string, source: ToolSource = { env: process.env }): Promise<ToolCheck> {
  const spec = TOOLS[tool];
  if (!spec) return { tool, ok: false, detail: `no version check is known for ${tool} (a step declares a tool src/util/tools.ts does not list)` };
  const { path, from } = locateTool(tool, source);
  if (!path) return { tool, ok: false, detail: `${tool} is not installed: not found ${from}; to get it: ${spec.install}` };
  try {
    const result = await run(path, spec.versionArgs, { timeoutMs: VERSION_TIMEOUT_MS, allowFailure: true, env: childEnv({ ...process.env, PATH: source.env.PATH }) });
    const firstLine = (result.stdout.trim() || result.stderr.trim()).split('\n')[0] ?? '';
    if (result.code !== 0) {
      return { tool, ok: false, detail: `${tool} does not answer: \`${result.command}\` exited ${result.code ?? result.signal}${firstLine ? ` (${firstLine})` : ''}; to get a working one: ${spec.install}` };
    }
    const problem = versionProblem(tool, firstLine, from);
    if (problem) return { tool, ok: false, detail: problem };
    return { tool, ok: true, detail: `${path}: ${firstLine}`, path };
  } catch (err) {
    return { tool, ok: false, detail: `${tool} does not answer: ${errorMessage(err)}; to get a working one: ${spec.install}` };
  }
}

const checked = new Map<string, Promise<ToolCheck>>();

/** What decides which program checkTool(tool, source) finds: equal keys, equal checks. */
export function toolCheckKey(tool: string, source: ToolSource): string {
  return `${tool}\0${JSON.stringify(source.configured ?? {})}\0${source.env[toolEnvVariable(tool)] ?? ''}\0${source.rehearsal ?? false}\0${source.env.PATH ?? ''}`;
}

/** The checked path of a tool a command runs (helm for a chart, kubectl for kustomize); throws the check's message. */
export async function toolPath(tool: OperatorTool, source: ToolSource): Promise<string> {
  const key = toolCheckKey(tool, source);
  let check = checked.get(key);
  if (!check) checked.set(key, (check = checkTool(tool, source)));
  const result = await check;
  if (!result.path) throw new Error(result.detail);
  return result.path;
}
