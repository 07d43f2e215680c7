// `homelab-dr seal` end to end through the built CLI; the real kubeseal is the oracle that opens it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cachedBinary } from '../../src/util/binaries.js';
import { makeSealingKey } from '../fixtures/secrets/sealing-keys.js';

const cli = resolve('bin/homelab-dr.js');
const kubeseal = cachedBinary('sealed-secrets', 'kubeseal');
let dir: string;
let certPath: string;
let keyPath: string;

function unseal(sealedYaml: string): { data: Record<string, string>; metadata: { annotations?: Record<string, string> } } {
  const out = execFileSync(kubeseal, ['--recovery-unseal', '--recovery-private-key', keyPath, '-o', 'json'], {
    input: sealedYaml,
    env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: join(dir, 'none') },
  });
  return JSON.parse(out.toString());
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'seal-cli-'));
  const key = makeSealingKey();
  certPath = join(dir, 'cert.pem');
  keyPath = join(dir, 'key.pem');
  writeFileSync(certPath, key.certPem);
  writeFileSync(keyPath, key.privateKeyPem, { mode: 0o600 });
});

// Each case starts the CLI (and kubeseal) as child processes: seconds on a loaded 2-core machine.
describe.skipIf(!existsSync(kubeseal))(`homelab-dr seal (oracle: ${kubeseal})`, { timeout: 30_000 }, () => {
  it('seals a Secret from stdin; kubeseal opens it; the plaintext is not in the output', () => {
    const secret = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: tunnel\n  namespace: networking\nstringData:\n  token: canary-value-7f3a9\n';
    const r = spawnSync(process.execPath, [cli, 'seal', '--cert', certPath], { input: secret, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('kind: SealedSecret');
    expect(r.stdout).not.toContain('canary-value-7f3a9');
    expect(Buffer.from(unseal(r.stdout).data['token']!, 'base64').toString()).toBe('canary-value-7f3a9');
  });

  it('seals a configured secret from its store, with the scope asked for', () => {
    const r = spawnSync(process.execPath, [cli, 'seal', '--config', resolve('config/example/homelab.yaml'), '--secret', 'networking/cloudflared-token', '--cert', certPath, '--scope', 'namespace-wide'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const opened = unseal(r.stdout);
    const expected = execFileSync(resolve('config/example/secrets/demo-store.sh'), ['CF_TUNNEL_TOKEN'], { encoding: 'utf8' });
    expect(Buffer.from(opened.data['token']!, 'base64').toString()).toBe(expected);
    expect(opened.metadata.annotations).toMatchObject({ 'sealedsecrets.bitnami.com/namespace-wide': 'true' });
    expect(r.stdout).not.toContain(expected);
  });

  it('--format json writes the SealedSecret as JSON; kubeseal opens it', () => {
    const secret = 'apiVersion: v1\nkind: Secret\nmetadata: { name: tunnel, namespace: networking }\nstringData: { token: canary-json-51c2 }\n';
    const r = spawnSync(process.execPath, [cli, 'seal', '--cert', certPath, '--format', 'json'], { input: secret, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).kind).toBe('SealedSecret');
    expect(Buffer.from(unseal(r.stdout).data['token']!, 'base64').toString()).toBe('canary-json-51c2');
  });

  it('--raw prints only the ciphertext of stdin for --name/--namespace; kubeseal opens it only under that name', () => {
    const r = spawnSync(process.execPath, [cli, 'seal', '--raw', '--cert', certPath, '--name', 'tunnel', '-n', 'networking'], { input: 'canary-raw-9e1d', encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const sealedAs = (name: string) => `apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: { name: ${name}, namespace: networking }\nspec:\n  encryptedData: { token: ${r.stdout} }\n`;
    expect(Buffer.from(unseal(sealedAs('tunnel')).data['token']!, 'base64').toString()).toBe('canary-raw-9e1d');
    expect(() => unseal(sealedAs('other'))).toThrow();
    const wide = spawnSync(process.execPath, [cli, 'seal', '--raw', '--cert', certPath, '--scope', 'strict', '--name', 'tunnel'], { input: 'x', encoding: 'utf8' });
    expect(wide.status).toBe(2);
    expect(wide.stderr).toContain('seal --raw with scope strict needs --namespace (-n)');
  });

  it('bad input is exit 2 with the reason', () => {
    const valid = 'apiVersion: v1\nkind: Secret\nmetadata: { name: a, namespace: b }\nstringData: { k: v }\n';
    const noCert = spawnSync(process.execPath, [cli, 'seal'], { input: valid, encoding: 'utf8', env: { ...process.env, HOMELAB_DR_CONFIG: '' } });
    expect(noCert.status).toBe(2);
    expect(noCert.stderr).toContain('seal needs a certificate: give --cert FILE|URL, or --kubeconfig/--context');
    const notSecret = spawnSync(process.execPath, [cli, 'seal', '--cert', certPath], { input: 'kind: ConfigMap\n', encoding: 'utf8' });
    expect(notSecret.status).toBe(2);
    expect(notSecret.stderr).toContain('expected a v1 Secret');
    const badScope = spawnSync(process.execPath, [cli, 'seal', '--cert', certPath, '--scope', 'galaxy'], { input: '', encoding: 'utf8' });
    expect(badScope.status).toBe(2);
  });
});
