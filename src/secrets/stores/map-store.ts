// Stores whose whole content is one document (file, age, sops): loaded once on first use, kept in
// memory only, and shared by concurrent reads.
import { SecretStoreError, type SecretStore, type SecretStoreType } from './types.js';

const LISTED_KEYS = 20;

function describeKeys(keys: string[]): string {
  if (keys.length === 0) return 'it holds no keys';
  const shown = keys.slice(0, LISTED_KEYS).join(', ');
  return `it holds ${keys.length} key(s): ${shown}${keys.length > LISTED_KEYS ? ', …' : ''}`;
}

export function scalarToBuffer(store: string, key: string, raw: unknown): Buffer {
  if (typeof raw === 'string') return Buffer.from(raw, 'utf8');
  if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint') return Buffer.from(String(raw), 'utf8');
  if (raw instanceof Uint8Array) return Buffer.from(raw);
  const what = raw === null || raw === undefined ? 'null' : Array.isArray(raw) ? 'a list' : 'a mapping';
  throw new SecretStoreError(store, key, `is ${what}, not a string value`);
}

export function mapStore(
  name: string,
  type: SecretStoreType,
  location: string,
  load: () => Promise<Map<string, unknown>>,
): SecretStore {
  let loaded: Promise<Map<string, unknown>> | undefined;
  return {
    name,
    type,
    location,
    async get(key: string): Promise<Buffer> {
      loaded ??= load();
      const entries = await loaded;
      if (!entries.has(key)) {
        throw new SecretStoreError(name, key, `not found in ${location}; ${describeKeys([...entries.keys()])}`);
      }
      return scalarToBuffer(name, key, entries.get(key));
    },
  };
}
