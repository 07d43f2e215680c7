// The sealing keys of a cluster, as the controller keeps them (kubernetes.io/tls Secrets labelled
// sealedsecrets.bitnami.com/sealed-secrets-key), exported to a backup file and restored from it.
// The file is a v1 List of those Secrets, what `kubectl get secret -l ... -o yaml` gives, so an operator
// can also restore it by hand. Key material is registered for scrubbing the moment it is read, and no
// message here ever quotes it.
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../k8s/types.js';
import { parseManifests } from '../k8s/manifests.js';
import { writeFileAtomic } from '../report/atomic-write.js';
import { errorMessage } from '../util/errors.js';
import { registerSecret } from '../util/secrets-registry.js';
import { ACTIVE_KEY_LABEL } from './cert-fetch.js';
import { certFingerprint, sealSecret } from './seal.js';
import { unsealValue } from './unseal.js';

export interface SealingKey {
  name: string;
  /** The label's value: `active` (the controller loads it) or `compromised` (it does not). */
  status: string;
  certPem: string;
  keyPem: string;
  /** sha256 of the public key (certFingerprint). */
  fingerprint: string;
}

export const BACKUP_MODE = 0o600;

const b64 = (field: unknown): string => Buffer.from(typeof field === 'string' ? field : '', 'base64').toString('utf8');

/** A key Secret as a SealingKey; throws naming the Secret (never its data) when it is not a key pair. */
export function keyFromSecret(secret: KubeObject, where: string): SealingKey {
  const data = (secret['data'] ?? {}) as Record<string, unknown>;
  const certPem = b64(data['tls.crt']);
  const keyPem = b64(data['tls.key']);
  registerSecret(keyPem);
  const name = secret.metadata.name ?? '(unnamed)';
  if (!certPem.includes('BEGIN CERTIFICATE') || !keyPem.includes('PRIVATE KEY')) {
    throw new Error(`${where}: Secret ${name} is not a sealing key pair (it needs tls.crt and tls.key, PEM)`);
  }
  let fingerprint: string;
  try {
    fingerprint = certFingerprint(certPem);
  } catch (err) {
    throw new Error(`${where}: Secret ${name}: tls.crt is not a certificate: ${errorMessage(err)}`);
  }
  return { name, status: secret.metadata.labels?.[ACTIVE_KEY_LABEL] ?? '', certPem, keyPem, fingerprint };
}

/** Every sealing key Secret in the controller's namespace, whatever the label's value (active and older ones). */
export async function liveSealingKeys(kube: KubeClient, namespace: string): Promise<SealingKey[]> {
  const secrets = await kube.list({ apiVersion: 'v1', kind: 'Secret', namespace, labelSelector: ACTIVE_KEY_LABEL });
  return secrets.map((s) => keyFromSecret(s, `cluster namespace ${namespace}`)).sort((a, b) => a.name.localeCompare(b.name));
}

/** The Secret that restores a key into `namespace`, under its own name and label. */
export function keySecretOf(key: SealingKey, namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name: key.name, namespace, labels: { [ACTIVE_KEY_LABEL]: key.status || 'active' } },
    data: { 'tls.crt': Buffer.from(key.certPem).toString('base64'), 'tls.key': Buffer.from(key.keyPem).toString('base64') },
  };
}

export function renderKeyBackup(keys: readonly SealingKey[], namespace: string): string {
  const header = [
    '# homelab-dr sealing key backup: the PRIVATE keys that decrypt every SealedSecret in git.',
    '# Keep it off the cluster and out of git (mode 0600). Restore by hand: kubectl apply -f this file,',
    '# then restart the sealed-secrets controller.',
  ].join('\n');
  return `${header}\n${stringify({ apiVersion: 'v1', kind: 'List', items: keys.map((k) => keySecretOf(k, namespace)) })}`;
}

/** The keys in a backup file; throws naming the file (never quoting it) when it is not one. */
export function parseKeyBackup(text: string, file: string): SealingKey[] {
  let objects;
  try {
    objects = parseManifests(text, file);
  } catch (err) {
    // Only the first line: a YAML error's code frame would quote the file, and the file is key material.
    throw new Error(`${file} is not a key backup: ${errorMessage(err).split('\n')[0]!.slice(0, 200)}`);
  }
  return objects.map((o) => {
    if (o.obj.kind !== 'Secret') throw new Error(`${file}:${o.source.line}: a key backup holds only Secrets, found a ${o.obj.kind}`);
    return keyFromSecret(o.obj, `${file}:${o.source.line}`);
  });
}

/** The keys in the backup file, or undefined when there is no file yet. */
export async function readKeyBackup(file: string): Promise<SealingKey[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the key backup ${file}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
  }
  return parseKeyBackup(text, file);
}

/** Why the file's permissions let others read private keys, or undefined. */
export async function loosePermissions(file: string): Promise<string | undefined> {
  const mode = (await stat(file)).mode & 0o777;
  return mode & 0o077 ? `${file} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); it holds private keys: chmod 600 ${file}` : undefined;
}

export async function writeKeyBackup(file: string, keys: readonly SealingKey[], namespace: string): Promise<void> {
  await writeFileAtomic(file, renderKeyBackup(keys, namespace), BACKUP_MODE);
}

/** The backup's keys followed by the live keys it lacks: a key once backed up is never dropped. */
export function mergeKeys(saved: readonly SealingKey[], live: readonly SealingKey[]): SealingKey[] {
  const have = new Set(saved.map((k) => k.fingerprint));
  return [...saved, ...live.filter((k) => !have.has(k.fingerprint))];
}

/**
 * Proves a pair works: a random probe sealed with the certificate opens with the private key. Returns
 * what failed, or undefined.
 */
export function probeKeyPair(key: SealingKey): string | undefined {
  const probe = randomBytes(32);
  try {
    const sealed = sealSecret({ name: 'homelab-dr-probe', namespace: 'homelab-dr', data: { probe } }, key.certPem, { certSource: `key ${key.name}` });
    const opened = unsealValue(key.keyPem, 'homelab-dr/homelab-dr-probe', sealed.spec.encryptedData['probe']!);
    return opened.equals(probe) ? undefined : `key ${key.name}: the private key opens the probe to a different value`;
  } catch (err) {
    return `key ${key.name} (sha256 ${key.fingerprint.slice(0, 16)}…): a probe sealed with its certificate does not open with its private key: ${errorMessage(err)}`;
  }
}

export const shortFingerprint = (fingerprint: string): string => `sha256 ${fingerprint.slice(0, 16)}…`;
