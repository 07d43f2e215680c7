// `homelab-dr version`: the product version (package.json, via src/version.ts), the pinned rehearsal
// components (scripts/control-plane.pins, which control-plane.sh also sources), and whether each is
// built in the rehearsal cache.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeYaml } from '../../k8s/yaml-write.js';
import { PINNED_COMPONENTS } from '../../pins.js';
import { cacheRoot, cachedBinary, pinnedVersion, type PinnedComponent } from '../../util/binaries.js';
import { VERSION } from '../../version.js';
import type { CliOptions } from '../args.js';

export interface VersionReport {
  version: string;
  node: string;
  cache: { path: string; built: boolean };
  components: Array<{ name: PinnedComponent; version: string; built: boolean }>;
}

/** A component counts as built when its versioned directory exists: the script moves it there only after its checks pass. */
export function versionReport(env: NodeJS.ProcessEnv = process.env): VersionReport {
  const components = PINNED_COMPONENTS.map((name) => ({ name, version: pinnedVersion(name), built: existsSync(dirname(cachedBinary(name, 'x', env))) }));
  return { version: VERSION, node: process.version, cache: { path: cacheRoot(env), built: components.every((c) => c.built) }, components };
}

export function renderVersion(r: VersionReport): string {
  const width = Math.max(...r.components.map((c) => c.name.length));
  const lines = r.components.map((c) => `  ${c.name.padEnd(width)}  ${c.version.padEnd(9)}  ${c.built ? 'built' : 'not built'}`);
  const cache = r.cache.built ? 'built' : 'not built (bash scripts/control-plane.sh builds it; only the kwok rehearsal and the tests need it)';
  return `homelab-dr ${r.version} (node ${r.node})\nrehearsal cache ${r.cache.path}: ${cache}\npinned components:\n${lines.join('\n')}\n`;
}

export async function versionCommand(opts: CliOptions): Promise<number> {
  const report = versionReport();
  const data = { apiVersion: 'homelab-dr/v1', kind: 'Version', ...report };
  process.stdout.write(opts.output === 'json' ? `${JSON.stringify(data, null, 2)}\n` : opts.output === 'yaml' ? writeYaml(data) : renderVersion(report));
  return 0;
}
