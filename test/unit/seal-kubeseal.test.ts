// Byte-compatibility with the real kubeseal (built by scripts/control-plane.sh): kubeseal must unseal
// what we seal, and our decryption must open what kubeseal seals, for every scope.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLUSTER_WIDE_ANNOTATION,
  NAMESPACE_WIDE_ANNOTATION,
  sealSecret,
  sealingLabel,
  type SealingScope,
} from '../../src/secrets/seal.js';
import { cachedBinary } from '../../src/util/binaries.js';
import { makeSealingKey, unsealValue } from '../fixtures/secrets/sealing-keys.js';

const kubeseal = cachedBinary('sealed-secrets', 'kubeseal');
const haveKubeseal = existsSync(kubeseal);
if (!haveKubeseal) console.warn(`seal-kubeseal: skipped, no kubeseal at ${kubeseal} (run: npm run control-plane)`);

const SCOPES: SealingScope[] = ['strict', 'namespace-wide', 'cluster-wide'];
const VALUES: Record<string, Buffer> = {
  token: Buffer.from('eyJhIjoiYiJ9.tunnel-token'),
  multiline: Buffer.from('-----BEGIN X-----\nline two\n-----END X-----\n'),
  unicode: Buffer.from('pässwörd ✓'),
  binary: Buffer.from([0x00, 0xff, 0x80, 0x0a, 0x0d, 0x7f]),
  empty: Buffer.alloc(0),
  // 1 MiB of every byte value, the size of Secret the apiserver still accepts.
  large: Buffer.from(Array.from({ length: 1024 * 1024 }, (_, i) => (i * 131 + (i >> 8)) & 0xff)),
};
const LABELS = { 'argocd.argoproj.io/secret-type': 'repository', app: 'cloudflared' };
const ANNOTATIONS = { 'homelab-dr/source': 'gitlab' };
const TYPE = 'homelab.example/token';

/** Byte equality without vitest's element-by-element diff, which takes seconds on 1 MiB. */
function expectSameBytes(actual: Buffer, expected: Buffer, key: string): void {
  const same = actual.equals(expected);
  expect(same ? 'equal' : `${key}: ${actual.length} bytes, expected ${expected.length}, first difference at ${actual.findIndex((b, i) => b !== expected[i])}`).toBe('equal');
}

interface GoSecret {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  type: string;
  data: Record<string, string>;
}

// kubeseal prints Go's zero values (creationTimestamp: null); they carry nothing.
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
  }
  return value;
}

// 1 MiB values through kubeseal and YAML take seconds on a loaded 2-core machine: a generous timeout.
describe.skipIf(!haveKubeseal)(`sealing is byte-compatible with kubeseal (${kubeseal})`, { timeout: 60_000 }, () => {
  let dir: string;
  let keyPath: string;
  let certPath: string;
  let privateKeyPem: string;
  let certPem: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'seal-kubeseal-'));
    // 4096 bits like the controller's own key, so the RSA block length is the real 512.
    ({ privateKeyPem, certPem } = makeSealingKey({ bits: 4096 }));
    keyPath = join(dir, 'key.pem');
    certPath = join(dir, 'cert.pem');
    writeFileSync(keyPath, privateKeyPem, { mode: 0o600 });
    writeFileSync(certPath, certPem);
    // No kubeconfig: kubeseal must work offline from --cert / --recovery-private-key alone.
    env = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: join(dir, 'no-kubeconfig') };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(SCOPES)('kubeseal --recovery-unseal opens what we sealed (%s)', (scope) => {
    const sealed = sealSecret(
      { name: 'cloudflared-token', namespace: 'networking', type: TYPE, labels: LABELS, annotations: ANNOTATIONS, data: VALUES, scope },
      certPem,
    );
    const stdout = execFileSync(kubeseal, ['--recovery-unseal', '--recovery-private-key', keyPath, '-o', 'json'], {
      input: JSON.stringify(sealed),
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    const secret = JSON.parse(stdout.toString()) as GoSecret;
    for (const [key, value] of Object.entries(VALUES)) expectSameBytes(Buffer.from(secret.data[key] ?? '', 'base64'), value, key);
    expect(Object.keys(secret.data).sort()).toEqual(Object.keys(VALUES).sort());
    expect(secret.type).toBe(TYPE);
    expect(secret.metadata.labels).toEqual(LABELS);
    const scopeAnnotation = { strict: {}, 'namespace-wide': { [NAMESPACE_WIDE_ANNOTATION]: 'true' }, 'cluster-wide': { [CLUSTER_WIDE_ANNOTATION]: 'true' } }[scope];
    expect(secret.metadata.annotations).toEqual({ ...ANNOTATIONS, ...scopeAnnotation });
    expect(secret.metadata).toMatchObject({ name: 'cloudflared-token', namespace: 'networking' });
  });

  it('kubeseal refuses our strict seal moved to another name: the label binds it', () => {
    const sealed = sealSecret({ name: 'original', namespace: 'networking', data: { token: VALUES.token as Buffer } }, certPem);
    const moved = { ...sealed, metadata: { ...sealed.metadata, name: 'renamed' } };
    expect(() =>
      execFileSync(kubeseal, ['--recovery-unseal', '--recovery-private-key', keyPath, '-o', 'json'], { input: JSON.stringify(moved), env, stdio: 'pipe' }),
    ).toThrow(/no key could decrypt secret/);
  });

  it.each(SCOPES)('our decryption opens what kubeseal --cert sealed, and the objects have the same shape (%s)', (scope) => {
    const input = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cloudflared-token', namespace: 'networking', labels: LABELS, annotations: ANNOTATIONS },
      type: TYPE,
      data: Object.fromEntries(Object.entries(VALUES).map(([k, v]) => [k, v.toString('base64')])),
    };
    const stdout = execFileSync(kubeseal, ['--cert', certPath, '--scope', scope, '-o', 'json'], { input: JSON.stringify(input), env, maxBuffer: 64 * 1024 * 1024 });
    const theirs = withoutNulls(JSON.parse(stdout.toString())) as ReturnType<typeof sealSecret>;
    const label = sealingLabel('networking', 'cloudflared-token', scope);
    for (const [key, value] of Object.entries(VALUES)) {
      const sealedValue = theirs.spec.encryptedData[key] as string;
      expect(Buffer.from(sealedValue, 'base64').readUInt16BE(0)).toBe(512);
      expectSameBytes(unsealValue(privateKeyPem, label, sealedValue), value, key);
    }
    const ours = sealSecret(
      { name: 'cloudflared-token', namespace: 'networking', type: TYPE, labels: LABELS, annotations: ANNOTATIONS, data: VALUES, scope },
      certPem,
    );
    const shape = (o: ReturnType<typeof sealSecret>) => ({ ...o, spec: { ...o.spec, encryptedData: Object.keys(o.spec.encryptedData).sort() } });
    expect(shape(ours)).toEqual(shape(theirs));
  });
});
