// What the e2e tests need from the real k3d tier (scripts/k3d-tier.sh): whether it can run here, and the
// names `scripts/k3d-tier.sh env` exported, read by the one reader in bench/k3d-tier.ts. A test that
// cannot run says why instead of failing.
import { spawnSync } from 'node:child_process';
import { k3dTierFromEnv, type K3dTier } from '../bench/k3d-tier.js';

export { whyK3dCannotRun } from '../bench/k3d-tier.js';
export type { K3dTier } from '../bench/k3d-tier.js';

/** The tier's images and registry, or undefined when `scripts/k3d-tier.sh env` was not sourced. */
export function k3dTier(env: NodeJS.ProcessEnv = process.env): K3dTier | undefined {
  const found = k3dTierFromEnv(env);
  return 'tier' in found ? found.tier : undefined;
}

/** docker's answer, lines trimmed; throws with the command on failure. */
export function docker(args: string[]): string[] {
  const result = spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')}: exit ${result.status}: ${result.stderr}`);
  return result.stdout.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
}
