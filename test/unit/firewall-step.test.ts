// The step's decisions that need no nft: where the rules go in each mode, that a rehearsal never
// plans a change to the host, and the guard's exemption for a namespace of our own. Real nft runs in
// test/host/firewall.test.ts.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { HomelabConfig } from '../../src/config/types.js';
import { Ledger } from '../../src/engine/ledger.js';
import { RefusedError } from '../../src/util/errors.js';
import type { Mode, RecoveryContext } from '../../steps/context.js';
import { FIREWALL_NETNS_ENV, desiredFirewall, firewallGuard, firewallStep, firewallTarget } from '../../steps/firewall.js';

function context(mode: Mode, providerName: 'k3d' | 'kwok' = 'k3d'): RecoveryContext {
  const config = {
    cluster: { name: 'homelab', provider: providerName, ports: [{ port: '443:443', nodeFilters: ['loadbalancer'] }, { port: '8443:443', nodeFilters: ['loadbalancer'] }], volumes: [] },
    firewall: { backend: 'nftables', table: 'homelab_dr', defaultInput: 'drop', allow: [{ port: 443, proto: 'tcp' }] },
    access: { sshPort: 22, alternate: [] },
  } as unknown as HomelabConfig;
  return { config, mode, providerName, clusterName: 'homelab', signal: new AbortController().signal, log: pino({ level: 'silent' }) } as unknown as RecoveryContext;
}

describe('where the firewall acts', () => {
  it('hard-reset and verify act on the host; dr-test and drill only rehearse', () => {
    expect(firewallTarget('hard-reset', {})).toEqual({ kind: 'apply', nft: {} });
    expect(firewallTarget('verify', {})).toEqual({ kind: 'apply', nft: {} });
    expect(firewallTarget('dr-test', {})).toEqual({ kind: 'rehearse' });
    expect(firewallTarget('drill', {})).toEqual({ kind: 'rehearse' });
  });

  it(`${FIREWALL_NETNS_ENV} sends every mode into that namespace`, () => {
    for (const mode of ['hard-reset', 'dr-test', 'drill'] as const) {
      expect(firewallTarget(mode, { [FIREWALL_NETNS_ENV]: 'hdr-fw-1' })).toEqual({ kind: 'apply', nft: { netns: 'hdr-fw-1' } });
    }
    expect(firewallTarget('dr-test', { [FIREWALL_NETNS_ENV]: '  ' })).toEqual({ kind: 'rehearse' });
  });
});

describe('desired table of the step', () => {
  it('adds a k3d cluster\'s published host ports (once each), and none for kwok', () => {
    const ports = (ctx: RecoveryContext) => desiredFirewall(ctx).chains[0]!.rules.filter((r) => r.dport).map((r) => `${r.dport} ${r.comment}`);
    expect(ports(context('hard-reset'))).toEqual(['443 homelab-dr: firewall.allow[0]', '8443 homelab-dr: cluster port 8443:443']);
    expect(ports(context('hard-reset', 'kwok'))).toEqual(['443 homelab-dr: firewall.allow[0]']);
  });
});

describe('dr-test without a namespace', () => {
  it('apply changes nothing and records every object as skipped, saying why', async () => {
    const ledger = new Ledger();
    await firewallStep({}).apply!(context('dr-test'), ledger.forStep('firewall'));
    const items = ledger.itemsOf('firewall');
    expect(items.length).toBe(1 + 1 + 5);
    expect(new Set(items.map((i) => i.outcome))).toEqual(new Set(['skipped']));
    expect(items[0]!.error).toBe(`dr-test never changes the host's rules (set ${FIREWALL_NETNS_ENV} to apply in a namespace)`);
  });
});

describe('the lockout guard for the run', () => {
  const ssh = { SSH_CONNECTION: '203.0.113.7 52114 192.168.1.2 22' };

  it('refuses on the host, and in a dr-test rehearsal (it would refuse in the real hard-reset)', () => {
    expect(() => firewallGuard(context('hard-reset'), ssh)).toThrow(RefusedError);
    expect(() => firewallGuard(context('dr-test'), ssh)).toThrow(/from 203\.0\.113\.7 to port 22\/tcp/);
  });

  it('a namespace of our own carries no SSH session', () => {
    expect(() => firewallGuard(context('hard-reset'), { ...ssh, [FIREWALL_NETNS_ENV]: 'hdr-fw-1' })).not.toThrow();
  });

  it('apply on the host refuses before running nft', async () => {
    const ledger = new Ledger();
    await expect(firewallStep(ssh).apply!(context('hard-reset'), ledger.forStep('firewall'))).rejects.toThrow(RefusedError);
    expect(ledger.itemsOf('firewall')).toEqual([]);
  });
});

describe('plan and uses say where the rules go', () => {
  it('host, namespace, rehearsal', async () => {
    const host = firewallStep({});
    expect((await host.plan(context('hard-reset'))).at(-1)).toBe('on the host, refused if it would lock out this SSH session');
    expect((await host.plan(context('dr-test'))).at(-1)).toBe("dr-test: the host's rules stay untouched; the ruleset is rehearsed in a private network namespace");
    expect((await host.uses(context('dr-test'))).map((u) => u.target)).toEqual(['nft', 'unshare']);
    const netns = firewallStep({ [FIREWALL_NETNS_ENV]: 'hdr-fw-1' });
    expect((await netns.plan(context('hard-reset'))).at(-1)).toBe(`in network namespace hdr-fw-1 (${FIREWALL_NETNS_ENV}), not the host`);
    expect((await netns.uses(context('hard-reset'))).map((u) => u.target)).toEqual(['nft', 'ip']);
  });
});

describe('a transaction nft rejects', () => {
  const originalPath = process.env.PATH;
  afterEach(() => {
    process.env.PATH = originalPath;
  });

  // A fake `ip` that serves a captured table for `nft -j list` and fails `nft -f`. The namespace does
  // not exist, so should the fake ever be bypassed, the real ip fails and nothing is touched.
  function fakeIp(): void {
    const dir = mkdtempSync(join(tmpdir(), 'hdr-fake-ip-'));
    const fixture = fileURLToPath(new URL('../fixtures/firewall/tampered.json', import.meta.url));
    writeFileSync(join(dir, 'ip'), [
      '#!/bin/sh',
      'shift 3',
      `case "$*" in *"-j list"*) cat '${fixture}';; *) echo "Error: Could not process rule: No buffer space available" >&2; exit 1;; esac`,
      '',
    ].join('\n'));
    chmodSync(join(dir, 'ip'), 0o755);
    process.env.PATH = `${dir}:${originalPath}`;
  }

  it('fails every change with nft\'s error and keeps what was already in place as unchanged', async () => {
    fakeIp();
    const ctx = context('hard-reset', 'kwok');
    ctx.config.firewall!.allow = [
      { port: 22, proto: 'tcp', from: '192.168.1.0/24' },
      { port: 443, proto: 'tcp' },
      { port: 53, proto: 'udp', from: 'fd00::1' },
      { port: 30000, proto: 'tcp' },
    ];
    const ledger = new Ledger();
    await firewallStep({ [FIREWALL_NETNS_ENV]: 'hdr-fw-does-not-exist' }).apply!(ctx, ledger.forStep('firewall'));
    const items = ledger.itemsOf('firewall');
    expect(items.filter((i) => i.outcome === 'unchanged').map((i) => i.name)).toEqual([
      'inet homelab_dr input: iif lo accept',
      'inet homelab_dr input: ct state established,related accept',
      'inet homelab_dr input: ct state invalid drop',
      'inet homelab_dr input: ip saddr 192.168.1.0/24 tcp dport 22 accept',
      'inet homelab_dr input: ip6 saddr fd00::1 udp dport 53 accept',
    ]);
    const failed = items.filter((i) => i.outcome === 'failed');
    expect(failed.map((i) => `${i.kind}: ${i.name}`)).toEqual([
      'nft table: inet homelab_dr',
      'nft chain: inet homelab_dr chain input (type filter hook input priority 0; policy drop)',
      'nft rule: inet homelab_dr input: tcp dport 443 accept',
      'nft rule: inet homelab_dr input: tcp dport 30000 accept',
      'nft rule: inet homelab_dr input: tcp dport 23 drop',
      'nft rule: inet homelab_dr input: tcp dport 30000-30010 accept',
      expect.stringContaining('nft rule: inet homelab_dr input: tcp dport 8080 [unrecognized'),
      'nft rule: inet homelab_dr input: udp dport 5353 accept',
      'nft chain: inet homelab_dr chain forward (type filter hook forward priority 0; policy accept)',
      expect.stringContaining('nft rule: inet homelab_dr forward: [unrecognized'),
      'nft object: inet homelab_dr set blocked',
    ]);
    for (const item of failed) expect(item.error).toMatch(/ip netns exec hdr-fw-does-not-exist nft -f -: exit 1\nError: Could not process rule: No buffer space available/);
  });
});

describe('verify of a throwaway cluster (issue 17: "verify checks only what belongs to the cluster it checks")', () => {
  it('does not judge the host firewall, which belongs to production, and does not call it a pass', async () => {
    const ctx = { ...context('verify'), clusterName: 'homelab-drtest-2612021200' } as RecoveryContext;
    const v = await firewallStep({}).verify!(ctx);
    expect(v).toEqual({ ok: false, missing: [], stepNotJudged: 'not judged: the host\'s rules belong to production (cluster homelab), not to homelab-drtest-2612021200' });
  });
});

describe('the guard judges the configured access paths, from the console too (issue 11 item 7)', () => {
  it('refuses a table that cuts the tunnel inside the cluster, with no SSH session at all', () => {
    const ctx = context('hard-reset');
    ctx.config.firewall!.allow = [{ port: 22, proto: 'tcp', from: '192.168.1.0/24' }];
    (ctx.config as { access: HomelabConfig['access'] }).access = { sshPort: 22, tunnel: { from: ['172.18.0.0/16'] }, alternate: [] };
    expect(() => firewallGuard(ctx, {})).toThrow(/would cut 1 configured access path to host sshd: the tunnel inside the cluster/);
    ctx.config.firewall!.allow.push({ port: 22, proto: 'tcp', from: '172.18.0.0/16' });
    expect(() => firewallGuard(ctx, {})).not.toThrow();
  });
});

describe('plan names the access paths the guard judges', () => {
  it('this session only, or every configured route', async () => {
    const ctx = context('hard-reset');
    expect((await firewallStep({}).plan(ctx)).at(-2)).toBe('access paths judged by the guard: this SSH session only (set access.tunnel.from and access.alternate[].from to judge the others)');
    (ctx.config as { access: HomelabConfig['access'] }).access = { sshPort: 22, tunnel: { from: ['172.18.0.0/16'] }, alternate: [{ name: 'tailscale', check: 'true', from: '100.64.0.0/10' }] };
    expect((await firewallStep({}).plan(ctx)).at(-2)).toBe('access paths judged by the guard, from the console too: the tunnel inside the cluster from 172.18.0.0/16 to port 22/tcp; alternate access tailscale from 100.64.0.0/10 to port 22/tcp');
  });
});
