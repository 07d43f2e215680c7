// The decisions of the key guard and the export, behind the step context's own interfaces (a provider
// that says the cluster exists, a client that lists the key Secrets): who refuses, what is written, and
// that dr-test, drill and provider existing never touch the file.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { HomelabConfig, SealedSecretsConfig } from '../../src/config/types.js';
import { Ledger } from '../../src/engine/ledger.js';
import type { KubeObject } from '../../src/k8s/types.js';
import { keySecretOf, readKeyBackup, type SealingKey } from '../../src/secrets/key-backup.js';
import { certFingerprint } from '../../src/secrets/seal.js';
import { RefusedError } from '../../src/util/errors.js';
import type { Mode, RecoveryContext } from '../../steps/context.js';
import { assertSealingKeyKept, exportKeyBackup, sealingKeyProblems } from '../../steps/key-backup.js';
import { makeSealingKey } from '../fixtures/secrets/sealing-keys.js';

function sealingKey(name: string): SealingKey {
  const pair = makeSealingKey();
  return { name, status: 'active', certPem: pair.certPem, keyPem: pair.privateKeyPem, fingerprint: certFingerprint(pair.certPem) };
}

const live = sealingKey('sealed-secrets-keylive1');

function context(mode: Mode, ss: Partial<SealedSecretsConfig>, keys: SealingKey[] = [live], providerName = 'kwok'): RecoveryContext {
  const sealedSecrets = { namespace: 'kube-system', controllerName: 'sealed-secrets-controller', controller: {}, ...ss };
  const config = { cluster: { name: 'homelab', provider: providerName }, sealedSecrets, secretStores: {}, secrets: [] } as unknown as HomelabConfig;
  const secrets: KubeObject[] = keys.map((k) => keySecretOf(k, 'kube-system'));
  return {
    config,
    mode,
    providerName,
    clusterName: 'homelab',
    signal: new AbortController().signal,
    log: pino({ level: 'silent' }),
    provider: async () => ({ exists: async () => true }),
    kube: async () => ({ list: async () => secrets }),
    inputs: { values: async () => ({ values: new Map(), missing: [] }) },
  } as unknown as RecoveryContext;
}

describe('no backup destination', () => {
  it('hard-reset refuses (exit 3) naming the live key by fingerprint and the two ways out', async () => {
    const error = await assertSealingKeyKept(context('hard-reset', {})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefusedError);
    expect((error as RefusedError).exitCode).toBe(3);
    expect((error as RefusedError).details.join('\n')).toContain(`holds 1 sealing key(s) that no backup keeps: ${live.name} (sha256 ${live.fingerprint.slice(0, 16)}…)`);
    expect((error as RefusedError).details.join('\n')).toContain('sealedSecrets.newKeyAcceptable: true');
    expect((error as RefusedError).details.join('\n')).not.toContain(live.keyPem.split('\n')[3]!);
  });

  it('newKeyAcceptable, an empty live cluster, dr-test, drill and provider existing pass', async () => {
    await expect(assertSealingKeyKept(context('hard-reset', { newKeyAcceptable: true }))).resolves.toBeUndefined();
    await expect(assertSealingKeyKept(context('hard-reset', {}, []))).resolves.toBeUndefined();
    for (const mode of ['dr-test', 'drill'] as const) expect(await sealingKeyProblems(context(mode, {}))).toEqual([]);
    expect(await sealingKeyProblems(context('hard-reset', {}, [live], 'existing'))).toEqual([]);
  });
});

describe('with keyBackup.file', () => {
  it('preflight reports the missing key, the export writes it (0600) and the problem is gone', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hdr-guard-')), 'keys.yaml');
    const ctx = context('hard-reset', { keyBackup: { file } });
    await expect(assertSealingKeyKept(ctx)).resolves.toBeUndefined();
    expect((await sealingKeyProblems(ctx)).map((p) => p.message)).toEqual([`the key backup ${file} lacks 1 live sealing key(s): ${live.name} (sha256 ${live.fingerprint.slice(0, 16)}…) (preflight exports them)`]);
    const ledger = new Ledger();
    await exportKeyBackup(ctx, ledger.forStep('preflight'));
    expect(ledger.itemsOf('preflight').map((i) => [i.kind, i.outcome])).toEqual([['sealing key', 'created']]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await readKeyBackup(file))!.map((k) => k.fingerprint)).toEqual([live.fingerprint]);
    expect(await sealingKeyProblems(ctx)).toEqual([]);

    // A later export from a cluster with a new key adds it and keeps the old one.
    const next = sealingKey('sealed-secrets-keynext2');
    await exportKeyBackup(context('hard-reset', { keyBackup: { file } }, [next]), new Ledger().forStep('preflight'));
    expect((await readKeyBackup(file))!.map((k) => k.name)).toEqual([live.name, next.name]);
  });

  it('dr-test and drill never write it', async () => {
    for (const mode of ['dr-test', 'drill'] as const) {
      const file = join(mkdtempSync(join(tmpdir(), 'hdr-guard-')), 'keys.yaml');
      const ledger = new Ledger();
      await exportKeyBackup(context(mode, { keyBackup: { file } }), ledger.forStep('preflight'));
      expect(await readKeyBackup(file)).toBeUndefined();
      expect(ledger.items).toEqual([]);
    }
  });
});
