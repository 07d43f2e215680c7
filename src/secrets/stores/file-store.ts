import { readFile } from 'node:fs/promises';
import { assertPrivateFile } from './file-perms.js';
import { mapStore } from './map-store.js';
import { SecretFileParseError, formatForPath, parseSecretMap } from './parse.js';
import { SecretStoreError, type SecretStore } from './types.js';

/** Parses decrypted text; a parse failure names the store and file, never the content. */
export function parseStoreText(store: string, path: string, text: string): Map<string, unknown> {
  try {
    return parseSecretMap(text, formatForPath(path));
  } catch (e) {
    if (e instanceof SecretFileParseError) throw new SecretStoreError(store, undefined, `${path}: ${e.message}`);
    throw e;
  }
}

export function fileStore(name: string, path: string, insecureFilePerms: boolean): SecretStore {
  return mapStore(name, 'file', path, async () => {
    await assertPrivateFile(name, path, 'secrets file', insecureFilePerms);
    return parseStoreText(name, path, await readFile(path, 'utf8'));
  });
}
