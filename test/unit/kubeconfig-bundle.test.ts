// The build replaces dist/src/kube/kubeconfig-lib.js with an esbuild bundle of client-node's KubeConfig
// (scripts/bundle-kubeconfig.mjs). Every command that reaches a cluster goes through it, so it must read a
// kubeconfig exactly as the package itself does: a differential test, bundle against package.
import { KubeConfig as PackageKubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const bundlePath = join(import.meta.dirname, '..', '..', 'dist', 'src', 'kube', 'kubeconfig-lib.js');
const dir = mkdtempSync(join(tmpdir(), 'hdr-kubeconfig-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const PEM = (label: string, body: string): string => `-----BEGIN ${label}-----\n${b64(body)}\n-----END ${label}-----\n`;

function kubeconfig(name: string, user: Record<string, unknown>, cluster: Record<string, unknown>): string {
  const path = join(dir, `${name}.yaml`);
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'second',
    clusters: [{ name: 'c1', cluster: { server: 'https://127.0.0.1:6443', ...cluster } }, { name: 'c2', cluster: { server: 'https://10.0.0.2:7443', ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'first', context: { cluster: 'c1', user: 'u' } }, { name: 'second', context: { cluster: 'c2', user: 'u', namespace: 'ns' } }],
  };
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

interface KubeConfigLike {
  loadFromFile(path: string): void;
  setCurrentContext(name: string): void;
  getCurrentCluster(): { server: string } | null;
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
}

async function read(KC: new () => KubeConfigLike, path: string, context?: string): Promise<{ server?: string; tls: https.RequestOptions }> {
  const kc = new KC();
  kc.loadFromFile(path);
  if (context) kc.setCurrentContext(context);
  const tls: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(tls);
  return { server: kc.getCurrentCluster()?.server, tls };
}

const asData = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('the bundled KubeConfig', () => {
  it('is one self-contained file: nothing of it is loaded from @kubernetes/client-node at run time', () => {
    const text = readFileSync(bundlePath, 'utf8');
    expect(text).not.toMatch(/from ["']@kubernetes\/client-node["']/);
    expect(text).toMatch(/export\s*\{[^}]*KubeConfig/);
  });

  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>, string?]> = [
    ['client certificate and key data, CA data', { 'client-certificate-data': b64(PEM('CERTIFICATE', 'client')), 'client-key-data': b64(PEM('PRIVATE KEY', 'key')) }, { 'certificate-authority-data': b64(PEM('CERTIFICATE', 'ca')) }],
    ['a bearer token, the other context', { token: 'not-a-real-token' }, { 'certificate-authority-data': b64(PEM('CERTIFICATE', 'ca')) }, 'first'],
    ['insecure-skip-tls-verify', { token: 'not-a-real-token' }, { 'insecure-skip-tls-verify': true }],
  ];
  it.each(cases)('reads %s as the package does', async (name, user, cluster, context) => {
    const path = kubeconfig(name.replace(/\W+/g, '-'), user, cluster);
    const { KubeConfig: BundledKubeConfig } = (await import(bundlePath)) as { KubeConfig: new () => KubeConfigLike };
    const bundled = await read(BundledKubeConfig, path, context);
    const reference = await read(PackageKubeConfig as unknown as new () => KubeConfigLike, path, context);
    // As data: the two copies of the library have their own classes (a Buffer, a Headers), so the
    // comparison is of what the options hold, not of which constructor made them.
    expect(asData(bundled)).toEqual(asData(reference));
    // Not vacuous: the kubeconfig's credentials reached the options.
    expect(bundled.server).toBe(context === 'first' ? 'https://127.0.0.1:6443' : 'https://10.0.0.2:7443');
    expect(JSON.stringify(bundled.tls)).toMatch(/ca|cert|headers|rejectUnauthorized/);
  });
});
