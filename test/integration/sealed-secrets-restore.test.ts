// Issue 5's key-restore proof, end to end on real components: cluster 1's own controller makes a key
// pair; a SealedSecret is sealed for it; cluster 1 is deleted; `dr-test` builds cluster 2 with the key
// restored from a backup in a file store, and the old SealedSecret (kept "in git", here in an app's
// manifests) decrypts there. Then the real controller refuses a strict SealedSecret moved to another
// namespace.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { kwokClusterPaths } from '../../src/cluster/kwok-args.js';
import { KwokProvider } from '../../src/cluster/kwok.js';
import { startLocalSealedSecrets } from '../../src/cluster/local-sealed-secrets.js';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { certFingerprint, sealSecret } from '../../src/secrets/seal.js';

const REPO = resolve(import.meta.dirname, '../..');
const CLI = join(REPO, 'bin/homelab-dr.js');
const VALUE = `restored-key-canary-${process.pid}`;
const ACTIVE_KEY = 'sealedsecrets.bitnami.com/sealed-secrets-key=active';

let work: string;
let stateDir: string;
let cluster2: string;
let oldCertPem: string;
let run2: { status: number | null; out: string };

function keyPem(secret: KubeObject, field: 'tls.crt' | 'tls.key'): string {
  return Buffer.from((secret.data as Record<string, string>)[field] ?? '', 'base64').toString('utf8');
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hdr-it-restore-'));
  stateDir = join(work, 'state');
  cluster2 = `hdr-restore2-${process.pid}`;

  // Cluster 1: a real controller generates the key pair the SealedSecrets in git are sealed for.
  const provider1 = new KwokProvider({ root: join(work, 'kwok1') });
  const cluster1 = `hdr-restore1-${process.pid}`;
  let backup: string;
  let sealed: KubeObject;
  try {
    await provider1.create(cluster1, { nodeName: `${cluster1}-server-0` });
    const controller = await startLocalSealedSecrets(kwokClusterPaths(provider1.root, cluster1), { namespace: 'kube-system' });
    const kube1 = await KubeClient.fromKubeconfig(await provider1.kubeconfig(cluster1));
    try {
      const [key] = await kube1.list({ apiVersion: 'v1', kind: 'Secret', namespace: 'kube-system', labelSelector: ACTIVE_KEY });
      expect(key, 'cluster 1 has an active sealing key').toBeDefined();
      oldCertPem = keyPem(key!, 'tls.crt');
      expect(await (await fetch(controller.certUrl)).text()).toBe(oldCertPem);
      backup = `${oldCertPem}${keyPem(key!, 'tls.key')}`;
      sealed = sealSecret({ name: 'legacy-token', namespace: 'apps', data: { token: Buffer.from(VALUE) } }, oldCertPem) as unknown as KubeObject;
    } finally {
      kube1.close();
      await controller.stop();
    }
  } finally {
    await provider1.delete(cluster1);
  }

  // Cluster 2's config: the example, plus the key backup in a private file store and the old
  // SealedSecret among the apps' manifests.
  const config = join(work, 'config');
  cpSync(join(REPO, 'config/example'), config, { recursive: true });
  writeFileSync(join(config, 'secrets/backup.yaml'), stringify({ 'sealed-secrets-key': backup }), { mode: 0o600 });
  mkdirSync(join(config, 'kubernetes/legacy'));
  writeFileSync(join(config, 'kubernetes/legacy/sealed.yaml'), stringify(sealed));
  const homelab = readFileSync(join(config, 'homelab.yaml'), 'utf8')
    .replace('    manifests: ./kubernetes/sealed-secrets/controller.yaml\n', '    manifests: ./kubernetes/sealed-secrets/controller.yaml\n  keyBackup:\n    from: { store: backup, key: sealed-secrets-key }\n')
    .replace('secretStores:\n', 'secretStores:\n  backup:\n    type: file\n    path: ./secrets/backup.yaml\n')
    .replace('  wait: { timeout: 10m }', '    - name: legacy\n      manifests: ./kubernetes/legacy\n  wait: { timeout: 10m }');
  expect(homelab).toContain('keyBackup');
  expect(homelab).toContain('name: legacy');
  writeFileSync(join(config, 'homelab.yaml'), homelab);

  const r = spawnSync(process.execPath, [CLI, 'dr-test', '-c', join(config, 'homelab.yaml'), '--name', cluster2, '--keep', '--yes', '--state-dir', stateDir], {
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, SSH_CONNECTION: '', KUBECONFIG: join(work, 'no-kubeconfig') },
  });
  run2 = { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}, 480_000);

afterAll(async () => {
  await new KwokProvider({ root: join(stateDir, 'kwok') }).delete(cluster2).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

describe('sealing key backup and restore', () => {
  it('dr-test restores cluster 1 key into cluster 2 and goes green, the value never printed', () => {
    expect(run2.out).not.toContain(VALUE);
    expect(run2.status, run2.out).toBe(0);
  });

  it('the SealedSecret sealed for cluster 1 decrypts in cluster 2, and the controller serves the old certificate', async () => {
    const kube = await KubeClient.fromKubeconfig(await new KwokProvider({ root: join(stateDir, 'kwok') }).kubeconfig(cluster2));
    try {
      const secret = await kube.waitFor({ apiVersion: 'v1', kind: 'Secret', namespace: 'apps', name: 'legacy-token' }, () => true, { timeoutMs: 60_000, what: 'Secret apps/legacy-token' });
      expect(Buffer.from((secret.data as Record<string, string>).token ?? '', 'base64').toString('utf8')).toBe(VALUE);
      const keys = await kube.list({ apiVersion: 'v1', kind: 'Secret', namespace: 'kube-system', labelSelector: ACTIVE_KEY });
      expect(keys.map((k) => certFingerprint(keyPem(k, 'tls.crt')))).toContain(certFingerprint(oldCertPem));
    } finally {
      kube.close();
    }
  });

  it('the real controller refuses a strict SealedSecret whose metadata was moved to another namespace', async () => {
    const kube = await KubeClient.fromKubeconfig(await new KwokProvider({ root: join(stateDir, 'kwok') }).kubeconfig(cluster2));
    try {
      const forNetworking = sealSecret({ name: 'moved-token', namespace: 'networking', data: { token: Buffer.from(VALUE) } }, oldCertPem) as unknown as KubeObject;
      const moved = { ...forNetworking, metadata: { ...forNetworking.metadata, namespace: 'apps' } } as KubeObject;
      await kube.apply(moved);
      const refused = await kube.waitFor(
        { apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', namespace: 'apps', name: 'moved-token' },
        (o) => ((o.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some((c) => c.type === 'Synced' && c.status === 'False'),
        { timeoutMs: 60_000, what: 'the controller to report SealedSecret apps/moved-token not Synced' },
      );
      const condition = (refused.status as { conditions: Array<{ type: string; message?: string }> }).conditions.find((c) => c.type === 'Synced');
      expect(condition?.message ?? '').toMatch(/no key could decrypt secret/);
      expect(await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace: 'apps', name: 'moved-token' })).toBeUndefined();
    } finally {
      kube.close();
    }
  });
});
