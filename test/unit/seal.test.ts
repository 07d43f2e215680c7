import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLUSTER_WIDE_ANNOTATION,
  NAMESPACE_WIDE_ANNOTATION,
  certFingerprint,
  parseSealingCert,
  sealSecret,
  sealingLabel,
} from '../../src/secrets/seal.js';
import { InputError } from '../../src/util/errors.js';
import { makeSealingKey, unsealValue, type TestSealingKey } from '../fixtures/secrets/sealing-keys.js';

const SECRET_VALUE = 'tunnel-token-7f3a9c';
let key: TestSealingKey;

beforeAll(() => {
  key = makeSealingKey();
});

function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error('expected a throw');
}

describe('sealingLabel', () => {
  it('binds strict to namespace/name, namespace-wide to namespace, cluster-wide to nothing', () => {
    expect(sealingLabel('networking', 'cf', 'strict')).toBe('networking/cf');
    expect(sealingLabel('networking', 'cf', 'namespace-wide')).toBe('networking');
    expect(sealingLabel('networking', 'cf', 'cluster-wide')).toBe('');
  });
});

describe('sealSecret', () => {
  it('produces the kubeseal object shape with metadata, labels, annotations and type in the template', () => {
    const sealed = sealSecret(
      {
        name: 'argocd-repo-creds',
        namespace: 'argocd',
        type: 'Opaque',
        labels: { 'argocd.argoproj.io/secret-type': 'repository' },
        annotations: { owner: 'homelab' },
        data: { url: 'https://example.invalid/repo.git', password: SECRET_VALUE },
      },
      key.certPem,
    );
    expect(sealed.apiVersion).toBe('bitnami.com/v1alpha1');
    expect(sealed.kind).toBe('SealedSecret');
    expect(sealed.metadata).toEqual({ name: 'argocd-repo-creds', namespace: 'argocd' });
    expect(sealed.spec.template).toEqual({
      metadata: {
        name: 'argocd-repo-creds',
        namespace: 'argocd',
        labels: { 'argocd.argoproj.io/secret-type': 'repository' },
        annotations: { owner: 'homelab' },
      },
      type: 'Opaque',
    });
    expect(Object.keys(sealed.spec.encryptedData)).toEqual(['password', 'url']);
    expect(JSON.stringify(sealed)).not.toContain(SECRET_VALUE);
  });

  it('lays out bytes as uint16 RSA length, RSA ciphertext, AES-GCM ciphertext and 16-byte tag', () => {
    const sealed = sealSecret({ name: 'a', namespace: 'b', data: { k: SECRET_VALUE } }, key.certPem);
    const bytes = Buffer.from(sealed.spec.encryptedData.k as string, 'base64');
    expect(bytes.readUInt16BE(0)).toBe(256);
    expect(bytes.length).toBe(2 + 256 + Buffer.byteLength(SECRET_VALUE) + 16);
  });

  it('uses a fresh session key for every value, so equal values seal differently', () => {
    const sealed = sealSecret({ name: 'a', namespace: 'b', data: { one: SECRET_VALUE, two: SECRET_VALUE } }, key.certPem);
    expect(sealed.spec.encryptedData.one).not.toBe(sealed.spec.encryptedData.two);
  });

  it.each([
    ['strict', 'networking/cloudflared-token', undefined],
    ['namespace-wide', 'networking', NAMESPACE_WIDE_ANNOTATION],
    ['cluster-wide', '', CLUSTER_WIDE_ANNOTATION],
  ] as const)('%s scope: decrypts only with label %j and carries its annotation', (scope, label, annotation) => {
    const binary = Buffer.from([0, 255, 1, 254, 10, 13]);
    const sealed = sealSecret(
      { name: 'cloudflared-token', namespace: 'networking', scope, data: { token: SECRET_VALUE, blob: binary } },
      key.certPem,
    );
    expect(unsealValue(key.privateKeyPem, label, sealed.spec.encryptedData.token as string).toString()).toBe(SECRET_VALUE);
    expect(unsealValue(key.privateKeyPem, label, sealed.spec.encryptedData.blob as string)).toEqual(binary);
    expect(() => unsealValue(key.privateKeyPem, 'networking/other-name', sealed.spec.encryptedData.token as string)).toThrow();
    const expected = annotation ? { [annotation]: 'true' } : undefined;
    expect(sealed.metadata.annotations).toEqual(expected);
    expect(sealed.spec.template.metadata.annotations).toEqual(expected);
  });

  it('replaces a stale scope annotation with the one the scope says', () => {
    const sealed = sealSecret(
      { name: 'a', namespace: 'b', scope: 'strict', annotations: { [CLUSTER_WIDE_ANNOTATION]: 'true', keep: 'me' }, data: { k: 'v' } },
      key.certPem,
    );
    expect(sealed.spec.template.metadata.annotations).toEqual({ keep: 'me' });
    expect(sealed.metadata.annotations).toBeUndefined();
  });

  it('defaults the type to Opaque and omits empty labels and annotations', () => {
    const sealed = sealSecret({ name: 'a', namespace: 'b', data: { k: 'v' } }, key.certPem);
    expect(sealed.spec.template).toEqual({ metadata: { name: 'a', namespace: 'b' }, type: 'Opaque' });
  });

  it('refuses empty data, invalid keys and a missing namespace, without printing values', () => {
    expect(() => sealSecret({ name: 'a', namespace: 'b', data: {} }, key.certPem)).toThrow(/no data keys/);
    const badKey = thrownMessage(() => sealSecret({ name: 'a', namespace: 'b', data: { 'bad key': SECRET_VALUE } }, key.certPem));
    expect(badKey).toMatch(/"bad key"/);
    expect(badKey).not.toContain(SECRET_VALUE);
    expect(() => sealSecret({ name: 'a', namespace: '', data: { k: SECRET_VALUE } }, key.certPem)).toThrow(InputError);
  });
});

describe('parseSealingCert', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'seal-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns the validity window and the public key fingerprint', () => {
    const cert = parseSealingCert(key.certPem);
    expect(cert.notAfter.getTime()).toBeGreaterThan(Date.now());
    expect(cert.fingerprint).toBe(certFingerprint(key.certPem));
  });

  it('refuses an expired certificate and names the date', () => {
    const expired = makeSealingKey({ notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });
    expect(() => parseSealingCert(expired.certPem)).toThrow(/expired on 2021-01-01T00:00:00.000Z/);
    expect(() => sealSecret({ name: 'a', namespace: 'b', data: { k: 'v' } }, expired.certPem)).toThrow(/expired/);
  });

  it('refuses a certificate that is not yet valid, judged at the given time', () => {
    expect(() => parseSealingCert(key.certPem, new Date('2001-01-01T00:00:00Z'))).toThrow(/not yet valid/);
  });

  it('refuses a non-RSA certificate', () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', join(dir, 'ec.key'), '-out', join(dir, 'ec.crt'), '-days', '2', '-subj', '/CN=ec'], { stdio: 'ignore' });
    expect(() => parseSealingCert(readFileSync(join(dir, 'ec.crt'), 'utf8'))).toThrow(/ec key; sealed-secrets needs an RSA key/);
  });

  it('refuses non-PEM input and a bare public key', () => {
    expect(() => parseSealingCert('hello')).toThrow(/not PEM/);
    const publicKeyPem = execFileSync('openssl', ['pkey', '-pubout'], { input: key.privateKeyPem }).toString();
    expect(() => parseSealingCert(publicKeyPem)).toThrow(/not PEM/);
    expect(() => parseSealingCert('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toThrow(/does not parse/);
  });

  it('names the certificate\'s source first in every refusal, and never the secret being sealed', () => {
    const expired = makeSealingKey({ notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });
    expect(thrownMessage(() => parseSealingCert(expired.certPem, new Date(), '--cert /x/expired.pem'))).toMatch(
      /^--cert \/x\/expired\.pem: sealing certificate expired on 2021-01-01T00:00:00\.000Z/,
    );
    expect(thrownMessage(() => parseSealingCert(key.certPem, new Date('2001-01-01T00:00:00Z'), 'the controller\'s certificate (served by http://127.0.0.1:1/v1/cert.pem)'))).toMatch(
      /^the controller's certificate \(served by http:\/\/127\.0\.0\.1:1\/v1\/cert\.pem\): sealing certificate is not yet valid/,
    );
    const notPem = thrownMessage(() => sealSecret({ name: 'a', namespace: 'b', data: { k: SECRET_VALUE } }, 'hello', { certSource: '--cert https://ss.example/v1/cert.pem' }));
    expect(notPem).toMatch(/^--cert https:\/\/ss\.example\/v1\/cert\.pem: sealing certificate is not PEM/);
    expect(notPem).not.toContain(SECRET_VALUE);
    const stale = thrownMessage(() => sealSecret({ name: 'a', namespace: 'b', data: { k: SECRET_VALUE } }, expired.certPem, { certSource: '--cert /x/expired.pem' }));
    expect(stale).toMatch(/^--cert \/x\/expired\.pem: sealing certificate expired on 2021-01-01/);
    expect(stale).not.toContain(SECRET_VALUE);
    // The secret's own shape errors are not the certificate's: they carry no --cert prefix.
    expect(thrownMessage(() => sealSecret({ name: 'a', namespace: 'b', data: {} }, key.certPem, { certSource: '--cert /x/c.pem' }))).toMatch(/^secret b\/a has no data keys/);
  });
});

describe('certFingerprint', () => {
  it('equals openssl\'s SHA-256 of the DER public key, for the certificate and for the private key', () => {
    const der = execFileSync('openssl', ['pkey', '-pubout', '-outform', 'DER'], { input: key.privateKeyPem });
    const opensslHex = execFileSync('openssl', ['dgst', '-sha256', '-r'], { input: der }).toString().split(' ')[0];
    expect(certFingerprint(key.certPem)).toBe(opensslHex);
    expect(certFingerprint(key.privateKeyPem)).toBe(opensslHex);
  });

  it('differs between key pairs', () => {
    expect(certFingerprint(makeSealingKey().certPem)).not.toBe(certFingerprint(key.certPem));
  });

  it('rejects text that is neither a certificate nor a key', () => {
    expect(() => certFingerprint('nope')).toThrow(/not a PEM certificate or key/);
  });
});
