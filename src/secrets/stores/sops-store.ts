// A sops-encrypted file, decrypted by the real `sops` binary to JSON in memory. Age keys come from
// the configured key file (SOPS_AGE_KEY_FILE) or from the caller's environment.
import { run } from '../../util/exec.js';
import { errorMessage } from '../../util/errors.js';
import { assertPrivateFile } from './file-perms.js';
import { mapStore } from './map-store.js';
import { SecretFileParseError, parseSecretMap } from './parse.js';
import { SecretStoreError, type SecretStore } from './types.js';

export interface SopsStoreSettings {
  path: string;
  ageKeyFile?: string;
  sopsBinary: string;
  env: NodeJS.ProcessEnv;
  insecureFilePerms: boolean;
}

export function sopsStore(name: string, settings: SopsStoreSettings): SecretStore {
  return mapStore(name, 'sops', settings.path, async () => {
    const env = { ...settings.env };
    if (settings.ageKeyFile) {
      await assertPrivateFile(name, settings.ageKeyFile, 'sops age key file', settings.insecureFilePerms);
      env.SOPS_AGE_KEY_FILE = settings.ageKeyFile;
    }
    let json: string;
    try {
      json = (await run(settings.sopsBinary, ['--decrypt', '--output-type', 'json', settings.path], { env })).stdout;
    } catch (e) {
      throw new SecretStoreError(name, undefined, `cannot decrypt ${settings.path}: ${errorMessage(e)}`);
    }
    try {
      return parseSecretMap(json, 'json');
    } catch (e) {
      if (e instanceof SecretFileParseError) throw new SecretStoreError(name, undefined, `sops output for ${settings.path}: ${e.message}`);
      throw e;
    }
  });
}
