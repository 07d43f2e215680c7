// Seals a Secret into a SealedSecret exactly as kubeseal v0.27 does, in memory, from the
// controller's certificate. Format (sealed-secrets pkg/crypto HybridEncrypt):
//   uint16 big-endian len(rsa) || RSA-OAEP(SHA-256, label)(session key) || AES-256-GCM(value) || tag
import type { KubeObject } from '../kube/types.js';
import { constants, createCipheriv, createHash, createPublicKey, publicEncrypt, randomBytes, X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import type forge from 'node-forge';
import type { KeyObject } from 'node:crypto';
import { InputError } from '../util/errors.js';

export type SealingScope = 'strict' | 'namespace-wide' | 'cluster-wide';

export const NAMESPACE_WIDE_ANNOTATION = 'sealedsecrets.bitnami.com/namespace-wide';
export const CLUSTER_WIDE_ANNOTATION = 'sealedsecrets.bitnami.com/cluster-wide';

export interface SecretToSeal {
  name: string;
  namespace: string;
  type?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  data: Record<string, Buffer | string>;
  scope?: SealingScope;
}

export interface SealedSecretObject extends KubeObject {
  apiVersion: 'bitnami.com/v1alpha1';
  kind: 'SealedSecret';
  metadata: { name: string; namespace: string; annotations?: Record<string, string> };
  spec: {
    encryptedData: Record<string, string>;
    template: {
      metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
      type: string;
    };
  };
}

export interface SealingCert {
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  fingerprint: string;
}

const SESSION_KEY_BYTES = 32;
const GCM_NONCE_BYTES = 12;
// What the API server accepts as a Secret data key.
const SECRET_KEY_PATTERN = /^[-._a-zA-Z0-9]+$/;

/** The RSA-OAEP label that binds a sealed value to where it may be unsealed. */
export function sealingLabel(namespace: string, name: string, scope: SealingScope): string {
  if (scope === 'cluster-wide') return '';
  if (scope === 'namespace-wide') return namespace;
  return `${namespace}/${name}`;
}

// node-forge builds the RSA-OAEP block exactly as kubeseal's Go code does (SHA-256, MGF1-SHA-256, the
// scope label); OpenSSL (node:crypto) does the two costly parts: the raw RSA exponentiation of that
// block, and AES-256-GCM. Pure-JS RSA was 7-10 ms per value; this is a fraction of a millisecond.
// node-forge is loaded on the first seal: plan, lint and verify reach this module for certificate
// checks and must not pay for it. It ships pkcs1 (OAEP encoding), which @types/node-forge omits.
type Forge = typeof forge & {
  pkcs1: { encode_rsa_oaep(key: forge.pki.rsa.PublicKey, message: string, options: { seed: string; md: forge.md.MessageDigest; mgf1: { md: forge.md.MessageDigest }; label: string }): string };
};
let forgeModule: Forge | undefined;
function forgeLib(): Forge {
  return (forgeModule ??= createRequire(import.meta.url)('node-forge') as Forge);
}

interface SealingKey {
  forge: forge.pki.rsa.PublicKey;
  node: KeyObject;
}

function hybridEncrypt(key: SealingKey, plaintext: Buffer, label: string): Buffer {
  // Randomness from node:crypto (the OS CSPRNG): forge's own JS generator was the slowest part left.
  const sessionKey = randomBytes(SESSION_KEY_BYTES).toString('binary');
  const lib = forgeLib();
  const padded = lib.pkcs1.encode_rsa_oaep(key.forge, sessionKey, {
    seed: randomBytes(32).toString('binary'),
    md: lib.md.sha256.create(),
    mgf1: { md: lib.md.sha256.create() },
    label: lib.util.encodeUtf8(label),
  });
  const rsaBytes = publicEncrypt({ key: key.node, padding: constants.RSA_NO_PADDING }, Buffer.from(padded, 'binary'));
  // Zero nonce: each session key encrypts exactly one value.
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(sessionKey, 'binary'), Buffer.alloc(GCM_NONCE_BYTES), { authTagLength: 16 });
  const aesCiphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  const rsaLength = Buffer.alloc(2);
  rsaLength.writeUInt16BE(rsaBytes.length);
  return Buffer.concat([rsaLength, rsaBytes, aesCiphertext]);
}

// A run seals every secret with one certificate: its forge form is built once (forge's PEM and ASN.1
// parsing in JavaScript cost more than sealing a value). The certificate is still checked every call.
let lastKey: { pem: string; key: SealingKey } | undefined;
function sealingKeyFor(certPem: string, nodeKey: KeyObject): SealingKey {
  if (lastKey?.pem !== certPem) lastKey = { pem: certPem, key: { forge: forgePublicKey(nodeKey), node: nodeKey } };
  return lastKey.key;
}

function forgePublicKey(publicKey: KeyObject): forge.pki.rsa.PublicKey {
  return forgeLib().pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()) as forge.pki.rsa.PublicKey;
}

function fingerprintOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/**
 * SHA-256 (hex) of the DER SubjectPublicKeyInfo. Accepts a certificate, a public key or a private
 * key PEM, so the controller's certificate can be compared with a backed-up private key.
 */
export function certFingerprint(pem: string): string {
  if (pem.includes('-----BEGIN CERTIFICATE-----')) return fingerprintOf(new X509Certificate(pem).publicKey);
  try {
    return fingerprintOf(createPublicKey(pem));
  } catch {
    throw new InputError('not a PEM certificate or key (expected a -----BEGIN CERTIFICATE----- or -----BEGIN ... KEY----- block)');
  }
}

/**
 * Parses the controller's sealing certificate and refuses one kubeseal would refuse, or that is not yet
 * valid. `source` names where the PEM came from (e.g. `--cert /path/cert.pem`, a URL, a key Secret); every
 * refusal starts with it, so the operator knows which certificate to replace.
 */
export function parseSealingCert(pem: string, now: Date = new Date(), source?: string): SealingCert {
  const refuse = (why: string): InputError => new InputError(source ? `${source}: ${why}` : why);
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw refuse('sealing certificate is not PEM: expected a -----BEGIN CERTIFICATE----- block (fetch it from the controller\'s /v1/cert.pem)');
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (e) {
    throw refuse(`sealing certificate does not parse: ${e instanceof Error ? e.message : String(e)}`);
  }
  const keyType = cert.publicKey.asymmetricKeyType;
  if (keyType !== 'rsa') {
    throw refuse(`sealing certificate has a ${keyType ?? 'unknown'} key; sealed-secrets needs an RSA key`);
  }
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (now < notBefore) {
    throw refuse(`sealing certificate is not yet valid: valid from ${notBefore.toISOString()} (now ${now.toISOString()}); check the clock`);
  }
  if (now > notAfter) {
    throw refuse(`sealing certificate expired on ${notAfter.toISOString()} (now ${now.toISOString()}); fetch the controller's current certificate`);
  }
  return { publicKey: cert.publicKey, notBefore, notAfter, fingerprint: fingerprintOf(cert.publicKey) };
}

// kubeseal's UpdateScopeAnnotations: the scope annotations always say the scope, and nothing else does.
function scopeAnnotations(annotations: Record<string, string>, scope: SealingScope): Record<string, string> {
  const { [NAMESPACE_WIDE_ANNOTATION]: _ns, [CLUSTER_WIDE_ANNOTATION]: _cw, ...rest } = annotations;
  if (scope === 'namespace-wide') return { ...rest, [NAMESPACE_WIDE_ANNOTATION]: 'true' };
  if (scope === 'cluster-wide') return { ...rest, [CLUSTER_WIDE_ANNOTATION]: 'true' };
  return rest;
}

// kubeseal omits empty labels/annotations; so do we, so the objects compare equal.
function ifNotEmpty<K extends string>(field: K, map: Record<string, string>): Partial<Record<K, Record<string, string>>> {
  return Object.keys(map).length > 0 ? ({ [field]: map } as Record<K, Record<string, string>>) : {};
}

function checkSecretShape(secret: SecretToSeal): void {
  const where = `secret ${secret.namespace}/${secret.name}`;
  if (!secret.name) throw new InputError('cannot seal a secret without a name');
  if (!secret.namespace) throw new InputError(`cannot seal secret ${secret.name}: it has no namespace`);
  const keys = Object.keys(secret.data);
  if (keys.length === 0) throw new InputError(`${where} has no data keys; kubeseal refuses an empty secret too`);
  const badKeys = keys.filter((key) => !SECRET_KEY_PATTERN.test(key));
  if (badKeys.length > 0) {
    throw new InputError(`${where}: data key(s) ${badKeys.map((k) => JSON.stringify(k)).join(', ')} are not valid Secret keys (allowed: letters, digits, '-', '_', '.')`);
  }
}

export interface SealOptions {
  /** Where the certificate came from, named in its refusals (e.g. `--cert /path/cert.pem`). */
  certSource?: string;
  /** The clock the certificate's validity is checked against (default: now). */
  now?: Date;
}

/** Seals every data value of a Secret with the controller's certificate (PEM). */
export function sealSecret(secret: SecretToSeal, certPem: string, opts: SealOptions = {}): SealedSecretObject {
  checkSecretShape(secret);
  const nodeKey = parseSealingCert(certPem, opts.now, opts.certSource).publicKey;
  const publicKey = sealingKeyFor(certPem, nodeKey);
  const scope = secret.scope ?? 'strict';
  const label = sealingLabel(secret.namespace, secret.name, scope);
  const encryptedData: Record<string, string> = {};
  for (const key of Object.keys(secret.data).sort()) {
    const value = secret.data[key] as Buffer | string;
    const plaintext = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    encryptedData[key] = hybridEncrypt(publicKey, plaintext, label).toString('base64');
  }
  return {
    apiVersion: 'bitnami.com/v1alpha1',
    kind: 'SealedSecret',
    metadata: { name: secret.name, namespace: secret.namespace, ...ifNotEmpty('annotations', scopeAnnotations({}, scope)) },
    spec: {
      encryptedData,
      template: {
        metadata: {
          name: secret.name,
          namespace: secret.namespace,
          ...ifNotEmpty('labels', secret.labels ?? {}),
          ...ifNotEmpty('annotations', scopeAnnotations(secret.annotations ?? {}, scope)),
        },
        type: secret.type ?? 'Opaque',
      },
    },
  };
}

/** kubeseal --raw: one value sealed for namespace/name under the scope, as the base64 ciphertext alone. */
export function sealRaw(value: Buffer, target: { namespace: string; name: string; scope: SealingScope }, certPem: string, opts: SealOptions = {}): string {
  const nodeKey = parseSealingCert(certPem, opts.now, opts.certSource).publicKey;
  return hybridEncrypt(sealingKeyFor(certPem, nodeKey), value, sealingLabel(target.namespace, target.name, target.scope)).toString('base64');
}
