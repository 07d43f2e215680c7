import { describe, expect, it } from 'vitest';
import type { FirewallConfig } from '../../src/config/types.js';
import { assertAccessRoutesKept, assertNoSelfLockout, parseSshConnection, routeVerdict, sessionVerdict } from '../../src/firewall/lockout.js';
import { accessRoutes } from '../../src/safety/access-path.js';
import { desiredTable } from '../../src/firewall/ruleset.js';
import { RefusedError } from '../../src/util/errors.js';

const fw = (defaultInput: 'drop' | 'accept', allow: FirewallConfig['allow']): FirewallConfig => ({ backend: 'nftables', table: 'homelab_dr', defaultInput, allow });
const refusal = (config: FirewallConfig, ssh: string | undefined, published = [] as Parameters<typeof desiredTable>[1]): RefusedError | undefined => {
  try {
    assertNoSelfLockout(desiredTable(config, published), ssh);
    return undefined;
  } catch (err) {
    if (err instanceof RefusedError) return err;
    throw err;
  }
};

describe('SSH_CONNECTION', () => {
  it('reads client, server and server port; rejects other shapes', () => {
    const session = parseSshConnection('192.168.1.20 52114 192.168.1.2 22');
    expect(session?.serverPort).toBe(22);
    expect(parseSshConnection('fe80::5%eth0 52114 fe80::1%eth0 2222')?.serverPort).toBe(2222);
    expect(parseSshConnection('192.168.1.20 52114 192.168.1.2')).toBeUndefined();
    expect(parseSshConnection('host 1 2.2.2.2 22')).toBeUndefined();
    expect(parseSshConnection('1.1.1.1 x 2.2.2.2 22')).toBeUndefined();
  });
});

describe('self-lockout guard', () => {
  const ssh = '203.0.113.7 52114 192.168.1.2 22';

  it('refuses drop with no rule for the client, naming address, port and the fix', () => {
    const err = refusal(fw('drop', [{ port: 443, proto: 'tcp' }]), ssh);
    expect(err).toBeInstanceOf(RefusedError);
    expect(err!.exitCode).toBe(3);
    expect(err!.message).toContain('table inet homelab_dr');
    expect(err!.message).toContain('from 203.0.113.7 to port 22/tcp');
    expect(err!.message).toContain('input policy is drop');
    expect(err!.details[0]).toBe('allow it in the config: firewall.allow: - { port: 22, proto: tcp, from: 203.0.113.7 } (or the client\'s network, e.g. a /24)');
  });

  it('refuses when the SSH port is allowed only from another network, or only for udp, or another port', () => {
    expect(refusal(fw('drop', [{ port: 22, proto: 'tcp', from: '192.168.1.0/24' }]), ssh)).toBeInstanceOf(RefusedError);
    expect(refusal(fw('drop', [{ port: 22, proto: 'udp' }]), ssh)).toBeInstanceOf(RefusedError);
    expect(refusal(fw('drop', [{ port: 2222, proto: 'tcp' }]), ssh)).toBeInstanceOf(RefusedError);
    expect(refusal(fw('drop', [{ port: 22, proto: 'tcp', from: 'fd00::/8' }]), ssh)).toBeInstanceOf(RefusedError);
  });

  it('accepts when a rule admits the client: any source, its network, its exact address', () => {
    expect(refusal(fw('drop', [{ port: 22, proto: 'tcp' }]), ssh)).toBeUndefined();
    expect(refusal(fw('drop', [{ port: 22, proto: 'tcp', from: '203.0.113.0/24' }]), ssh)).toBeUndefined();
    expect(refusal(fw('drop', [{ port: 22, proto: 'tcp', from: '203.0.113.7' }]), ssh)).toBeUndefined();
  });

  it('a published port range that covers the SSH port admits it', () => {
    expect(refusal(fw('drop', []), '203.0.113.7 5 192.168.1.2 30005', [{ proto: 'tcp', dport: '30000-30010', spec: '30000-30010:30000-30010' }])).toBeUndefined();
    expect(refusal(fw('drop', []), '203.0.113.7 5 192.168.1.2 30011', [{ proto: 'tcp', dport: '30000-30010', spec: '30000-30010:30000-30010' }])).toBeInstanceOf(RefusedError);
  });

  it('IPv6 and IPv4-mapped clients are matched in their own family', () => {
    expect(refusal(fw('drop', [{ port: 22, proto: 'tcp', from: 'fd00::/8' }]), 'fd00::20 5 fd00::1 22')).toBeUndefined();
    expect(refusal(fw('drop', [{ port: 22, proto: 'tcp', from: '192.168.1.0/24' }]), '::ffff:192.168.1.20 5 ::ffff:192.168.1.2 22')).toBeUndefined();
  });

  it('loopback sessions (a tunnel ending on this host) come in over lo and are admitted by the loopback rule', () => {
    expect(refusal(fw('drop', []), '127.0.0.1 40000 127.0.0.1 22')).toBeUndefined();
    expect(refusal(fw('drop', []), '192.168.1.2 40000 192.168.1.2 22')).toBeUndefined();
    expect(refusal(fw('drop', []), '::1 40000 ::1 22')).toBeUndefined();
  });

  it('policy accept, or no SSH session at all, needs nothing', () => {
    expect(refusal(fw('accept', []), ssh)).toBeUndefined();
    expect(refusal(fw('drop', []), undefined)).toBeUndefined();
    expect(refusal(fw('drop', []), '')).toBeUndefined();
  });

  it('an unreadable SSH_CONNECTION refuses a drop policy (the guard cannot judge) but not accept', () => {
    expect(refusal(fw('drop', [{ port: 22, proto: 'tcp' }]), 'garbage')?.message).toMatch(/SSH_CONNECTION is set but unreadable/);
    expect(refusal(fw('accept', []), 'garbage')).toBeUndefined();
  });

  it('the first matching rule decides, as in nft: the invalid-drop rule does not catch a new connection', () => {
    const table = desiredTable(fw('drop', [{ port: 22, proto: 'tcp' }]));
    const session = parseSshConnection(ssh)!;
    expect(sessionVerdict(table, session)).toMatchObject({ verdict: 'accept', by: { proto: 'tcp', dport: '22' } });
    table.chains[0]!.rules.splice(0, 0, { proto: 'tcp', dport: '22', verdict: 'drop' });
    expect(sessionVerdict(table, session)).toMatchObject({ verdict: 'drop', by: { verdict: 'drop' } });
    expect(() => assertNoSelfLockout(table, ssh)).toThrow(/rule "tcp dport 22 drop" gives it drop/);
  });
});

describe('configured access paths (issue 11 item 7): judged from the console too', () => {
  const access = (tunnel: string[] | undefined, alternate: Array<{ name: string; check: string; from?: string }> = []) =>
    accessRoutes({ sshPort: 22, ...(tunnel ? { tunnel: { from: tunnel } } : {}), alternate });
  const cut = (config: FirewallConfig, routes: ReturnType<typeof access>): string | undefined => {
    try {
      assertAccessRoutesKept(desiredTable(config), routes);
      return undefined;
    } catch (err) {
      if (err instanceof RefusedError) return [err.message, ...err.details].join('\n');
      throw err;
    }
  };
  const lanOnly = fw('drop', [{ port: 22, proto: 'tcp', from: '192.168.1.0/24' }]);

  it('a drop policy that admits sshd only from the LAN cuts the tunnel that comes from the cluster\'s Docker network', () => {
    expect(cut(lanOnly, access(['172.18.0.0/16']))).toBe([
      'refusing to apply table inet homelab_dr: it would cut 1 configured access path to host sshd: the tunnel inside the cluster: a new connection from 172.18.0.0/16 to port 22/tcp is dropped (no rule admits it and the input policy is drop)',
      'allow it in the config: firewall.allow: - { port: 22, proto: tcp, from: 172.18.0.0/16 } (access.tunnel.from[0])',
      'or correct the access section if that path no longer comes from there',
    ].join('\n'));
  });

  it('admitting the network (or a wider prefix, or sshd from anywhere) keeps it; an accept policy keeps everything', () => {
    expect(cut(fw('drop', [...lanOnly.allow, { port: 22, proto: 'tcp', from: '172.18.0.0/16' }]), access(['172.18.0.0/16']))).toBeUndefined();
    expect(cut(fw('drop', [{ port: 22, proto: 'tcp', from: '172.16.0.0/12' }]), access(['172.18.0.0/16']))).toBeUndefined();
    expect(cut(fw('drop', [{ port: 22, proto: 'tcp' }]), access(['172.18.0.0/16']))).toBeUndefined();
    expect(cut(fw('accept', []), access(['172.18.0.0/16']))).toBeUndefined();
  });

  it('admitting only part of the network still cuts the rest of it', () => {
    expect(cut(fw('drop', [{ port: 22, proto: 'tcp', from: '172.18.0.0/24' }]), access(['172.18.0.0/16']))).toMatch(/172\.18\.0\.0\/16 to port 22\/tcp is dropped \(no rule admits all of it and the input policy is drop\)/);
  });

  it('another port, another protocol or a loopback-only rule admits nothing of it', () => {
    expect(cut(fw('drop', [{ port: 2222, proto: 'tcp' }, { port: 22, proto: 'udp' }]), access(['10.42.0.5']))).toMatch(/10\.42\.0\.5 to port 22\/tcp is dropped/);
  });

  it('alternates that say where they come from are judged, each named; the rest are not routes', () => {
    const routes = access(['172.18.0.0/16'], [{ name: 'tailscale', check: 'true', from: '100.64.0.0/10' }, { name: 'console', check: 'true' }]);
    expect(routes.map((r) => r.name)).toEqual(['the tunnel inside the cluster', 'alternate access tailscale']);
    expect(cut(lanOnly, routes)).toMatch(/it would cut 2 configured access paths to host sshd: .*; alternate access tailscale: a new connection from 100\.64\.0\.0\/10 to port 22\/tcp is dropped/);
  });

  it('a configured sshd port is the one judged', () => {
    const routes = accessRoutes({ sshPort: 2222, tunnel: { from: ['172.18.0.0/16'] }, alternate: [] });
    expect(cut(fw('drop', [{ port: 22, proto: 'tcp' }]), routes)).toMatch(/to port 2222\/tcp is dropped/);
    expect(routeVerdict(desiredTable(fw('drop', [{ port: 2222, proto: 'tcp' }])), routes[0]!).verdict).toBe('accept');
  });
});
