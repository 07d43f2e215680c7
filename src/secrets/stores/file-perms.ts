// Plaintext secret material on disk (a file store, an age identity, a sops age key) must be private
// to its owner: a world-readable copy is a leak waiting to be backed up somewhere.
import { stat } from 'node:fs/promises';
import { SecretStoreError } from './types.js';

export async function assertPrivateFile(store: string, path: string, what: string, insecureFilePerms: boolean): Promise<void> {
  let mode: number;
  try {
    mode = (await stat(path)).mode & 0o777;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SecretStoreError(store, undefined, `cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? String(e)}`);
  }
  if (insecureFilePerms || (mode & 0o044) === 0) return;
  throw new SecretStoreError(
    store,
    undefined,
    `${what} ${path} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}); ` +
      `fix it with: chmod 600 ${path} (or pass --insecure-file-perms to accept it)`,
  );
}
