// Issue 11 items 3, 4 and 6 on the real control plane with the real sealed-secrets controller. A kwok
// "production" cluster whose own controller made the sealing key, and a SealedSecret sealed for that
// key kept "in git" (an app's manifests). Then, in order:
//  - hard-reset with no backup destination refuses (exit 3) whatever the flags (--yes, --resume of a
//    journal that claims the deletion is done, --from), and the cluster and its key are untouched;
//  - hard-reset with the firewall selected and no nft on PATH fails in preflight naming nft, before
//    delete-cluster runs (the cluster is still there);
//  - dr-test never writes keyBackup.file;
//  - hard-reset with keyBackup.file exports the key (mode 0600), and the rebuilt cluster's controller
//    decrypts the old SealedSecret; publish-cert writes certOut, whose fingerprint is the controller's,
//    and `homelab-dr seal --cert certOut` seals something that controller decrypts;
//  - drill restores from the file and never writes it;
//  - no output, journal, log or report holds the private key.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { kwokClusterPaths } from '../../src/cluster/kwok-args.js';
import { KwokProvider } from '../../src/cluster/kwok.js';
import { startLocalSealedSecrets } from '../../src/cluster/local-sealed-secrets.js';
import { Journal } from '../../src/engine/journal.js';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { liveSealingKeys, readKeyBackup, type SealingKey } from '../../src/secrets/key-backup.js';
import { servedCert } from '../../src/secrets/cert-fetch.js';
import { certFingerprint, sealSecret } from '../../src/secrets/seal.js';
import { needlesFor, scanBuffer, scanTree } from './leak-scanner.js';

const REPO = resolve(import.meta.dirname, '../..');
const CLI = join(REPO, 'bin/homelab-dr.js');
const PROD = `hdr-keys-${process.pid}`;
const VALUE = `key-backup-canary-${process.pid}`;
const SEALED_LATER = `sealed-with-cert-out-${process.pid}`;
const NS = 'kube-system';

let work: string;
let stateDir: string;
let config: string;
let provider: KwokProvider;
let liveKey: SealingKey;
const outputs: string[] = [];

interface Run {
  status: number | null;
  stdout: string;
  out: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: 300_000,
    input,
    env: { ...process.env, SSH_CONNECTION: '', KUBECONFIG: join(work, 'no-kubeconfig'), ...env },
  });
  const run = { status: r.status, stdout: r.stdout, out: `${r.stdout}\n${r.stderr}` };
  outputs.push(run.out);
  return run;
}

/**
 * The config at `name`: the example with this cluster's name, `sealed` lines in sealedSecrets, and the
 * old SealedSecret among the apps unless `legacy` is false (a cluster with a new key cannot open it).
 */
function writeConfig(name: string, sealed: string, extra = '', legacy = true): string {
  let text = readFileSync(join(config, 'homelab.yaml'), 'utf8')
    .replace('  name: homelab ', `  name: ${PROD} `)
    .replace('  newKeyAcceptable: true\n', '')
    .replace('    manifests: ./kubernetes/sealed-secrets/controller.yaml\n', `    manifests: ./kubernetes/sealed-secrets/controller.yaml\n${sealed}`);
  if (legacy) text = text.replace('  wait: { timeout: 10m }', '    - name: legacy\n      manifests: ./kubernetes/legacy\n  wait: { timeout: 10m }');
  expect(text).toContain(`name: ${PROD}`);
  expect(text).not.toContain('newKeyAcceptable');
  expect(text.includes('name: legacy')).toBe(legacy);
  const path = join(config, name);
  writeFileSync(path, `${text}${extra}`);
  return path;
}

async function prodKeys(): Promise<string[]> {
  const kube = await KubeClient.fromKubeconfig(await provider.kubeconfig(PROD));
  try {
    return (await liveSealingKeys(kube, NS)).map((k) => k.fingerprint);
  } finally {
    kube.close();
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hdr-it-keys-'));
  stateDir = join(work, 'state');
  provider = new KwokProvider({ root: join(stateDir, 'kwok') });
  config = join(work, 'config');
  cpSync(join(REPO, 'config/example'), config, { recursive: true });

  // Production, where the CLI will look for it; its own controller makes the key and keeps running.
  await provider.create(PROD, { nodeName: 'homelab-server-0' });
  await startLocalSealedSecrets(kwokClusterPaths(provider.root, PROD), { namespace: NS });
  const kube = await KubeClient.fromKubeconfig(await provider.kubeconfig(PROD));
  try {
    [liveKey] = await liveSealingKeys(kube, NS);
  } finally {
    kube.close();
  }
  expect(liveKey, 'production has a sealing key').toBeDefined();
  const sealed = sealSecret({ name: 'legacy-token', namespace: 'apps', data: { token: Buffer.from(VALUE) } }, liveKey!.certPem);
  mkdirSync(join(config, 'kubernetes/legacy'));
  writeFileSync(join(config, 'kubernetes/legacy/sealed.yaml'), stringify(sealed));
}, 240_000);

afterAll(async () => {
  await provider.delete(PROD).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

describe('no backup destination: hard-reset refuses before anything is destroyed', () => {
  it('refuses with exit 3 under --yes, --from and a --resume whose journal says delete-cluster is done', () => {
    const noBackup = writeConfig('no-backup.yaml', '');
    // A journal of an earlier hard-reset that claims preflight and delete-cluster went green.
    const earlier = Journal.start(stateDir, { runId: 'earlier-run', command: 'hard-reset', config: noBackup, startedAt: new Date().toISOString(), steps: ['preflight', 'delete-cluster'], cluster: PROD });
    earlier.append({ t: 'step', id: 'preflight', status: 'applied' });
    earlier.append({ t: 'step', id: 'delete-cluster', status: 'applied' });
    earlier.append({ t: 'end', exitCode: 1, at: new Date().toISOString() });
    const attempts = [
      ['hard-reset', '-c', noBackup, '--yes', '--state-dir', stateDir],
      ['hard-reset', '-c', noBackup, '--yes', '--state-dir', stateDir, '--from', 'delete-cluster'],
      ['hard-reset', '-c', noBackup, '--yes', '--state-dir', stateDir, '--from', 'create-cluster'],
      ['hard-reset', '-c', noBackup, '--yes', '--state-dir', stateDir, '--only', 'delete-cluster'],
      ['hard-reset', '-c', noBackup, '--yes', '--state-dir', stateDir, '--resume', 'earlier-run'],
    ];
    for (const args of attempts) {
      const run = cli(args);
      expect(run.status, `${args.join(' ')}\n${run.out}`).toBe(3);
      expect(run.out).toContain('hard-reset refuses: it would destroy the only copy of the sealing key; nothing was touched');
      expect(run.out).toContain(`holds 1 sealing key(s) that no backup keeps: ${liveKey.name} (sha256 ${liveKey.fingerprint.slice(0, 16)}…)`);
      expect(run.out).toContain('set sealedSecrets.keyBackup.file: PATH');
    }
  });

  it('the cluster still exists and holds the same key', async () => {
    expect(await provider.exists(PROD)).toBe(true);
    expect(await prodKeys()).toEqual([liveKey.fingerprint]);
  });
});

describe('a tool missing: preflight names it before anything is destroyed', () => {
  it('with the firewall step selected and no nft on PATH, preflight fails naming nft; delete-cluster never runs', async () => {
    const firewall = '\nfirewall:\n  backend: nftables\n  table: homelab_dr\n  defaultInput: drop\n  allow:\n    - { port: 22, proto: tcp }\n';
    const path = writeConfig('firewall.yaml', '  keyBackup:\n    file: ./backup/firewall-run-keys.yaml\n', firewall);
    // Everything homelab-dr runs on kwok comes from the build cache; bash (for zx) stays, nft (/usr/sbin) goes.
    const run = cli(['hard-reset', '-c', path, '--yes', '--state-dir', stateDir], { PATH: '/usr/bin:/bin' });
    expect(run.status, run.out).toBe(1);
    expect(run.out).toMatch(/nft is not installed: not found on PATH \(\/usr\/bin:\/bin\); to get it: apt-get install nftables \(run by firewall\)/);
    expect(run.out).toMatch(/FAILED\s+preflight/i);
    expect(await provider.exists(PROD)).toBe(true);
    expect(await prodKeys()).toEqual([liveKey.fingerprint]);
  });
});

describe('dr-test never writes the key backup', () => {
  it('goes green with a new key, says the file was not there to restore, and leaves no file', () => {
    const path = writeConfig('drtest.yaml', '  keyBackup:\n    file: ./backup/never-written.yaml\n', '', false);
    const run = cli(['dr-test', '-c', path, '--yes', '--state-dir', stateDir]);
    expect(run.status, run.out).toBe(0);
    const items = Journal.read(Journal.find(stateDir)!).items.filter((i) => i.step === 'sealed-secrets-controller' && i.kind === 'sealing key');
    expect(items.map((i) => [i.name, i.outcome, i.error])).toEqual([[join(config, 'backup/never-written.yaml'), 'skipped', 'no key backup file yet: nothing restored from it']]);
    expect(existsSync(join(config, 'backup/never-written.yaml'))).toBe(false);
  });
});

describe('hard-reset with keyBackup.file and certOut', () => {
  let run: Run;
  let backupFile: string;
  let certOut: string;

  beforeAll(() => {
    const path = writeConfig('with-backup.yaml', '  keyBackup:\n    file: ./backup/keys.yaml\n  certOut: ./sealed-secrets-cert.pem\n');
    backupFile = join(config, 'backup/keys.yaml');
    certOut = join(config, 'sealed-secrets-cert.pem');
    run = cli(['hard-reset', '-c', path, '--yes', '--state-dir', stateDir]);
  }, 300_000);

  it('the screen showed the live key by fingerprint, and the run is green', () => {
    expect(run.out).toContain(`  ${liveKey.name}  active  sha256:${liveKey.fingerprint}`);
    expect(run.out).toContain(`kept: preflight exports it to ${backupFile} (mode 0600)`);
    expect(run.status, run.out).toBe(0);
  });

  it('the backup file exists with mode 0600 and holds the production key pair', async () => {
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    const saved = await readKeyBackup(backupFile);
    expect(saved!.map((k) => [k.name, k.fingerprint])).toEqual([[liveKey.name, liveKey.fingerprint]]);
    expect(saved![0]!.keyPem).toBe(liveKey.keyPem);
  });

  it("the rebuilt cluster's controller decrypts the SealedSecret sealed for the old key", async () => {
    const kube = await KubeClient.fromKubeconfig(await provider.kubeconfig(PROD));
    try {
      const secret = await kube.waitFor({ apiVersion: 'v1', kind: 'Secret', namespace: 'apps', name: 'legacy-token' }, () => true, { timeoutMs: 60_000, what: 'Secret apps/legacy-token' });
      expect(Buffer.from((secret.data as Record<string, string>).token ?? '', 'base64').toString('utf8')).toBe(VALUE);
    } finally {
      kube.close();
    }
  });

  it("certOut holds the certificate the controller serves, and `seal --cert` with it makes a SealedSecret that controller decrypts", async () => {
    const kube = await KubeClient.fromKubeconfig(await provider.kubeconfig(PROD));
    try {
      const localUrl = readFileSync(join(kwokClusterPaths(provider.root, PROD).extras, 'sealed-secrets-cert-url'), 'utf8').trim();
      const { cert } = await servedCert(kube, { namespace: NS, controllerName: 'sealed-secrets-controller', localUrl });
      expect(certFingerprint(readFileSync(certOut, 'utf8'))).toBe(certFingerprint(cert!.pem));
      expect(certFingerprint(cert!.pem)).toBe(liveKey.fingerprint);

      const secret = stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sealed-later', namespace: 'apps' }, stringData: { token: SEALED_LATER } });
      const sealed = cli(['seal', '--cert', certOut], {}, secret);
      expect(sealed.status, sealed.out).toBe(0);
      await kube.apply(parse(sealed.stdout) as KubeObject);
      const opened = await kube.waitFor({ apiVersion: 'v1', kind: 'Secret', namespace: 'apps', name: 'sealed-later' }, () => true, { timeoutMs: 60_000, what: 'Secret apps/sealed-later' });
      expect(Buffer.from((opened.data as Record<string, string>).token ?? '', 'base64').toString('utf8')).toBe(SEALED_LATER);
    } finally {
      kube.close();
    }
  });

  it('hard-reset --only publish-cert writes a removed certOut again, and a second run leaves it unchanged', () => {
    const path = join(config, 'with-backup.yaml');
    const before = readFileSync(certOut, 'utf8');
    rmSync(certOut);
    const only = cli(['hard-reset', '-c', path, '--yes', '--state-dir', stateDir, '--only', 'publish-cert']);
    expect(only.status, only.out).toBe(0);
    expect(readFileSync(certOut, 'utf8')).toBe(before);
    const created = Journal.read(Journal.find(stateDir)!).items.filter((i) => i.step === 'publish-cert');
    expect(created.map((i) => [i.kind, i.outcome])).toEqual([['Certificate', 'created']]);
    const again = cli(['hard-reset', '-c', path, '--yes', '--state-dir', stateDir, '--only', 'publish-cert']);
    expect(again.status, again.out).toBe(0);
    const unchanged = Journal.read(Journal.find(stateDir)!).items.filter((i) => i.step === 'publish-cert');
    expect(unchanged.map((i) => [i.kind, i.outcome])).toEqual([['Certificate', 'unchanged']]);
  });

  it('drill restores from the file and never writes it', () => {
    const before = readFileSync(backupFile);
    const mtime = statSync(backupFile).mtimeMs;
    const path = writeConfig('drill.yaml', '  keyBackup:\n    file: ./backup/keys.yaml\n');
    const drill = cli(['drill', '-c', path, '--yes', '--state-dir', stateDir, '--report-dir', join(stateDir, 'reports')]);
    expect(drill.status, drill.out).toBe(0);
    expect(readFileSync(backupFile).equals(before)).toBe(true);
    expect(statSync(backupFile).mtimeMs).toBe(mtime);
  });
});

describe('key material never leaves the backup file', () => {
  it('no output, journal, log or report holds the private key, in any encoding', () => {
    const body = liveKey.keyPem.split('\n').filter((l) => l && !l.startsWith('-----')).join('\n');
    const needles = needlesFor('sealing-key', body).concat(needlesFor('sealing-key-pem', liveKey.keyPem).filter((n) => !n.form.startsWith('partial')));
    const hits = outputs.flatMap((out, i) => scanBuffer(Buffer.from(out), `run ${i} output`, needles));
    // The kwok clusters' etcd holds the key Secret by design; everything else homelab-dr wrote is scanned.
    const scan = scanTree(stateDir, needles, new Set([join(stateDir, 'kwok')]));
    expect(scan.files).toBeGreaterThan(5);
    expect([...hits, ...scan.hits]).toEqual([]);
  });
});
