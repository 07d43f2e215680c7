// IP addresses and CIDRs as bytes, so that "fd00:0::1/128", "fd00::1" and nft's own spelling of them
// compare equal, and so that the lockout guard can ask whether a prefix contains an address.
import { isIPv4, isIPv6 } from 'node:net';
import { InputError } from '../util/errors.js';

export interface Cidr {
  family: 4 | 6;
  /** The network address: host bits are cleared, as nft does when it stores a prefix. */
  bytes: number[];
  prefix: number;
}

function ipv4Bytes(text: string): number[] {
  return text.split('.').map(Number);
}

function ipv6Bytes(text: string): number[] {
  // An embedded IPv4 tail ("::ffff:192.0.2.1") is the last two groups written in decimal.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  const [a = 0, b = 0, c = 0, d = 0] = tail.includes('.') ? ipv4Bytes(tail) : [];
  const hexText = tail.includes('.') ? `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}` : text;
  const [left = '', right] = hexText.split('::');
  const leftGroups = left === '' ? [] : left.split(':');
  const rightGroups = right === undefined || right === '' ? [] : right.split(':');
  const zeroGroups = right === undefined ? 0 : 8 - leftGroups.length - rightGroups.length;
  return [...leftGroups, ...Array<string>(zeroGroups).fill('0'), ...rightGroups].flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

function mask(bytes: number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    return b & ((0xff << (8 - bits)) & 0xff);
  });
}

/** Parses "192.168.1.0/24", "10.0.0.1", "fd00::/8"; throws InputError naming `field` otherwise. */
export function parseCidr(text: string, field = 'address'): Cidr {
  const [address = '', prefixText, ...rest] = text.trim().split('/');
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : 0;
  const full = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? full : Number(prefixText);
  if (family === 0 || rest.length > 0 || (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) || prefix > full) {
    throw new InputError(`${field}: "${text}" is not an IP address or CIDR (for example 192.168.1.0/24)`);
  }
  const bytes = family === 4 ? ipv4Bytes(address) : ipv6Bytes(address);
  return { family, bytes: mask(bytes, prefix), prefix };
}

/**
 * The address of a peer as a host (a /32 or /128). sshd may report an IPv4 client as "::ffff:a.b.c.d"
 * and a link-local one with a zone ("fe80::1%eth0"); both are reduced to what a rule would match.
 */
export function parseHostAddress(text: string, field = 'address'): Cidr {
  const withoutZone = text.split('%')[0] ?? '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(withoutZone);
  return parseCidr(mapped ? mapped[1]! : withoutZone, field);
}

function formatIpv6(bytes: number[]): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** The one spelling used everywhere: network address, and "/len" only when it is not a single host. */
export function formatCidr(cidr: Cidr): string {
  const address = cidr.family === 4 ? cidr.bytes.join('.') : formatIpv6(cidr.bytes);
  return cidr.prefix === (cidr.family === 4 ? 32 : 128) ? address : `${address}/${cidr.prefix}`;
}

export function canonicalCidr(text: string, field?: string): string {
  return formatCidr(parseCidr(text, field));
}

export function cidrContains(network: Cidr, host: Cidr): boolean {
  if (network.family !== host.family) return false;
  const masked = mask(host.bytes, network.prefix);
  return masked.every((b, i) => b === network.bytes[i]);
}

export function isLoopback(host: Cidr): boolean {
  return host.family === 4 ? host.bytes[0] === 127 : host.bytes.every((b, i) => b === (i === 15 ? 1 : 0));
}
