// The cluster's published ports (k3d `ports:` entries, `[HOST:][HOSTPORT:]CONTAINERPORT[/PROTO]`) as
// the host ports the firewall must admit. Docker's DNAT sends most published traffic through the
// forward hook, past our input chain; these rules matter where the port is served on the host itself
// (Docker's userland proxy, or Docker run with iptables off), and there a drop policy would close it.
import { parseHostAddress, isLoopback } from './address.js';

export interface PublishedPort {
  proto: 'tcp' | 'udp';
  /** "443" or "30000-30010". */
  dport: string;
  /** The config entry it came from, for the rule's comment. */
  spec: string;
}

export interface PublishedPorts {
  ports: PublishedPort[];
  /** Entries that need no rule or cannot have one, each with the reason. */
  notes: string[];
}

const PORT_OR_RANGE = /^(\d{1,5})(?:-(\d{1,5}))?$/;

function validPortRange(text: string): boolean {
  const m = PORT_OR_RANGE.exec(text);
  if (!m) return false;
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  return first >= 1 && last <= 65535 && first <= last;
}

function splitHost(spec: string): { host?: string; rest: string } {
  const bracketed = /^\[([^\]]+)\]:(.*)$/.exec(spec);
  if (bracketed) return { host: bracketed[1], rest: bracketed[2]! };
  const parts = spec.split(':');
  return parts.length === 3 ? { host: parts[0], rest: parts.slice(1).join(':') } : { rest: spec };
}

function isAddress(text: string): boolean {
  try {
    parseHostAddress(text);
    return true;
  } catch {
    return false;
  }
}

export function publishedPorts(entries: ReadonlyArray<{ port: string }>): PublishedPorts {
  const result: PublishedPorts = { ports: [], notes: [] };
  for (const { port: spec } of entries) {
    const withoutFilter = spec.split('@')[0] ?? '';
    const [mapping = '', protoText = 'tcp'] = withoutFilter.split('/');
    const { host, rest } = splitHost(mapping);
    const [hostPort, containerPort] = rest.split(':');
    if (protoText !== 'tcp' && protoText !== 'udp') {
      result.notes.push(`cluster port ${spec}: protocol ${protoText} is not handled by the firewall step; add a rule by hand`);
    } else if (containerPort === undefined) {
      result.notes.push(`cluster port ${spec}: no host port given (Docker picks one at random), so no rule can admit it`);
    } else if (!validPortRange(hostPort ?? '')) {
      result.notes.push(`cluster port ${spec}: host port "${hostPort}" is not a port or range`);
    } else if (host !== undefined && host !== '' && !isAddress(host)) {
      result.notes.push(`cluster port ${spec}: host "${host}" is not an IP address`);
    } else if (host !== undefined && host !== '' && isLoopback(parseHostAddress(host))) {
      // Bound to loopback only: `iif lo accept` already admits it, and a rule would open it wider.
      result.notes.push(`cluster port ${spec}: bound to loopback, admitted by the loopback rule`);
    } else {
      result.ports.push({ proto: protoText, dport: hostPort!, spec });
    }
  }
  return result;
}
