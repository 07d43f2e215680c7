// The config fields of the sealing key backup: keyBackup.file is a path relative to the config,
// newKeyAcceptable a boolean, and an empty keyBackup names what it lacks.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { InputError } from '../../src/util/errors.js';

const HEAD = `apiVersion: homelab-dr/v1
kind: RecoveryPlan
cluster:
  provider: kwok
  name: homelab
sealedSecrets:
`;

function rejected(text: string): InputError {
  try {
    parseConfig(text, 'homelab.yaml', { checkFiles: false });
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected the config to be rejected');
}

describe('sealedSecrets.keyBackup and newKeyAcceptable', () => {
  it('keyBackup.file resolves against the config\'s directory; from stays optional', () => {
    const config = parseConfig(`${HEAD}  keyBackup:\n    file: ./backup/keys.yaml\n  newKeyAcceptable: false\n`, '/etc/homelab/homelab.yaml', { checkFiles: false });
    expect(config.sealedSecrets?.keyBackup).toEqual({ file: resolve('/etc/homelab/backup/keys.yaml') });
    expect(config.sealedSecrets?.newKeyAcceptable).toBe(false);
  });

  it('an empty keyBackup, a non-boolean newKeyAcceptable and an unknown key are each named by line', () => {
    const error = rejected(`${HEAD}  keyBackup: {}\n  newKeyAcceptable: "yes"\n`);
    expect(error.exitCode).toBe(2);
    expect(error.details).toEqual([
      'homelab.yaml:7:14: sealedSecrets.keyBackup: must have at least 1 entry',
      'homelab.yaml:8:21: sealedSecrets.newKeyAcceptable: must be true or false',
    ]);
    expect(rejected(`${HEAD}  keyBackup:\n    fiel: ./k.yaml\n`).details).toEqual(['homelab.yaml:8:5: sealedSecrets.keyBackup.fiel: unknown key; did you mean "file"?']);
  });
});
