import { describe, expect, it } from 'vitest';
import type { FirewallConfig } from '../../src/config/types.js';
import { describeRule } from '../../src/firewall/model.js';
import { publishedPorts } from '../../src/firewall/published-ports.js';
import { desiredTable, renderScript } from '../../src/firewall/ruleset.js';
import { InputError } from '../../src/util/errors.js';

const config: FirewallConfig = {
  backend: 'nftables',
  table: 'homelab_dr',
  defaultInput: 'drop',
  allow: [
    { port: 22, proto: 'tcp', from: '192.168.1.7/24' },
    { port: 443, proto: 'tcp' },
    { port: 53, proto: 'udp', from: 'fd00:0::1' },
  ],
};

describe('desired table', () => {
  it('loopback, established, invalid, then the allow list, then published ports', () => {
    const table = desiredTable(config, [{ proto: 'tcp', dport: '30000-30010', spec: '30000-30010:30000-30010' }]);
    expect(table.chains).toHaveLength(1);
    const [input] = table.chains;
    expect(input).toMatchObject({ name: 'input', type: 'filter', hook: 'input', priority: 0, policy: 'drop' });
    expect(input!.rules.map(describeRule)).toEqual([
      'iif lo accept',
      'ct state established,related accept',
      'ct state invalid drop',
      'ip saddr 192.168.1.0/24 tcp dport 22 accept',
      'tcp dport 443 accept',
      'ip6 saddr fd00::1 udp dport 53 accept',
      'tcp dport 30000-30010 accept',
    ]);
  });

  it('a published port equal to an allow rule appears once, with the config comment', () => {
    const table = desiredTable(config, [{ proto: 'tcp', dport: '443', spec: '443:443' }]);
    const https = table.chains[0]!.rules.filter((r) => r.dport === '443');
    expect(https).toEqual([{ proto: 'tcp', dport: '443', verdict: 'accept', comment: 'homelab-dr: firewall.allow[1]' }]);
  });

  it('policy accept is carried through', () => {
    expect(desiredTable({ ...config, defaultInput: 'accept' }).chains[0]!.policy).toBe('accept');
  });

  it('refuses a table name nft would misread, and a bad CIDR with its field', () => {
    expect(() => desiredTable({ ...config, table: 'x; flush ruleset' })).toThrow(InputError);
    expect(() => desiredTable({ ...config, allow: [{ port: 22, proto: 'tcp', from: '10.0.0.0/40' }] })).toThrow(/firewall\.allow\[0\]\.from/);
  });
});

describe('nft -f script', () => {
  const script = renderScript(desiredTable(config));
  const lines = script.trim().split('\n');

  it('declares, deletes and re-adds only our table, in one file (one transaction)', () => {
    expect(lines.slice(0, 3)).toEqual(['table inet homelab_dr {}', 'delete table inet homelab_dr', 'table inet homelab_dr {']);
    expect(lines.filter((l) => /^(table|delete|flush|add|insert)\b/.test(l))).toEqual([
      'table inet homelab_dr {}',
      'delete table inet homelab_dr',
      'table inet homelab_dr {',
    ]);
    expect(script).not.toMatch(/flush ruleset/);
  });

  it('the chain head and every rule with a homelab-dr comment', () => {
    expect(lines).toContain('    type filter hook input priority 0; policy drop;');
    const rules = lines.filter((l) => /\b(accept|drop)\b/.test(l) && !l.includes('policy'));
    expect(rules).toHaveLength(6);
    for (const rule of rules) expect(rule).toMatch(/ comment "homelab-dr: [^"]+"$/);
    expect(lines).toContain('    ip saddr 192.168.1.0/24 tcp dport 22 accept comment "homelab-dr: firewall.allow[0]"');
    expect(lines).toContain('    ip6 saddr fd00::1 udp dport 53 accept comment "homelab-dr: firewall.allow[2]"');
  });
});

describe('published ports of the cluster', () => {
  it('host ports of k3d specs become allow entries; the rest are explained', () => {
    const result = publishedPorts([
      { port: '443:443' },
      { port: '8080:80/udp' },
      { port: '0.0.0.0:6550:6443' },
      { port: '30000-30010:30000-30010' },
      { port: '127.0.0.1:6443:6443' },
      { port: '[::1]:9000:9000' },
      { port: '80' },
      { port: '9999:99/sctp' },
      { port: 'myhost:81:80' },
      { port: '70000:80' },
    ]);
    expect(result.ports).toEqual([
      { proto: 'tcp', dport: '443', spec: '443:443' },
      { proto: 'udp', dport: '8080', spec: '8080:80/udp' },
      { proto: 'tcp', dport: '6550', spec: '0.0.0.0:6550:6443' },
      { proto: 'tcp', dport: '30000-30010', spec: '30000-30010:30000-30010' },
    ]);
    expect(result.notes).toEqual([
      'cluster port 127.0.0.1:6443:6443: bound to loopback, admitted by the loopback rule',
      'cluster port [::1]:9000:9000: bound to loopback, admitted by the loopback rule',
      'cluster port 80: no host port given (Docker picks one at random), so no rule can admit it',
      'cluster port 9999:99/sctp: protocol sctp is not handled by the firewall step; add a rule by hand',
      'cluster port myhost:81:80: host "myhost" is not an IP address',
      'cluster port 70000:80: host port "70000" is not a port or range',
    ]);
  });
});
