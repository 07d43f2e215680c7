// The kwok provider's guards and isolation, against the real kwokctl and the running test cluster.
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cacheRoot } from '../../src/util/binaries.js';
import { KwokProvider } from '../../src/cluster/kwok.js';
import { kwokClusterPaths } from '../../src/cluster/kwok-args.js';
import { startLocalSealedSecrets } from '../../src/cluster/local-sealed-secrets.js';
import { isOurProcess } from '../../src/cluster/process.js';
import { freeLoopbackPorts } from '../../src/cluster/ports.js';
import { KubeClient } from '../../src/kube/client.js';
import { InputError, RefusedError } from '../../src/util/errors.js';
import { run } from '../../src/util/exec.js';
import { integrationCluster } from './context.js';

const { root, cluster, kubeconfig, nodeName } = integrationCluster();
const provider = new KwokProvider({ root });

/** Command lines of live processes that mention `needle`. */
function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmdline.includes(needle)) found.push(cmdline);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

describe('kwok provider', () => {
  test('reports the cluster, its single named node and a loopback apiserver', async () => {
    expect(await provider.exists(cluster)).toBe(true);
    expect(await provider.nodeNames(cluster)).toEqual([nodeName]);
    expect(new URL(await provider.apiServer(cluster)).hostname).toBe('127.0.0.1');
  });

  test('create refuses an existing cluster name and leaves that cluster working', async () => {
    const refusal = await provider.create(cluster).then(() => undefined, (err: unknown) => err);
    expect(refusal).toBeInstanceOf(RefusedError);
    expect((refusal as Error).message).toMatch(new RegExp(`kwok cluster named ${cluster} already exists.*delete it first`));
    const client = await KubeClient.fromKubeconfig(kubeconfig);
    try {
      expect(await client.raw('GET', '/readyz')).toBe('ok');
    } finally {
      client.close();
    }
  });

  describe('a fixed apiserver port that is taken', () => {
    let blocker: Server;
    let port: number;
    const other = `${cluster}-port`;
    beforeAll(async () => {
      [port] = (await freeLoopbackPorts(1)) as [number];
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      await new Promise((resolve) => blocker.close(resolve));
      await provider.delete(other);
    });

    test('is a clear error, and nothing is left half-started', async () => {
      const failure = await provider.create(other, { apiServerPort: port }).then(() => undefined, (err: unknown) => err);
      expect(failure).toBeInstanceOf(InputError);
      expect((failure as Error).message).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(await provider.exists(other)).toBe(false);
      expect(processesMentioning(kwokClusterPaths(root, other).workdir)).toEqual([]);
    });
  });

  test('runs only binaries from the homelab-dr cache (nothing downloaded) and binds 127.0.0.1 only', async () => {
    const binDir = join(kwokClusterPaths(root, cluster).workdir, 'bin');
    for (const name of readdirSync(binDir)) {
      expect(readlinkSync(join(binDir, name)).startsWith(join(cacheRoot(), 'bin'))).toBe(true);
    }
    const pids = processesMentioning(kwokClusterPaths(root, cluster).workdir).length;
    expect(pids).toBeGreaterThanOrEqual(5);
    const sockets = (await run('ss', ['-Hltnp'])).stdout.split('\n').filter((line) => /kube-apiserver|etcd|kube-controller|kube-scheduler|"kwok"/.test(line));
    expect(sockets.length).toBeGreaterThan(0);
    for (const line of sockets) expect(line.split(/\s+/)[3]).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  test('delete stops the local sealed-secrets controller and leaves no process or file behind', async () => {
    const second = `${cluster}-2`;
    const started = Date.now();
    await provider.create(second);
    console.log(`[integration] second kwok cluster ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    const paths = kwokClusterPaths(root, second);
    const controller = await startLocalSealedSecrets(paths);
    const pid = controller.pid() as number;
    expect(isOurProcess(pid, 'sealed-secrets-controller')).toBe(true);

    await provider.delete(second);
    expect(isOurProcess(pid, 'sealed-secrets-controller')).toBe(false);
    expect(controller.alive()).toBe(false);
    expect(processesMentioning(paths.workdir)).toEqual([]);
    expect(existsSync(paths.workdir) || existsSync(paths.extras)).toBe(false);
    expect(await provider.exists(second)).toBe(false);
  });

  test('deleting a cluster that does not exist is a no-op', async () => {
    await expect(provider.delete(`${cluster}-absent`)).resolves.toBeUndefined();
  });
});
