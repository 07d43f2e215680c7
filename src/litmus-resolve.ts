// How the litmus learns what a name resolves to: the hosts file (as the resolver reads it) and DNS
// (getaddrinfo, through node:dns lookup). Injected into the verdicts, so unit tests pass their own.
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import type { ResolvedAddress, Resolve } from './litmus.js';

/** The addresses a hosts file gives a name (every line that lists it, in order). */
export function hostsFileAddresses(text: string, host: string): string[] {
  const name = host.toLowerCase();
  const addresses: string[] = [];
  for (const raw of text.split('\n')) {
    const [address, ...names] = raw.replace(/#.*$/, '').trim().split(/\s+/);
    if (address && names.some((n) => n.toLowerCase() === name)) addresses.push(address.toLowerCase());
  }
  return addresses;
}

export interface ResolverOptions {
  /** Default /etc/hosts. */
  hostsFile?: string;
  /** Ask DNS too (default true); a hosts file alone makes tests independent of the network. */
  dns?: boolean;
}

/** The hosts file first, then DNS; a name neither knows resolves to nothing (and is judged by name). */
export function systemResolver({ hostsFile = '/etc/hosts', dns = true }: ResolverOptions = {}): Resolve {
  return async (host) => {
    const answers: ResolvedAddress[] = [];
    const text = await readFile(hostsFile, 'utf8').catch(() => '');
    for (const address of hostsFileAddresses(text, host)) answers.push({ address, via: hostsFile });
    if (dns) {
      try {
        for (const { address } of await lookup(host, { all: true, verbatim: true })) {
          if (!answers.some((a) => a.address === address.toLowerCase())) answers.push({ address: address.toLowerCase(), via: 'DNS' });
        }
      } catch (err) {
        // Not found is an answer ("no address"); a resolver that cannot answer at all is not.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTFOUND' && code !== 'ENODATA' && answers.length === 0) throw err;
      }
    }
    return answers;
  };
}

/** This machine's interface addresses: where a port the cluster publishes listens. */
export function localAddresses(): Set<string> {
  return new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address.toLowerCase())));
}
