// Checks that matter to one cluster provider only, made when the config is loaded for the provider the
// command uses (cluster.provider, or --provider): a k3d run with an untagged image or a broken
// registries.yaml stops here, exit 2, and not in create-cluster after hard-reset has deleted the cluster.
import { existsSync, readFileSync } from 'node:fs';
import { imageTagProblem } from '../cluster/k3d-config.js';
import { registriesYamlProblem } from '../cluster/k3d-registries.js';
import { isRecord } from '../util/helpers.js';
import type { ConfigIssue } from './issues.js';

function k3dIssues(cluster: Record<string, unknown>, checkFiles: boolean): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (typeof cluster.image === 'string') {
    const problem = imageTagProblem(cluster.image);
    if (problem) issues.push({ path: ['cluster', 'image'], message: problem });
  }
  // The path is absolute by now (path-fields.ts); a missing file is already reported there.
  const registries = isRecord(cluster.registries) ? cluster.registries.config : undefined;
  if (checkFiles && typeof registries === 'string' && existsSync(registries)) {
    let problem: string | undefined;
    try {
      problem = registriesYamlProblem(readFileSync(registries, 'utf8'));
    } catch (err) {
      problem = `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    }
    if (problem) {
      issues.push({ path: ['cluster', 'registries', 'config'], message: `${registries} ${problem}; k3d reads this file when it creates the cluster` });
    }
  }
  return issues;
}

/**
 * Provider existing creates no node: the cluster has the nodes it has (verify counts them). A node
 * count written for it would promise nodes nobody makes, so it is refused rather than ignored. Only when
 * the file itself says existing: a k3d config run with --provider existing keeps its k3d counts.
 */
function existingIssues(cluster: Record<string, unknown>): ConfigIssue[] {
  if (cluster.provider !== 'existing') return [];
  const counts: Array<['servers' | 'agents', number]> = [['servers', 1], ['agents', 0]];
  return counts
    .filter(([key, none]) => typeof cluster[key] === 'number' && cluster[key] !== none)
    .map(([key]) => ({
      path: ['cluster', key],
      message: `provider existing creates no nodes, so ${key}: ${String(cluster[key])} would never be made; remove it (verify and the blast-radius screen count the live nodes)`,
    }));
}

/** `data` is schema-checked and path-resolved; `provider` is the one the command uses. */
export function providerIssues(data: unknown, provider: unknown, checkFiles: boolean): ConfigIssue[] {
  const cluster = isRecord(data) && isRecord(data.cluster) ? data.cluster : undefined;
  if (!cluster) return [];
  if (provider === 'existing') return existingIssues(cluster);
  return provider === 'k3d' ? k3dIssues(cluster, checkFiles) : [];
}
