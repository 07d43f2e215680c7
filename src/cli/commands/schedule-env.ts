// The environment of the unattended drill. A timer or cron job starts with PATH and little else, so a
// store that reads a variable (a gitlab store's tokenEnv, an env store's keys) would fail every month.
// `schedule install` writes those variables to an EnvironmentFile (mode 0600) that both systemd and sh
// read; nothing here ever prints a value, only names and whether the file provides them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HomelabConfig, StoreRef } from '../../config/types.js';
import { InputError } from '../../util/errors.js';

export interface DrillVariable {
  name: string;
  /** Which store reads it, in words. */
  readBy: string;
}

function refsOf(config: HomelabConfig): StoreRef[] {
  const refs = config.secrets.flatMap((s) => Object.values(s.data).filter((v): v is StoreRef => 'store' in v));
  const backup = config.sealedSecrets?.keyBackup?.from;
  return backup ? [...refs, backup] : refs;
}

/** Every environment variable the drill's stores will read, once each, in a stable order. */
export function drillVariables(config: HomelabConfig): DrillVariable[] {
  const found = new Map<string, string>();
  for (const [name, store] of Object.entries(config.secretStores)) {
    if (store.type === 'gitlab') found.set(store.tokenEnv, `secret store ${name} (gitlab token)`);
  }
  for (const ref of refsOf(config)) {
    const store = config.secretStores[ref.store];
    if (store?.type === 'env' && !found.has(`${store.prefix ?? ''}${ref.key}`)) found.set(`${store.prefix ?? ''}${ref.key}`, `secret store ${ref.store} (env), key ${ref.key}`);
  }
  return [...found].sort(([a], [b]) => a.localeCompare(b)).map(([name, readBy]) => ({ name, readBy }));
}

export function defaultEnvFile(user: boolean, home: string): string {
  return user ? join(home, '.config', 'homelab-dr', 'drill.env') : '/etc/homelab-dr/drill.env';
}

/** Double quotes with \ " $ ` escaped: read alike by sh (cron's `.`) and by systemd's EnvironmentFile. */
function quoted(value: string): string {
  return `"${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
}

export function renderEnvFile(values: ReadonlyMap<string, string>): string {
  const lines = ['# Written by `homelab-dr schedule install` (mode 0600): the variables the unattended drill reads.'];
  for (const [name, value] of values) {
    // A newline would end the assignment early in one reader and not the other.
    if (/[\r\n]/.test(value)) throw new InputError(`environment variable ${name} holds a newline; it cannot go into the drill's EnvironmentFile (its value is not shown)`);
    lines.push(`${name}=${quoted(value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The names and values of a file this module wrote; a missing file is empty. */
export function readEnvFile(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new InputError(`${path} cannot be read: ${(err as Error).message}`);
  }
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"$/.exec(line);
    if (m) values.set(m[1]!, m[2]!.replace(/\\(.)/g, '$1'));
  }
  return values;
}

/**
 * What the file will hold: each variable from the current environment, else from the file as it is
 * (a re-install without the token at hand keeps the one already there).
 */
export function envFileValues(variables: readonly DrillVariable[], env: NodeJS.ProcessEnv, existing: ReadonlyMap<string, string>): Map<string, string> {
  const values = new Map<string, string>();
  for (const { name } of variables) {
    const value = env[name] ?? existing.get(name);
    if (value !== undefined) values.set(name, value);
  }
  return values;
}

/** One line per variable: its name, who reads it, and whether the file provides it. Never a value. */
export function describeVariables(variables: readonly DrillVariable[], provided: ReadonlySet<string>, path: string): string[] {
  if (variables.length === 0) return [`the drill reads no environment variable of its own (nothing for ${path})`];
  return variables.map(({ name, readBy }) =>
    provided.has(name) ? `${name} (${readBy}): provided by ${path}` : `${name} (${readBy}): NOT provided: export it and run schedule install again`,
  );
}
