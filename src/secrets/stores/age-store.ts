// An age-encrypted YAML/JSON/dotenv file, decrypted by the real `age` binary into memory.
import { run } from '../../util/exec.js';
import { errorMessage } from '../../util/errors.js';
import { assertPrivateFile } from './file-perms.js';
import { parseStoreText } from './file-store.js';
import { mapStore } from './map-store.js';
import { SecretStoreError, type SecretStore } from './types.js';

export interface AgeStoreSettings {
  path: string;
  identity: string;
  ageBinary: string;
  insecureFilePerms: boolean;
}

export function ageStore(name: string, settings: AgeStoreSettings): SecretStore {
  return mapStore(name, 'age', settings.path, async () => {
    await assertPrivateFile(name, settings.identity, 'age identity', settings.insecureFilePerms);
    let plaintext: string;
    try {
      plaintext = (await run(settings.ageBinary, ['--decrypt', '--identity', settings.identity, settings.path])).stdout;
    } catch (e) {
      throw new SecretStoreError(name, undefined, `cannot decrypt ${settings.path}: ${errorMessage(e)}`);
    }
    return parseStoreText(name, settings.path, plaintext);
  });
}
