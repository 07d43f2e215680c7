// From schema-valid, defaulted, path-resolved data to the typed config the steps use. The schema
// already guaranteed the shape; this only converts what the YAML writes differently from the types.
import { parseDuration } from './duration.js';
import type { AppsConfig, HomelabConfig, SecretStoreConfig } from './types.js';

type StoreAsWritten =
  | Exclude<SecretStoreConfig, { type: 'exec' } | { type: 'gitlab' }>
  | { type: 'exec'; command: string[]; timeout: string }
  | { type: 'gitlab'; url: string; project: string | number; tokenEnv: string };

/** The data as the schema (with its defaults) describes it, before conversion. */
export type ConfigAsWritten = Omit<HomelabConfig, 'source' | 'warnings' | 'secretStores' | 'apps' | 'drill'> & {
  apiVersion: string;
  kind: string;
  secretStores: Record<string, StoreAsWritten>;
  apps: { items: AppsConfig['items']; wait: { timeout: string } };
  drill: Omit<HomelabConfig['drill'], 'throwawayMaxAgeMs'> & { throwawayMaxAge: string };
};

function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`duration ${text} passed the schema but does not parse`);
  return ms;
}

function storeConfig(store: StoreAsWritten): SecretStoreConfig {
  // An exec store's `./script` was resolved (and checked) with the other paths, in path-fields.ts.
  if (store.type === 'exec') return { type: 'exec', command: store.command, timeoutMs: durationMs(store.timeout) };
  // An unquoted numeric project ID arrives as a number; the API takes it as text.
  if (store.type === 'gitlab') return { ...store, project: String(store.project) };
  return store;
}

export function toHomelabConfig(written: ConfigAsWritten, source: string, warnings: string[]): HomelabConfig {
  const { apiVersion: _apiVersion, kind: _kind, secretStores, apps, drill: { throwawayMaxAge, ...drill }, ...sections } = written;
  return {
    source,
    warnings,
    ...sections,
    secretStores: Object.fromEntries(Object.entries(secretStores).map(([name, store]) => [name, storeConfig(store)])),
    apps: { items: apps.items, wait: { timeoutMs: durationMs(apps.wait.timeout) } },
    drill: { ...drill, throwawayMaxAgeMs: durationMs(throwawayMaxAge) },
  };
}
