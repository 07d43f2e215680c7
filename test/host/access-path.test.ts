// The lockout guard's judgement of a configured access path against the real kernel (issue 11 item 7).
// Two network namespaces of the test's own, joined by a veth pair: one plays the host with sshd's port
// open (10.214.0.1), the other the cluster's network from which the tunnel pod reaches it
// (10.214.0.2/30). The guard judges from the console (no SSH_CONNECTION); the tables it refuses and
// accepts are then applied in the host namespace and a real connection shows what the kernel does.
import { spawn, type ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FirewallConfig, HomelabConfig } from '../../src/config/types.js';
import { Ledger } from '../../src/engine/ledger.js';
import { RefusedError } from '../../src/util/errors.js';
import { run } from '../../src/util/exec.js';
import type { RecoveryContext } from '../../steps/context.js';
import { FIREWALL_NETNS_ENV, firewallGuard, firewallStep } from '../../steps/firewall.js';

const HOST_NS = `hdr-ap-${process.pid}`;
const CLUSTER_NS = `hdr-apc-${process.pid}`;
const HOST_IP = '10.214.0.1';
const CLUSTER_NET = '10.214.0.0/30';
const SSHD_PORT = 22;
const TABLE = 'hdr_access_test';

async function skipReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root: creating network namespaces needs CAP_SYS_ADMIN';
  const ip = await run('ip', ['netns', 'list'], { allowFailure: true }).catch((e: Error) => e);
  if (ip instanceof Error || ip.code !== 0) return `ip netns is unavailable (${ip instanceof Error ? ip.message : ip.stderr.trim()})`;
  const nft = await run('nft', ['--version'], { allowFailure: true }).catch((e: Error) => e);
  if (nft instanceof Error || nft.code !== 0) return 'nft is not installed (apt-get install nftables)';
  return undefined;
}
const reason = await skipReason();
if (reason) console.warn(`\n*** SKIPPING test/host/access-path.test.ts: ${reason} ***\n`);

const sshFromLanOnly: FirewallConfig['allow'] = [{ port: SSHD_PORT, proto: 'tcp', from: '192.168.1.0/24' }];

/** A hard-reset from the console: no SSH session, and the tunnel configured to come from the cluster's network. */
function context(allow: FirewallConfig['allow']): RecoveryContext {
  const config = {
    cluster: { name: 'homelab', provider: 'kwok', ports: [] },
    firewall: { backend: 'nftables', table: TABLE, defaultInput: 'drop', allow },
    access: { sshPort: SSHD_PORT, tunnel: { from: [CLUSTER_NET] }, alternate: [] },
  } as unknown as HomelabConfig;
  return { config, mode: 'hard-reset', providerName: 'kwok', clusterName: 'homelab', signal: new AbortController().signal, log: pino({ level: 'silent' }) } as unknown as RecoveryContext;
}

/** The same table, put in place in the host namespace (a namespace of our own is exempt from the guard). */
async function applyInHostNamespace(ctx: RecoveryContext): Promise<void> {
  const ledger = new Ledger();
  await firewallStep({ [FIREWALL_NETNS_ENV]: HOST_NS }).apply!(ctx, ledger.forStep('firewall'));
  expect(ledger.counts('firewall').failed).toBe(0);
}

/** A TCP connect from the cluster's network to host sshd's port: "connected", "timeout" (dropped) or an errno. */
async function tunnelConnects(): Promise<string> {
  const script = `const s=require('net').connect({host:'${HOST_IP}',port:${SSHD_PORT}});s.setTimeout(1500);` +
    `s.on('connect',()=>{console.log('connected');s.destroy()});s.on('timeout',()=>{console.log('timeout');s.destroy()});` +
    `s.on('error',(e)=>console.log(e.code));`;
  return (await run('ip', ['netns', 'exec', CLUSTER_NS, process.execPath, '-e', script], { timeoutMs: 10_000 })).stdout.trim();
}

describe.skipIf(reason !== undefined)('the guard keeps the tunnel\'s way to host sshd, judged against real nft', () => {
  let sshd: ChildProcess | undefined;

  beforeAll(async () => {
    await run('ip', ['netns', 'add', HOST_NS]);
    await run('ip', ['netns', 'add', CLUSTER_NS]);
    await run('ip', ['-n', HOST_NS, 'link', 'add', 'hdrap0', 'type', 'veth', 'peer', 'name', 'hdrap1', 'netns', CLUSTER_NS]);
    await run('ip', ['-n', HOST_NS, 'addr', 'add', `${HOST_IP}/30`, 'dev', 'hdrap0']);
    await run('ip', ['-n', CLUSTER_NS, 'addr', 'add', '10.214.0.2/30', 'dev', 'hdrap1']);
    for (const [ns, dev] of [[HOST_NS, 'hdrap0'], [CLUSTER_NS, 'hdrap1']] as const) {
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
    const listen = `require('net').createServer((s)=>{s.on('error',()=>{});s.end('SSH-2.0-fake')}).listen(${SSHD_PORT},'0.0.0.0',()=>console.log('listening'));`;
    sshd = spawn('ip', ['netns', 'exec', HOST_NS, process.execPath, '-e', listen], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      sshd!.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve());
      sshd!.once('exit', (code) => reject(new Error(`sshd stand-in in ${HOST_NS} exited with ${code}`)));
    });
  });

  afterAll(async () => {
    sshd?.kill('SIGKILL');
    for (const ns of [HOST_NS, CLUSTER_NS]) await run('ip', ['netns', 'del', ns], { allowFailure: true });
    expect((await run('ip', ['netns', 'list'])).stdout).not.toContain(`hdr-ap-${process.pid}`);
  });

  it('before any table, the tunnel reaches sshd', async () => {
    expect(await tunnelConnects()).toBe('connected');
  });

  it('from the console, the guard refuses a table that admits sshd from the LAN only; the kernel would indeed drop the tunnel', async () => {
    const ctx = context(sshFromLanOnly);
    const err = (() => {
      try {
        firewallGuard(ctx, {});
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).exitCode).toBe(3);
    expect((err as Error).message).toContain(`the tunnel inside the cluster: a new connection from ${CLUSTER_NET} to port ${SSHD_PORT}/tcp is dropped`);
    // What the guard refused, applied where it can do no harm: the kernel cuts the tunnel.
    await applyInHostNamespace(ctx);
    expect(await tunnelConnects()).toBe('timeout');
  });

  it('with the cluster\'s network admitted, the guard passes and the tunnel reaches sshd through the drop policy', async () => {
    const ctx = context([...sshFromLanOnly, { port: SSHD_PORT, proto: 'tcp', from: CLUSTER_NET }]);
    expect(() => firewallGuard(ctx, {})).not.toThrow();
    await applyInHostNamespace(ctx);
    expect((await run('ip', ['netns', 'exec', HOST_NS, 'nft', 'list', 'table', 'inet', TABLE])).stdout).toContain('policy drop;');
    expect(await tunnelConnects()).toBe('connected');
  });
});
