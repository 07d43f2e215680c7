// Where scripts/control-plane.sh puts the pinned real components: <cache>/bin/<component>-<version>/.
// The script moves a build into that directory only after its version checks pass, so a present
// binary is a complete, pinned one.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type PinnedComponent = 'kubernetes' | 'etcd' | 'kwok' | 'sealed-secrets' | 'helm' | 'age' | 'sops' | 'yaml2json';

const PIN_VARIABLE: Record<PinnedComponent, string> = {
  kubernetes: 'K8S_VERSION',
  etcd: 'ETCD_VERSION',
  kwok: 'KWOK_VERSION',
  'sealed-secrets': 'SEALED_SECRETS_VERSION',
  helm: 'HELM_VERSION',
  age: 'AGE_VERSION',
  sops: 'SOPS_VERSION',
  yaml2json: 'SIGS_YAML_VERSION',
};

/** The same rule as control-plane.sh: HOMELAB_DR_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/homelab-dr. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HOMELAB_DR_CACHE) return env.HOMELAB_DR_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'homelab-dr');
}

/** KEY=VALUE lines of a shell-sourced pins file; comments and blank lines ignored. */
export function parsePins(text: string): Map<string, string> {
  const pins = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z0-9_]+)=(\S+)\s*$/.exec(line);
    if (match?.[1] && match[2]) pins.set(match[1], match[2]);
  }
  return pins;
}

// Walks up because this file runs both as src/util/binaries.ts and as dist/src/util/binaries.js.
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'scripts', 'control-plane.pins'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find scripts/control-plane.pins above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export function pinnedVersion(component: PinnedComponent): string {
  const pinsFile = join(packageRoot(), 'scripts', 'control-plane.pins');
  const variable = PIN_VARIABLE[component];
  const version = parsePins(readFileSync(pinsFile, 'utf8')).get(variable);
  if (!version) throw new Error(`${pinsFile} has no ${variable} line (the pin for ${component})`);
  return version;
}

/** Absolute path of a cached binary; it may not exist yet (check with existsSync). */
export function cachedBinary(component: PinnedComponent, name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'bin', `${component}-${pinnedVersion(component)}`, name);
}

/**
 * PATH with the cache's bin dirs of the operator tools (kubectl, helm, age, sops) first: what the kwok
 * rehearsal and the test harness run. Only they call this; an operator's plan and lint use their own PATH.
 */
export function rehearsalPath(env: NodeJS.ProcessEnv = process.env): string {
  const dirs = (['kubernetes', 'helm', 'age', 'sops'] as const).map((c) => dirname(cachedBinary(c, 'bin', env)));
  return [...dirs, env.PATH ?? ''].join(delimiter);
}
