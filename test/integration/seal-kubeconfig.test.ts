// `homelab-dr seal` without --cert fetches the certificate through the kubeconfig, as kubeseal does,
// and the real sealed-secrets controller unseals what it sealed: a whole Secret (--format json) and one
// value (--raw). The kwok rehearsal runs the controller as a local process on 127.0.0.1, which no
// Service of the cluster points at, so the apiserver's service proxy cannot reach it; the certificate
// then comes from the controller's active key Secret, read through the same kubeconfig (and -v says so).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { kwokClusterPaths } from '../../src/cluster/kwok-args.js';
import { startLocalSealedSecrets, type LocalSealedSecrets } from '../../src/cluster/local-sealed-secrets.js';
import { loadKubeYaml } from '../../src/k8s/yaml11.js';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { integrationCluster } from './context.js';

const CLI = resolve('bin/homelab-dr.js');
const NS = 'it-seal-kubeconfig';
const { root, cluster, kubeconfig } = integrationCluster();
let client: KubeClient;
let controller: LocalSealedSecrets;
let stateDir: string;

function seal(args: string[], input: string): Promise<{ code: number | null; out: string; err: string }> {
  return cli(['seal', '--state-dir', stateDir, ...args], input);
}

function cli(args: string[], input = ''): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done, fail) => {
    // No config in the working directory and none in the environment: the kubeconfig alone names the cluster.
    const env = { ...process.env, HOMELAB_DR_CONFIG: '', KUBECONFIG: '' };
    const child = spawn(process.execPath, [CLI, ...args], { cwd: stateDir, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, out, err }));
    child.stdin.end(input);
  });
}

async function unsealed(name: string): Promise<Record<string, string>> {
  const secret = await client.waitFor({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name }, () => true, {
    timeoutMs: 60_000,
    what: `the controller to unseal ${NS}/${name}`,
  });
  return Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

beforeAll(async () => {
  client = await KubeClient.fromKubeconfig(kubeconfig);
  stateDir = mkdtempSync(join(tmpdir(), 'hdr-it-seal-kc-'));
  controller = await startLocalSealedSecrets(kwokClusterPaths(root, cluster), { namespace: 'kube-system' });
  await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
}, 180_000);

afterAll(async () => {
  await controller?.stop();
  client?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

function currentContext(): string {
  return String((loadKubeYaml(readFileSync(kubeconfig, 'utf8'), kubeconfig).value as { 'current-context': string })['current-context']);
}

describe('seal through the kubeconfig, against the real controller', () => {
  test('a Secret from stdin, sealed with the certificate fetched through --kubeconfig/--context, is unsealed by the controller', async () => {
    const context = currentContext();
    const plain = { password: 'it-seal-kc-correct-horse' };
    const secret = `apiVersion: v1\nkind: Secret\nmetadata: { name: whole, namespace: ${NS} }\nstringData: { password: ${plain.password} }\n`;
    const r = await seal(['--kubeconfig', kubeconfig, '--context', context, '--format', 'json', '-v'], secret);
    expect(r.err).toContain('the certificate was key Secret kube-system/');
    expect(r.code).toBe(0);
    const sealed = JSON.parse(r.out) as KubeObject;
    expect(sealed.kind).toBe('SealedSecret');
    expect(r.out + r.err).not.toContain(plain.password);
    // The certificate the controller serves is the one the sealed value was made for.
    expect(await (await fetch(controller.certUrl)).text()).toContain('BEGIN CERTIFICATE');
    await client.apply(sealed);
    expect(await unsealed('whole')).toEqual(plain);
  });

  test('--raw prints only the ciphertext of one value, which the controller unseals for that name and namespace', async () => {
    const value = 'it-seal-kc-raw-value';
    const r = await seal(['--kubeconfig', kubeconfig, '--raw', '--name', 'raw', '-n', NS], value);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^[A-Za-z0-9+/]+=*$/);
    await client.apply({
      apiVersion: 'bitnami.com/v1alpha1',
      kind: 'SealedSecret',
      metadata: { name: 'raw', namespace: NS },
      spec: { encryptedData: { token: r.out }, template: { metadata: { name: 'raw', namespace: NS } } },
    });
    expect(await unsealed('raw')).toEqual({ token: value });
  });

  test('a controller name that does not exist and no readable key is exit 2 naming both ways to give a certificate', async () => {
    const r = await seal(['--kubeconfig', kubeconfig, '--controller-namespace', 'no-such-ns', '--controller-name', 'nope'], 'apiVersion: v1\nkind: Secret\nmetadata: { name: a, namespace: b }\nstringData: { k: v }\n');
    expect(r.code).toBe(2);
    expect(r.err).toContain('apiserver service proxy');
    expect(r.err).toContain('--cert FILE|URL');
  });
});

describe('--kubeconfig, --context and -n reach the live cluster', () => {
  test('diagnose -n NS reads that namespace of the cluster the context names', async () => {
    const example = resolve('config/example/homelab.yaml');
    const r = await cli(['diagnose', '-c', example, '--kubeconfig', kubeconfig, '--context', currentContext(), '-n', NS, '-o', 'json', '--state-dir', stateDir]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ namespace: NS, ok: true, findings: [] });
    const wrong = await cli(['diagnose', '-c', example, '--kubeconfig', kubeconfig, '--context', 'no-such-context', '--state-dir', stateDir]);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain('no-such-context');
  });
});
