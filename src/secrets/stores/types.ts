// A secret store holds the values the plan seals. Stores live outside the cluster being rebuilt;
// `location` is what the litmus check resolves (a URL, host, path or command, never a value).
import type { SecretStoreConfig } from '../../config/types.js';

export type SecretStoreType = SecretStoreConfig['type'];

export interface SecretStore {
  readonly name: string;
  readonly type: SecretStoreType;
  readonly location: string;
  /** The value, never empty; throws SecretStoreError naming the store and key (never the value). */
  get(key: string): Promise<Buffer>;
}

export interface StoreOptions {
  env?: NodeJS.ProcessEnv;
  /** Accept plaintext secret files (file store, age identity, sops age key) readable by group or others. */
  insecureFilePerms?: boolean;
  /** Binaries for the age and sops stores; default: `age` and `sops` from PATH. */
  tools?: { age?: string; sops?: string };
  /** Per-request timeout for HTTP stores. */
  httpTimeoutMs?: number;
}

export class SecretStoreError extends Error {
  constructor(
    readonly store: string,
    readonly key: string | undefined,
    message: string,
  ) {
    super(`secret store "${store}"${key === undefined ? '' : ` key "${key}"`}: ${message}`);
    this.name = 'SecretStoreError';
  }
}
