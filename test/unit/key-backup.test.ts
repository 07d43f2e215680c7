// The sealing key backup's pure and file parts: the export round-trips, a pair is proven by a probe, a
// key once backed up is never dropped, the file is 0600, and no message quotes key material.
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SealedSecretsConfig } from '../../src/config/types.js';
import { renderSealingKeys } from '../../src/safety/key-screen.js';
import {
  keyFromSecret,
  keySecretOf,
  loosePermissions,
  mergeKeys,
  parseKeyBackup,
  probeKeyPair,
  readKeyBackup,
  renderKeyBackup,
  writeKeyBackup,
  type SealingKey,
} from '../../src/secrets/key-backup.js';
import { certFingerprint } from '../../src/secrets/seal.js';
import { makeSealingKey } from '../fixtures/secrets/sealing-keys.js';

function sealingKey(name: string, status = 'active'): SealingKey {
  const pair = makeSealingKey();
  return { name, status, certPem: pair.certPem, keyPem: pair.privateKeyPem, fingerprint: certFingerprint(pair.certPem) };
}

const first = sealingKey('sealed-secrets-keyaaaaa');
const second = sealingKey('sealed-secrets-keybbbbb');
/** A line of the private key's base64 body: what a leak would show. */
const keyBody = (k: SealingKey): string => k.keyPem.split('\n')[5]!;

describe('key backup file', () => {
  it('round-trips every key with its name and label, as a v1 List of kubernetes.io/tls Secrets', () => {
    const text = renderKeyBackup([first, { ...second, status: 'compromised' }], 'kube-system');
    expect(text).toMatch(/^# homelab-dr sealing key backup/);
    const keys = parseKeyBackup(text, '/backup/keys.yaml');
    expect(keys.map((k) => [k.name, k.status, k.fingerprint])).toEqual([
      [first.name, 'active', first.fingerprint],
      [second.name, 'compromised', second.fingerprint],
    ]);
    expect(keys[0]!.keyPem).toBe(first.keyPem);
  });

  it('is written atomically with mode 0600, and a missing file reads as no backup', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hdr-keys-'));
    const file = join(dir, 'sub', 'keys.yaml');
    expect(await readKeyBackup(file)).toBeUndefined();
    await writeKeyBackup(file, [first], 'kube-system');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await readKeyBackup(file))!.map((k) => k.fingerprint)).toEqual([first.fingerprint]);
    expect(await loosePermissions(file)).toBeUndefined();
    chmodSync(file, 0o644);
    expect(await loosePermissions(file)).toBe(`${file} is readable by others (mode 0644); it holds private keys: chmod 600 ${file}`);
  });

  it('a file that is not a key backup is refused without quoting it', () => {
    const broken = `${renderKeyBackup([first], 'kube-system')}\n  : [unclosed ${keyBody(first)}`;
    expect(() => parseKeyBackup(broken, '/b/keys.yaml')).toThrow(/^\/b\/keys\.yaml is not a key backup: /);
    try {
      parseKeyBackup(broken, '/b/keys.yaml');
    } catch (err) {
      expect((err as Error).message).not.toContain(keyBody(first));
    }
    const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n';
    expect(() => parseKeyBackup(configMap, '/b/keys.yaml')).toThrow('/b/keys.yaml:1: a key backup holds only Secrets, found a ConfigMap');
    const noKey = keySecretOf(first, 'kube-system');
    delete (noKey.data as Record<string, string>)['tls.key'];
    expect(() => keyFromSecret(noKey, 'here')).toThrow(`here: Secret ${first.name} is not a sealing key pair (it needs tls.crt and tls.key, PEM)`);
  });

  it('merging keeps every key already backed up and adds only the new live ones', () => {
    expect(mergeKeys([first], [first, second]).map((k) => k.name)).toEqual([first.name, second.name]);
    // The rebuilt cluster's new key never pushes out the old one.
    expect(mergeKeys([first, second], [sealingKey('new')]).map((k) => k.name)).toEqual([first.name, second.name, 'new']);
  });
});

describe('probe', () => {
  it('a pair opens what its certificate seals', () => {
    expect(probeKeyPair(first)).toBeUndefined();
  });

  it('a certificate with another key\'s private key fails, without quoting either', () => {
    const mismatched = { ...first, keyPem: second.keyPem };
    const failed = probeKeyPair(mismatched);
    expect(failed).toMatch(/^key sealed-secrets-keyaaaaa \(sha256 [0-9a-f]{16}…\): a probe sealed with its certificate does not open with its private key: /);
    expect(failed).not.toContain(keyBody(second));
  });
});

describe('the screen', () => {
  const ss: SealedSecretsConfig = { namespace: 'kube-system', controllerName: 'sealed-secrets-controller', controller: {} };

  it('lists each live key by fingerprint and says what keeps it', () => {
    const lines = renderSealingKeys({ ...ss, keyBackup: { file: '/backup/keys.yaml' } }, { keys: [first] });
    expect(lines).toEqual([
      'Sealing keys (kube-system): 1, deleted with the cluster',
      `  ${first.name}  active  sha256:${first.fingerprint}`,
      '  kept: preflight exports it to /backup/keys.yaml (mode 0600) before anything is destroyed, and the rebuilt controller restores it',
    ]);
    expect(lines.join('\n')).not.toContain(keyBody(first));
  });

  it('says loudly when nothing keeps them', () => {
    expect(renderSealingKeys(ss, { keys: [first, second] }).at(-1)).toBe('  !!! NOT KEPT: no sealedSecrets.keyBackup: hard-reset refuses');
    expect(renderSealingKeys({ ...ss, newKeyAcceptable: true }, { keys: [first] }).at(-1)).toMatch(/^ {2}!!! NOT KEPT \(newKeyAcceptable: true\)/);
    expect(renderSealingKeys(ss, { keys: [] })).toEqual(['Sealing keys (kube-system): none in the live cluster']);
    expect(renderSealingKeys(undefined, { keys: [first] })).toEqual([]);
  });
});

// Keeps the fixture honest: the file on disk holds the key (a backup that did not would prove nothing).
it('the written file holds the private key', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'hdr-keys-')), 'keys.yaml');
  await writeKeyBackup(file, [first], 'kube-system');
  expect(readFileSync(file, 'utf8')).toContain(Buffer.from(first.keyPem).toString('base64'));
  writeFileSync(file, 'garbage: [', { mode: 0o600 });
  await expect(readKeyBackup(file)).rejects.toThrow(/is not a key backup/);
});
