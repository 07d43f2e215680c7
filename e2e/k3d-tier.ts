// What the e2e tests need from the real k3d tier (scripts/k3d-tier.sh): whether it can run here, and the
// names `scripts/k3d-tier.sh env` exported. A test that cannot run says why instead of failing.
import { spawnSync } from 'node:child_process';
import { which } from '../src/util/helpers.js';

export interface K3dTier {
  nodeImage: string;
  /** The registry as clusters reach it (host:port), and the container k3d connects to each cluster. */
  registry: string;
  registryContainer: string;
  sealedSecretsImage: string;
  /** The registry's own image, also served by it: a small HTTP server to run as a workload. */
  registryImage: string;
}

/** Why real k3d cannot run here, or undefined when it can. */
export function whyK3dCannotRun(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.HOMELAB_DR_K3D_TIER_SKIPPED) return `the k3d tier did not start: ${env.HOMELAB_DR_K3D_TIER_SKIPPED}`;
  if (!which('docker', env.PATH)) return 'docker is not installed';
  const info = spawnSync('docker', ['info'], { encoding: 'utf8', timeout: 30_000 });
  if (info.status !== 0) return `\`docker info\` failed: ${(info.stderr || info.error?.message || '').trim().split('\n')[0]}`;
  if (!which('k3d', env.PATH)) return 'k3d is not installed';
  return undefined;
}

/** The tier's images and registry, or undefined when `scripts/k3d-tier.sh env` was not sourced. */
export function k3dTier(env: NodeJS.ProcessEnv = process.env): K3dTier | undefined {
  const { HOMELAB_DR_K3D_NODE_IMAGE, HOMELAB_DR_K3D_REGISTRY, HOMELAB_DR_K3D_REGISTRY_NAME, HOMELAB_DR_K3D_SEALED_SECRETS_IMAGE, HOMELAB_DR_K3D_REGISTRY_IMAGE } = env;
  if (!HOMELAB_DR_K3D_NODE_IMAGE || !HOMELAB_DR_K3D_REGISTRY || !HOMELAB_DR_K3D_REGISTRY_NAME || !HOMELAB_DR_K3D_SEALED_SECRETS_IMAGE || !HOMELAB_DR_K3D_REGISTRY_IMAGE) {
    return undefined;
  }
  return {
    nodeImage: HOMELAB_DR_K3D_NODE_IMAGE,
    registry: HOMELAB_DR_K3D_REGISTRY,
    registryContainer: HOMELAB_DR_K3D_REGISTRY_NAME,
    sealedSecretsImage: HOMELAB_DR_K3D_SEALED_SECRETS_IMAGE,
    registryImage: HOMELAB_DR_K3D_REGISTRY_IMAGE,
  };
}

/** docker's answer, lines trimmed; throws with the command on failure. */
export function docker(args: string[]): string[] {
  const result = spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')}: exit ${result.status}: ${result.stderr}`);
  return result.stdout.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
}
