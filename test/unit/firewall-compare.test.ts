// Fixtures are real `nft -j` output captured from a network namespace (nftables 1.0.6): the desired
// table applied, the same table tampered with by hand, reordered, and a whole three-table ruleset.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FirewallConfig } from '../../src/config/types.js';
import { tableChanges, tableDifferences } from '../../src/firewall/compare.js';
import { describeRule } from '../../src/firewall/model.js';
import { parseNftTable, parseRule } from '../../src/firewall/parse.js';
import { desiredTable } from '../../src/firewall/ruleset.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/firewall/${name}.json`, import.meta.url), 'utf8');

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
const desired = desiredTable(config, [{ proto: 'tcp', dport: '30000-30010', spec: '30000-30010:30000-30010' }]);

describe('parsing nft -j output', () => {
  it('the applied table reads back as the desired one, comments included', () => {
    const live = parseNftTable(fixture('applied'), 'inet', 'homelab_dr');
    expect(live).toEqual(desired);
  });

  it('picks our table out of a whole ruleset and ignores the others', () => {
    const live = parseNftTable(fixture('ruleset-three-tables'), 'inet', 'homelab_dr');
    expect(live?.chains.map((c) => c.name)).toEqual(['input', 'forward']);
    expect(live?.otherObjects).toEqual(['set blocked']);
    expect(parseNftTable(fixture('ruleset-three-tables'), 'inet', 'absent_table')).toBeNull();
  });

  it('nft spellings of addresses (host bits cleared, /32 dropped, IPv6 compressed) become canonical', () => {
    const live = parseNftTable(fixture('address-spellings'), 'inet', 'hdr_probe2');
    expect(live!.chains[0]!.rules.map((r) => r.saddr)).toEqual(['192.168.1.0/24', '192.168.1.5', 'fd00::1', '2001:db8::/64', '0.0.0.0/0']);
  });

  it('expressions the model does not know are kept, so the rule cannot pass for a desired one', () => {
    const rule = parseRule([
      { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 8080 } },
      { counter: { packets: 0, bytes: 0 } },
      { accept: null },
    ]);
    expect(rule).toMatchObject({ proto: 'tcp', dport: '8080', verdict: 'accept' });
    expect(rule.unrecognized).toBe('[{"counter":{"packets":0,"bytes":0}}]');
    expect(describeRule(rule)).toBe('tcp dport 8080 [unrecognized: [{"counter":{"packets":0,"bytes":0}}]] accept');
  });

  it('a second match on the same field, a jump, and a rule without verdict', () => {
    const dport = (n: number) => ({ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: n } });
    expect(parseRule([dport(1), dport(2), { accept: null }]).unrecognized).toBeDefined();
    expect(parseRule([dport(1), { jump: { target: 'ssh_in' } }]).verdict).toBe('jump ssh_in');
    expect(parseRule([dport(1)]).verdict).toBe('(no verdict)');
    expect(parseRule([{ match: { op: '!=', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 1 } }, { drop: null }]).unrecognized).toBeDefined();
  });

  it('fails loudly on output that is not nft JSON', () => {
    expect(() => parseNftTable('Error: something', 'inet', 'x')).toThrow(/not JSON/);
    expect(() => parseNftTable('{"rules": []}', 'inet', 'x')).toThrow(/no "nftables" array/);
  });
});

describe('semantic comparison', () => {
  it('equal tables: no differences, every object unchanged', () => {
    const live = parseNftTable(fixture('applied'), 'inet', 'homelab_dr');
    expect(tableDifferences(desired, live)).toEqual([]);
    const changes = tableChanges(desired, live);
    expect(changes).toHaveLength(1 + 1 + 7);
    expect(changes.every((c) => c.outcome === 'unchanged')).toBe(true);
  });

  it('comments are not semantics: a rule with another comment still matches', () => {
    const live = parseNftTable(fixture('applied'), 'inet', 'homelab_dr')!;
    live.chains[0]!.rules = live.chains[0]!.rules.map((r) => ({ ...r, comment: 'renamed' }));
    expect(tableDifferences(desired, live)).toEqual([]);
  });

  it('an absent table: one line, and everything created', () => {
    expect(tableDifferences(desired, null)).toEqual(['table inet homelab_dr does not exist (1 chain(s) and 7 rules are missing)']);
    const changes = tableChanges(desired, null);
    expect(new Set(changes.map((c) => c.outcome))).toEqual(new Set(['created']));
    expect(changes.filter((c) => c.kind === 'nft rule')).toHaveLength(7);
  });

  it('a tampered table: policy, missing and unexpected rules, extra chain and set, each named', () => {
    const live = parseNftTable(fixture('tampered'), 'inet', 'homelab_dr');
    expect(tableDifferences(desired, live)).toEqual([
      'chain input: policy is accept, want drop',
      'missing rule in chain input: tcp dport 443 accept',
      'unexpected rule in chain input: tcp dport 23 drop',
      'unexpected rule in chain input: tcp dport 8080 [unrecognized: [{"counter":{"packets":0,"bytes":0}}]] accept (comment "added by hand")',
      'unexpected rule in chain input: udp dport 5353 accept',
      'unexpected chain forward in table inet homelab_dr, with 1 rules',
      'unexpected set blocked in table inet homelab_dr',
    ]);
  });

  it('a tampered table: the ledger outcome of each object', () => {
    const changes = tableChanges(desired, parseNftTable(fixture('tampered'), 'inet', 'homelab_dr'));
    const byOutcome = (o: string) => changes.filter((c) => c.outcome === o).map((c) => `${c.kind}: ${c.name}`);
    expect(byOutcome('configured')).toEqual([
      'nft table: inet homelab_dr',
      'nft chain: inet homelab_dr chain input (type filter hook input priority 0; policy drop)',
    ]);
    expect(byOutcome('created')).toEqual(['nft rule: inet homelab_dr input: tcp dport 443 accept']);
    expect(byOutcome('unchanged')).toHaveLength(6);
    expect(byOutcome('deleted')).toEqual([
      'nft rule: inet homelab_dr input: tcp dport 23 drop',
      'nft rule: inet homelab_dr input: tcp dport 8080 [unrecognized: [{"counter":{"packets":0,"bytes":0}}]] accept',
      'nft rule: inet homelab_dr input: udp dport 5353 accept',
      'nft chain: inet homelab_dr chain forward (type filter hook forward priority 0; policy accept)',
      'nft rule: inet homelab_dr forward: [unrecognized: [{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"daddr"}},"right":{"prefix":{"addr":"10.0.0.0","len":8}}}}]] drop',
      'nft object: inet homelab_dr set blocked',
    ]);
  });

  it('same rules in another order: reported, the table configured, the rules unchanged', () => {
    const live = parseNftTable(fixture('reordered'), 'inet', 'homelab_dr');
    const lines = tableDifferences(desired, live);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^chain input: the rules are in a different order \(ip saddr 192\.168\.1\.0\/24 tcp dport 22 accept; iif lo accept;/);
    const changes = tableChanges(desired, live);
    expect(changes[0]).toEqual({ kind: 'nft table', name: 'inet homelab_dr', outcome: 'configured' });
    expect(changes.filter((c) => c.kind === 'nft rule').every((c) => c.outcome === 'unchanged')).toBe(true);
  });

  it('a different port, source or verdict is a different rule', () => {
    const live = parseNftTable(fixture('applied'), 'inet', 'homelab_dr')!;
    const rules = live.chains[0]!.rules;
    rules[3] = { ...rules[3]!, saddr: '192.168.2.0/24' };
    rules[4] = { ...rules[4]!, dport: '444' };
    rules[5] = { ...rules[5]!, verdict: 'drop' };
    expect(tableDifferences(desired, live)).toEqual([
      'missing rule in chain input: ip saddr 192.168.1.0/24 tcp dport 22 accept',
      'missing rule in chain input: tcp dport 443 accept',
      'missing rule in chain input: ip6 saddr fd00::1 udp dport 53 accept',
      'unexpected rule in chain input: ip saddr 192.168.2.0/24 tcp dport 22 accept (comment "homelab-dr: firewall.allow[0]")',
      'unexpected rule in chain input: tcp dport 444 accept (comment "homelab-dr: firewall.allow[1]")',
      'unexpected rule in chain input: ip6 saddr fd00::1 udp dport 53 drop (comment "homelab-dr: firewall.allow[2]")',
    ]);
  });
});
