import type { SecretStoreConfig } from '../../config/types.js';
import { ageStore } from './age-store.js';
import { envStore } from './env-store.js';
import { execStore } from './exec-store.js';
import { fileStore } from './file-store.js';
import { gitlabStore } from './gitlab-store.js';
import { sopsStore } from './sops-store.js';
import { SecretStoreError, type SecretStore, type StoreOptions } from './types.js';

export { SecretStoreError, type SecretStore, type StoreOptions } from './types.js';

const DEFAULT_HTTP_TIMEOUT_MS = 15_000;

function concreteStore(name: string, cfg: SecretStoreConfig, opts: StoreOptions): SecretStore {
  const env = opts.env ?? process.env;
  const insecureFilePerms = opts.insecureFilePerms ?? false;
  switch (cfg.type) {
    case 'env':
      return envStore(name, env, cfg.prefix);
    case 'file':
      return fileStore(name, cfg.path, insecureFilePerms);
    case 'exec':
      return execStore(name, cfg.command, cfg.timeoutMs, env);
    case 'age':
      return ageStore(name, { path: cfg.path, identity: cfg.identity, ageBinary: opts.tools?.age ?? 'age', insecureFilePerms });
    case 'sops':
      return sopsStore(name, { path: cfg.path, ageKeyFile: cfg.ageKeyFile, sopsBinary: opts.tools?.sops ?? 'sops', env, insecureFilePerms });
    case 'gitlab':
      return gitlabStore(name, {
        url: cfg.url,
        project: cfg.project,
        tokenEnv: cfg.tokenEnv,
        env,
        timeoutMs: opts.httpTimeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS,
      });
  }
}

/** Opens a configured store. Every value it returns is non-empty: an empty secret is a missing one. */
export function openStore(name: string, cfg: SecretStoreConfig, opts: StoreOptions = {}): SecretStore {
  const store = concreteStore(name, cfg, opts);
  return {
    name: store.name,
    type: store.type,
    location: store.location,
    async get(key: string): Promise<Buffer> {
      const value = await store.get(key);
      if (value.length === 0) throw new SecretStoreError(name, key, 'the value is empty');
      return value;
    },
  };
}

export function openStores(configs: Record<string, SecretStoreConfig>, opts: StoreOptions = {}): Map<string, SecretStore> {
  return new Map(Object.entries(configs).map(([name, cfg]) => [name, openStore(name, cfg, opts)]));
}
