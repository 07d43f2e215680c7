// The firewall step against the real kernel, in two network namespaces of the test's own joined by a
// veth pair (10.213.0.1/30 server, 10.213.0.2/30 client). The host's rules and interfaces are never
// touched: the veth is created inside the server namespace and its peer moved straight into the
// client's. Both namespaces are deleted in afterAll, which vitest runs even when a test fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FirewallConfig, HomelabConfig } from '../../src/config/types.js';
import { Ledger } from '../../src/engine/ledger.js';
import { runSteps } from '../../src/engine/runner.js';
import { run } from '../../src/util/exec.js';
import type { Mode, RecoveryContext } from '../../steps/context.js';
import { FIREWALL_NETNS_ENV, firewallStep } from '../../steps/firewall.js';
import { listSemanticRuleset } from './nft-semantic.js';

const SERVER_NS = `hdr-fw-${process.pid}`;
const CLIENT_NS = `hdr-fwc-${process.pid}`;
const SERVER_IP = '10.213.0.1';
const CLIENT_IP = '10.213.0.2';
const TABLE = 'hdr_fw_test';
const [PORT_A, PORT_B, PORT_CLOSED] = [8080, 9090, 7070];

async function skipReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root: creating network namespaces needs CAP_SYS_ADMIN';
  const ip = await run('ip', ['netns', 'list'], { allowFailure: true }).catch((e: Error) => e);
  if (ip instanceof Error || ip.code !== 0) return `ip netns is unavailable (${ip instanceof Error ? ip.message : ip.stderr.trim()})`;
  return undefined;
}
const reason = await skipReason();
if (reason) console.warn(`\n*** SKIPPING test/host/firewall.test.ts: ${reason} ***\n`);

function fwConfig(defaultInput: 'drop' | 'accept', allow: FirewallConfig['allow']): FirewallConfig {
  return { backend: 'nftables', table: TABLE, defaultInput, allow };
}

function context(firewall: FirewallConfig, mode: Mode = 'hard-reset'): RecoveryContext {
  const config = { cluster: { name: 'homelab', provider: 'kwok', ports: [] }, firewall, access: { sshPort: 22, alternate: [] } } as unknown as HomelabConfig;
  return { config, mode, providerName: 'kwok', clusterName: 'homelab', signal: new AbortController().signal, log: pino({ level: 'silent' }) } as unknown as RecoveryContext;
}

const inNetns = firewallStep({ [FIREWALL_NETNS_ENV]: SERVER_NS });

async function applyAndCount(firewall: FirewallConfig): Promise<Ledger> {
  const ledger = new Ledger();
  await inNetns.apply!(context(firewall), ledger.forStep('firewall'));
  return ledger;
}

function outcomesOf(ledger: Ledger, kind: string): Record<string, string> {
  return Object.fromEntries(ledger.itemsOf('firewall').filter((i) => i.kind === kind).map((i) => [i.name.replace(`inet ${TABLE} `, ''), i.outcome]));
}

const nftInServer = (...args: string[]) => run('ip', ['netns', 'exec', SERVER_NS, 'nft', ...args]);

/** A TCP connect from the client namespace: "connected", "timeout" (dropped) or an errno such as ECONNREFUSED. */
async function connectFromClient(port: number): Promise<string> {
  const script = `const s=require('net').connect({host:'${SERVER_IP}',port:${port}});s.setTimeout(1500);` +
    `s.on('connect',()=>{console.log('connected');s.destroy()});s.on('timeout',()=>{console.log('timeout');s.destroy()});` +
    `s.on('error',(e)=>console.log(e.code));`;
  const result = await run('ip', ['netns', 'exec', CLIENT_NS, process.execPath, '-e', script], { timeoutMs: 10_000 });
  return result.stdout.trim();
}

describe.skipIf(reason !== undefined)('firewall step with real nft in a network namespace', () => {
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    await run('ip', ['netns', 'add', SERVER_NS]);
    await run('ip', ['netns', 'add', CLIENT_NS]);
    await run('ip', ['-n', SERVER_NS, 'link', 'add', 'hdrfw0', 'type', 'veth', 'peer', 'name', 'hdrfw1', 'netns', CLIENT_NS]);
    await run('ip', ['-n', SERVER_NS, 'addr', 'add', `${SERVER_IP}/30`, 'dev', 'hdrfw0']);
    await run('ip', ['-n', CLIENT_NS, 'addr', 'add', `${CLIENT_IP}/30`, 'dev', 'hdrfw1']);
    for (const [ns, dev] of [[SERVER_NS, 'hdrfw0'], [CLIENT_NS, 'hdrfw1']] as const) {
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
    // A table that is not ours: every apply must leave it exactly as it is.
    await nftInServer('add', 'table', 'inet', 'someone_else');
    await nftInServer('add', 'chain', 'inet', 'someone_else', 'out', '{ type filter hook output priority 0; policy accept; }');
    await nftInServer('add', 'rule', 'inet', 'someone_else', 'out', 'tcp', 'dport', '25', 'drop');

    const listen = `const net=require('net');let n=0;for(const p of [${PORT_A},${PORT_B}])` +
      `net.createServer((s)=>{s.on('error',()=>{});s.end('hi')}).listen(p,'0.0.0.0',()=>{if(++n===2)console.log('listening')});`;
    server = spawn('ip', ['netns', 'exec', SERVER_NS, process.execPath, '-e', listen], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve());
      server!.once('exit', (code) => reject(new Error(`server in ${SERVER_NS} exited with ${code}`)));
    });
  });

  afterAll(async () => {
    server?.kill('SIGKILL');
    for (const ns of [SERVER_NS, CLIENT_NS]) await run('ip', ['netns', 'del', ns], { allowFailure: true });
    const left = await run('ip', ['netns', 'list']);
    expect(left.stdout).not.toContain(`hdr-fw-${process.pid}`);
  });

  const first = fwConfig('drop', [{ port: PORT_A, proto: 'tcp', from: `${CLIENT_IP}/32` }, { port: PORT_CLOSED, proto: 'tcp' }]);

  it('before: the network is open (no table yet) and verify says the table is missing', async () => {
    expect(await connectFromClient(PORT_B)).toBe('connected');
    const result = await inNetns.verify!(context(first));
    expect(result).toEqual({ ok: false, missing: [`table inet ${TABLE} does not exist (1 chain(s) and 5 rules are missing)`] });
  });

  it('apply creates the table, every item counted as created, and verify reads it back equal', async () => {
    const ledger = await applyAndCount(first);
    expect(ledger.counts('firewall')).toMatchObject({ created: 7, failed: 0 });
    expect(outcomesOf(ledger, 'nft rule')).toEqual({
      'input: iif lo accept': 'created',
      'input: ct state established,related accept': 'created',
      'input: ct state invalid drop': 'created',
      [`input: ip saddr ${CLIENT_IP} tcp dport ${PORT_A} accept`]: 'created',
      [`input: tcp dport ${PORT_CLOSED} accept`]: 'created',
    });
    expect(await inNetns.verify!(context(first))).toEqual({ ok: true, missing: [] });
    const listing = (await nftInServer('list', 'table', 'inet', TABLE)).stdout;
    expect(listing).toContain('policy drop;');
    expect(listing.match(/comment "homelab-dr: /g)).toHaveLength(5);
  });

  it('a real connection: accepted on the allowed port, dropped on the blocked one, refused where allowed but closed', async () => {
    expect(await connectFromClient(PORT_A)).toBe('connected');
    expect(await connectFromClient(PORT_B)).toBe('timeout');
    expect(await connectFromClient(PORT_CLOSED)).toBe('ECONNREFUSED');
  });

  it('re-apply: every item unchanged, and no transaction ran (rule handles are the same)', async () => {
    const handlesBefore = (await nftInServer('-a', 'list', 'table', 'inet', TABLE)).stdout;
    const ledger = await applyAndCount(first);
    expect(ledger.counts('firewall')).toMatchObject({ unchanged: 7, created: 0, configured: 0, deleted: 0, failed: 0 });
    expect((await nftInServer('-a', 'list', 'table', 'inet', TABLE)).stdout).toBe(handlesBefore);
  });

  it('a change: table configured, the old rule deleted, new ones created, the rest unchanged; traffic follows', async () => {
    const second = fwConfig('drop', [{ port: PORT_A, proto: 'tcp', from: '10.99.0.0/24' }, { port: PORT_CLOSED, proto: 'tcp' }, { port: PORT_B, proto: 'tcp' }]);
    expect((await inNetns.verify!(context(second))).missing).toEqual([
      `missing rule in chain input: ip saddr 10.99.0.0/24 tcp dport ${PORT_A} accept`,
      `missing rule in chain input: tcp dport ${PORT_B} accept`,
      `unexpected rule in chain input: ip saddr ${CLIENT_IP} tcp dport ${PORT_A} accept (comment "homelab-dr: firewall.allow[0]")`,
    ]);
    const ledger = await applyAndCount(second);
    expect(outcomesOf(ledger, 'nft table')).toEqual({ [`inet ${TABLE}`]: 'configured' });
    expect(ledger.counts('firewall')).toMatchObject({ configured: 1, unchanged: 5, created: 2, deleted: 1, failed: 0 });
    expect(outcomesOf(ledger, 'nft rule')).toMatchObject({
      [`input: ip saddr ${CLIENT_IP} tcp dport ${PORT_A} accept`]: 'deleted',
      [`input: ip saddr 10.99.0.0/24 tcp dport ${PORT_A} accept`]: 'created',
      [`input: tcp dport ${PORT_B} accept`]: 'created',
    });
    expect(await inNetns.verify!(context(second))).toEqual({ ok: true, missing: [] });
    expect(await connectFromClient(PORT_A)).toBe('timeout');
    expect(await connectFromClient(PORT_B)).toBe('connected');
  });

  it('a policy change is configured on the chain and opens the blocked port', async () => {
    const open = fwConfig('accept', [{ port: PORT_CLOSED, proto: 'tcp' }]);
    expect((await inNetns.verify!(context(open))).missing).toContain('chain input: policy is drop, want accept');
    const ledger = await applyAndCount(open);
    expect(outcomesOf(ledger, 'nft chain')).toEqual({ 'chain input (type filter hook input priority 0; policy accept)': 'configured' });
    expect(await connectFromClient(PORT_A)).toBe('connected');
  });

  it('hand edits inside our table are found by verify and undone by apply, through the runner', async () => {
    await nftInServer('add', 'rule', 'inet', TABLE, 'input', 'tcp', 'dport', '5555', 'counter', 'accept');
    await nftInServer('add', 'set', 'inet', TABLE, 'blocked', '{ type ipv4_addr; }');
    const ctx = context(first);
    const ledger = new Ledger();
    const outcome = await runSteps({ steps: [{ ...inNetns, needs: [] }], ctx, ledger });
    expect(outcome.states.get('firewall')?.status).toBe('applied');
    expect(outcome.exitCode).toBe(0);
    expect(ledger.itemsOf('firewall').filter((i) => i.outcome === 'deleted').map((i) => i.name)).toEqual([
      `inet ${TABLE} input: tcp dport 5555 [unrecognized: [{"counter":{"packets":0,"bytes":0}}]] accept`,
      `inet ${TABLE} set blocked`,
    ]);
    const again = await runSteps({ steps: [{ ...inNetns, needs: [] }], ctx, ledger: new Ledger() });
    expect(again.states.get('firewall')?.status).toBe('unchanged');
  });

  it('nothing outside our table was touched', async () => {
    const other = (await nftInServer('list', 'table', 'inet', 'someone_else')).stdout;
    expect(other).toMatch(/chain out \{\s+type filter hook output priority filter; policy accept;\s+tcp dport 25 drop\s+\}/);
    const tables = (await nftInServer('list', 'tables')).stdout.trim().split('\n').sort();
    expect(tables).toEqual([`table inet ${TABLE}`, 'table inet someone_else']);
  });

  it('dr-test without a namespace rehearses in a private namespace and leaves the host ruleset as it was', async () => {
    // Compared as nft -j JSON, normalised (nft-semantic.ts): a running dockerd's iptables-nft tables
    // list differently from one call to the next in text form, with nothing changed.
    const hostBefore = await listSemanticRuleset({ except: [`inet ${TABLE}`] });
    const rehearsal = firewallStep({});
    expect(await rehearsal.verify!(context(first, 'dr-test'))).toEqual({ ok: true, missing: [] });
    expect(await listSemanticRuleset({ except: [`inet ${TABLE}`] })).toEqual(hostBefore);
    expect((await run('nft', ['list', 'tables'])).stdout).not.toContain(TABLE);
  });

  it('the host comparison ignores what iptables-nft rules change on their own, and sees a real change', async () => {
    // What dockerd adds, made here in the client namespace: a commented rule with a counter.
    const iptables = (...args: string[]) => run('ip', ['netns', 'exec', CLIENT_NS, 'iptables-nft', ...args]);
    await iptables('-A', 'OUTPUT', '-p', 'tcp', '--dport', String(PORT_B), '-m', 'comment', '--comment', 'like docker', '-j', 'ACCEPT');
    const before = await listSemanticRuleset({ netns: CLIENT_NS });
    expect(JSON.stringify(before)).toContain('"name":"comment"');
    const countedBefore = (await run('ip', ['netns', 'exec', CLIENT_NS, 'nft', 'list', 'ruleset'])).stdout;
    await connectFromClient(PORT_B);
    expect((await run('ip', ['netns', 'exec', CLIENT_NS, 'nft', 'list', 'ruleset'])).stdout).not.toBe(countedBefore);
    expect(await listSemanticRuleset({ netns: CLIENT_NS })).toEqual(before);
    await iptables('-A', 'OUTPUT', '-p', 'tcp', '--dport', String(PORT_A), '-j', 'DROP');
    expect(await listSemanticRuleset({ netns: CLIENT_NS })).not.toEqual(before);
  });

  it('the dr-test rehearsal reports what the real hard-reset would refuse: an SSH lockout', async () => {
    const rehearsal = firewallStep({ SSH_CONNECTION: '203.0.113.7 52114 10.0.0.1 22' });
    const result = await rehearsal.verify!(context(first, 'dr-test'));
    expect(result.ok).toBe(false);
    expect(result.missing).toHaveLength(1);
    expect(result.missing[0]).toMatch(/would lock out this SSH session: a new connection from 203\.0\.113\.7 to port 22\/tcp is dropped/);
  });

  it('a namespace that does not exist fails loudly, naming it', async () => {
    const missing = firewallStep({ [FIREWALL_NETNS_ENV]: `${SERVER_NS}-absent` });
    await expect(missing.verify!(context(first))).rejects.toThrow(/Cannot open network namespace "hdr-fw-\d+-absent"/);
  });
});
