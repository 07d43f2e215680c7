// The real sealed-secrets controller, run locally for the kwok cluster, unseals what the real kubeseal
// sealed with its certificate.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { controlPlaneBinaries } from '../../src/cluster/control-plane-binaries.js';
import { kwokClusterPaths } from '../../src/cluster/kwok-args.js';
import { startLocalSealedSecrets, type LocalSealedSecrets } from '../../src/cluster/local-sealed-secrets.js';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { run } from '../../src/util/exec.js';
import { integrationCluster } from './context.js';

const { root, cluster, kubeconfig } = integrationCluster();
const paths = kwokClusterPaths(root, cluster);
let client: KubeClient;
let controller: LocalSealedSecrets;
let scratch: string;

beforeAll(async () => {
  client = await KubeClient.fromKubeconfig(kubeconfig);
  scratch = mkdtempSync(join(tmpdir(), 'hdr-it-seal-'));
  const started = Date.now();
  controller = await startLocalSealedSecrets(paths, { namespace: 'kube-system' });
  console.log(`[integration] local sealed-secrets controller serving its certificate after ${((Date.now() - started) / 1000).toFixed(1)}s`);
}, 180_000);

afterAll(async () => {
  await controller?.stop();
  client?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the local sealed-secrets controller', () => {
  test('listens on 127.0.0.1 only and keeps its key pair in its namespace', async () => {
    expect(new URL(controller.certUrl).hostname).toBe('127.0.0.1');
    const keys = await client.list({ apiVersion: 'v1', kind: 'Secret', namespace: 'kube-system', labelSelector: 'sealedsecrets.bitnami.com/sealed-secrets-key=active' });
    expect(keys).toHaveLength(1);
    expect(keys[0]?.type).toBe('kubernetes.io/tls');
  });

  test('a SealedSecret made by kubeseal with the controller certificate becomes a Secret with the right data', async () => {
    const certFile = join(scratch, 'cert.pem');
    writeFileSync(certFile, await (await fetch(controller.certUrl)).text());
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'it-sealed' } });
    const plain = { 'db-password': 'correct horse battery staple', 'api-key': 'k-0123456789' };
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'app-credentials', namespace: 'it-sealed' },
      type: 'Opaque',
      stringData: plain,
    };
    const { kubeseal } = controlPlaneBinaries(['kubeseal']);
    const sealed = await run(kubeseal, ['--cert', certFile, '--format', 'json'], {
      input: JSON.stringify(secret),
      env: { ...process.env, KUBECONFIG: kubeconfig },
      secrets: Object.values(plain),
    });
    const sealedSecret = JSON.parse(sealed.stdout) as KubeObject;
    expect(sealedSecret.kind).toBe('SealedSecret');
    expect(JSON.stringify(sealedSecret)).not.toContain(plain['db-password']);

    await client.apply(sealedSecret);
    const unsealed = await client.waitFor({ apiVersion: 'v1', kind: 'Secret', namespace: 'it-sealed', name: 'app-credentials' }, () => true, {
      timeoutMs: 30_000,
      what: 'the controller to create Secret it-sealed/app-credentials',
    });
    const data = unsealed.data as Record<string, string>;
    expect(Object.keys(data).sort()).toEqual(['api-key', 'db-password']);
    for (const [key, value] of Object.entries(plain)) expect(Buffer.from(data[key] ?? '', 'base64').toString('utf8')).toBe(value);

    const synced = await client.waitFor(
      { apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', namespace: 'it-sealed', name: 'app-credentials' },
      (obj) => ((obj.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some((c) => c.type === 'Synced' && c.status === 'True'),
      { timeoutMs: 30_000, what: 'the SealedSecret to report Synced' },
    );
    expect(synced.metadata.name).toBe('app-credentials');
  });

  test('is supervised: a killed controller is detected and started again', async () => {
    const first = controller.pid();
    expect(first).toBeDefined();
    process.kill(first as number, 'SIGKILL');
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !(controller.pid() !== first && controller.alive())) await new Promise((r) => setTimeout(r, 200));
    expect(controller.exits).toContain('signal SIGKILL');
    expect(controller.pid()).not.toBe(first);
    expect(controller.alive()).toBe(true);
  });
});
