import { describe, expect, it } from 'vitest';
import { canonicalCidr, cidrContains, isLoopback, parseCidr, parseHostAddress } from '../../src/firewall/address.js';
import { InputError } from '../../src/util/errors.js';

describe('canonical CIDR spelling (the one nft stores)', () => {
  it.each([
    ['192.168.1.7/24', '192.168.1.0/24'],
    ['192.168.1.5/32', '192.168.1.5'],
    ['10.0.0.1', '10.0.0.1'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['fd00:0:0::1/128', 'fd00::1'],
    ['2001:DB8:0:0:1::5/64', '2001:db8::/64'],
    ['fd00::/8', 'fd00::/8'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:0:2:0:3:0:4:5', '1:0:2:0:3:0:4:5'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['::', '::'],
    ['::/0', '::/0'],
  ])('%s → %s', (input, canonical) => {
    expect(canonicalCidr(input)).toBe(canonical);
  });

  it.each(['192.168.1.0/33', 'fd00::/129', '300.1.1.1', '10.0.0.0/', '10.0.0.0/8/8', 'example.com', '10.0.0.0/-1'])(
    'rejects %s with InputError naming the field',
    (input) => {
      expect(() => parseCidr(input, 'firewall.allow[3].from')).toThrow(InputError);
      expect(() => parseCidr(input, 'firewall.allow[3].from')).toThrow(/firewall\.allow\[3\]\.from/);
    },
  );
});

describe('containment and peers', () => {
  it('a prefix contains its hosts, not its neighbours nor the other family', () => {
    const net = parseCidr('192.168.1.0/24');
    expect(cidrContains(net, parseHostAddress('192.168.1.200'))).toBe(true);
    expect(cidrContains(net, parseHostAddress('192.168.2.1'))).toBe(false);
    expect(cidrContains(net, parseHostAddress('fd00::1'))).toBe(false);
    expect(cidrContains(parseCidr('fd00::/8'), parseHostAddress('fd12:3456::9'))).toBe(true);
    expect(cidrContains(parseCidr('fd00::/8'), parseHostAddress('fe80::1'))).toBe(false);
  });

  it('reads sshd peer spellings: IPv4-mapped and zoned link-local', () => {
    expect(parseHostAddress('::ffff:192.168.1.9')).toEqual(parseCidr('192.168.1.9'));
    expect(parseHostAddress('fe80::1%eth0')).toEqual(parseCidr('fe80::1'));
  });

  it('loopback is 127/8 and ::1', () => {
    expect(isLoopback(parseHostAddress('127.0.0.53'))).toBe(true);
    expect(isLoopback(parseHostAddress('::1'))).toBe(true);
    expect(isLoopback(parseHostAddress('::2'))).toBe(false);
    expect(isLoopback(parseHostAddress('10.0.0.1'))).toBe(false);
  });
});
