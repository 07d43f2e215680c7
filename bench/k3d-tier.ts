// The real k3d tier (scripts/k3d-tier.sh) as the k3d benchmark and the e2e tests find it, and the e2e
// homelab (e2e/homelab) made ready for it: a copy whose node image, image tags, registry and volume
// host path are the tier's and the run's own. The repo's copy stays valid offline (lint, plan).
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlPlaneBinaries } from '../src/cluster/control-plane-binaries.js';
import { chartDir } from '../src/cluster/sealed-secrets-upstream.js';
import { which } from '../src/util/helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository: this file runs from bench/ under vitest and from dist/bench/ under `npm run bench`. */
const repoRoot = basename(dirname(here)) === 'dist' ? resolve(here, '..', '..') : resolve(here, '..');
export const E2E_HOMELAB_DIR = join(repoRoot, 'e2e', 'homelab');

/** What `scripts/k3d-tier.sh env` exports: the one reading of it, for the e2e tests and the benchmark. */
export interface K3dTier {
  nodeImage: string;
  /** The registry as the cluster's nodes reach it (host:port). */
  registry: string;
  /** The registry's container, which k3d connects to each cluster. */
  registryContainer: string;
  /** The registry's own image, also served by it: a small HTTP server to run as a workload. */
  registryImage: string;
  appImage: string;
  sealedSecretsImage: string;
}

const TIER_ENV = {
  nodeImage: 'HOMELAB_DR_K3D_NODE_IMAGE',
  registry: 'HOMELAB_DR_K3D_REGISTRY',
  registryContainer: 'HOMELAB_DR_K3D_REGISTRY_NAME',
  registryImage: 'HOMELAB_DR_K3D_REGISTRY_IMAGE',
  appImage: 'HOMELAB_DR_K3D_APP_IMAGE',
  sealedSecretsImage: 'HOMELAB_DR_K3D_SEALED_SECRETS_IMAGE',
} as const;

/** Why real k3d cannot run here, or undefined when it can. */
export function whyK3dCannotRun(env: NodeJS.ProcessEnv = process.env): string | undefined {
  // scripts/test.sh sets it when `k3d-tier.sh up` failed, with the error.
  if (env.HOMELAB_DR_K3D_TIER_SKIPPED) return `the k3d tier did not start: ${env.HOMELAB_DR_K3D_TIER_SKIPPED}`;
  for (const tool of ['docker', 'k3d', 'kubectl']) {
    if (!which(tool, env.PATH)) return `${tool} is not on PATH`;
  }
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 30_000, env });
  if (info.status !== 0) return `\`docker info\` failed: ${(info.stderr || info.error?.message || '').trim().split('\n')[0]}`;
  return undefined;
}

/** The tier from the environment, or why it is not up (then the caller skips, saying so). */
export function k3dTierFromEnv(env: NodeJS.ProcessEnv = process.env): { tier: K3dTier } | { skip: string } {
  const unset = Object.values(TIER_ENV).filter((name) => !env[name]);
  if (unset.length > 0 && !env.HOMELAB_DR_K3D_TIER_SKIPPED) {
    return { skip: `the k3d tier is not up: ${unset.join(', ')} unset (run \`bash scripts/k3d-tier.sh up\` and source \`bash scripts/k3d-tier.sh env\`)` };
  }
  const why = whyK3dCannotRun(env);
  if (why) return { skip: `the k3d tier is not up: ${why}` };
  const tier = Object.fromEntries(Object.entries(TIER_ENV).map(([key, name]) => [key, env[name]!])) as unknown as K3dTier;
  return { tier };
}

/** The SealedSecret CRD of the pinned sealed-secrets module, read from the Go module cache (never copied into the repo). */
export function sealedSecretsCrdFile(env: NodeJS.ProcessEnv = process.env): string {
  const moduleDir = readFileSync(controlPlaneBinaries(['sealedSecretsModuleDir'], env).sealedSecretsModuleDir, 'utf8').trim();
  return join(chartDir(moduleDir), 'crds', 'bitnami.com_sealedsecrets.yaml');
}

/** Replaces `from` by `to` in one file, and fails unless it was there exactly `times` times. */
export function substituteExactly(file: string, from: string, to: string, times: number): void {
  const text = readFileSync(file, 'utf8');
  const found = text.split(from).length - 1;
  if (found !== times) throw new Error(`${file}: expected ${times} occurrence(s) of ${JSON.stringify(from)}, found ${found}`);
  writeFileSync(file, text.split(from).join(to));
}

/**
 * Copies e2e/homelab to `dest` with the tier's images and registry, and the PV's data under
 * `hostDataDir` (a host directory of the run's own). With `hostPort`, the cluster publishes the app's
 * port 8080 on that loopback port through its load balancer, as a homelab publishes its ingress: a
 * drill beside it then meets a real port clash unless it remaps. Returns the copy's config path.
 */
export function prepareE2eHomelab(dest: string, tier: K3dTier, hostDataDir: string, opts: { clusterName?: string; hostPort?: number } = {}): string {
  cpSync(E2E_HOMELAB_DIR, dest, { recursive: true, filter: (src) => !src.includes(`${E2E_HOMELAB_DIR}/.state`) });
  // Made now: k3d only warns when a bind source is missing, and Docker would make it root-owned later.
  mkdirSync(hostDataDir, { recursive: true });
  const config = join(dest, 'homelab.yaml');
  substituteExactly(config, 'image: homelab-dr/k3s-compat-node:e2e', `image: ${tier.nodeImage}`, 1);
  substituteExactly(config, 'use: [k3d-homelab-dr-registry:5000]', `use: [${tier.registry}]`, 1);
  substituteExactly(config, '"/srv/homelab-dr-e2e:/srv/hdr-e2e"', JSON.stringify(`${hostDataDir}:/srv/hdr-e2e`), 1);
  if (opts.clusterName) substituteExactly(config, 'name: hdr-e2e\n', `name: ${opts.clusterName}\n`, 1);
  if (opts.hostPort !== undefined) {
    substituteExactly(config, '  agents: 0\n', `  agents: 0\n  ports:\n    - { port: "127.0.0.1:${opts.hostPort}:8080", nodeFilters: ["loadbalancer"] }\n`, 1);
  }
  substituteExactly(join(dest, 'registries.yaml'), 'http://k3d-homelab-dr-registry:5000', `http://${tier.registry}`, 1);
  substituteExactly(join(dest, 'kubernetes', 'apps', 'app.yaml'), 'image: docker.io/homelab-dr/app:e2e', `image: docker.io/${tier.appImage}`, 2);
  const controller = join(dest, 'kubernetes', 'sealed-secrets', 'controller.yaml');
  appendFileSync(controller, `---\n${readFileSync(sealedSecretsCrdFile(), 'utf8')}`);
  substituteExactly(
    controller,
    'image: docker.io/homelab-dr/sealed-secrets-controller:v0.27.3',
    `image: docker.io/${tier.sealedSecretsImage}`,
    1,
  );
  return config;
}
