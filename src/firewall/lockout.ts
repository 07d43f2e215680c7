// The self-lockout guard: a ruleset that would drop the next SSH connection of the person running
// homelab-dr is refused. The current session would survive on the established rule; the reconnect at
// 2 AM would not.
import { RefusedError } from '../util/errors.js';
import { cidrContains, formatCidr, isLoopback, parseCidr, parseHostAddress, type Cidr } from './address.js';
import { describeRule, type Rule, type Table } from './model.js';

export interface SshSession {
  client: Cidr;
  server: Cidr;
  serverPort: number;
}

/** `SSH_CONNECTION` is "client_ip client_port server_ip server_port"; undefined when it is not that. */
export function parseSshConnection(value: string): SshSession | undefined {
  const [clientIp, clientPort, serverIp, serverPort, ...rest] = value.trim().split(/\s+/);
  if (!clientIp || !serverIp || rest.length > 0 || !/^\d+$/.test(clientPort ?? '') || !/^\d+$/.test(serverPort ?? '')) return undefined;
  try {
    return { client: parseHostAddress(clientIp), server: parseHostAddress(serverIp), serverPort: Number(serverPort) };
  } catch {
    return undefined;
  }
}

function portInRange(port: number, dport: string): boolean {
  const [first = '', last = first] = dport.split('-');
  return port >= Number(first) && port <= Number(last);
}

/** Whether `rule` matches the first packet (ct state new) of a TCP connection like the session's. */
function matchesNewConnection(rule: Rule, session: SshSession): boolean {
  if (rule.unrecognized !== undefined) return false;
  // A connection between two addresses of this host travels over lo.
  const viaLoopback = isLoopback(session.client) || formatCidr(session.client) === formatCidr(session.server);
  if (rule.iif !== undefined && !(rule.iif === 'lo' && viaLoopback)) return false;
  if (rule.ctState !== undefined && !rule.ctState.includes('new')) return false;
  if (rule.proto !== undefined && rule.proto !== 'tcp') return false;
  if (rule.dport !== undefined && !portInRange(session.serverPort, rule.dport)) return false;
  return rule.saddr === undefined || cidrContains(parseCidr(rule.saddr), session.client);
}

/** The verdict the input chain gives a new connection of the session: the first matching rule, else the policy. */
export function sessionVerdict(table: Table, session: SshSession): { verdict: string; by?: Rule } {
  const input = table.chains.find((c) => c.hook === 'input');
  const rule = input?.rules.find((r) => matchesNewConnection(r, session));
  if (rule) return { verdict: rule.verdict, by: rule };
  return { verdict: input?.policy ?? 'accept' };
}

/** Throws RefusedError when the table would drop a new connection from this SSH client to this SSH port. */
export function assertNoSelfLockout(table: Table, sshConnection: string | undefined): void {
  if (sshConnection === undefined || sshConnection.trim() === '') return;
  const tableId = `table ${table.family} ${table.name}`;
  const session = parseSshConnection(sshConnection);
  const policy = table.chains.find((c) => c.hook === 'input')?.policy;
  if (!session) {
    if (policy !== 'drop') return;
    throw new RefusedError(`refusing to apply ${tableId} with input policy drop: SSH_CONNECTION is set but unreadable ("${sshConnection}"), so the guard cannot tell whether your SSH session would be locked out`, [
      'run from the server console, or from a shell where SSH_CONNECTION holds "client_ip client_port server_ip server_port"',
    ]);
  }
  const { verdict, by } = sessionVerdict(table, session);
  if (verdict === 'accept') return;
  const client = formatCidr(session.client);
  const cause = by ? `rule "${describeRule(by)}" gives it ${verdict}` : `no rule admits it and the input policy is ${verdict}`;
  throw new RefusedError(
    `refusing to apply ${tableId}: it would lock out this SSH session: a new connection from ${client} to port ${session.serverPort}/tcp is dropped (${cause})`,
    [
      `allow it in the config: firewall.allow: - { port: ${session.serverPort}, proto: tcp, from: ${client} } (or the client's network, e.g. a /24)`,
      'or run homelab-dr from the server console, where no SSH session can be cut',
    ],
  );
}

/** A way into host sshd other than this session: a tunnel inside the cluster, or an alternate path. */
export interface AccessRoute {
  /** "tunnel inside the cluster", "alternate tailscale". */
  name: string;
  /** Where its connections come from: an address or a prefix (the cluster's Docker network). */
  from: Cidr;
  /** Host sshd's port. */
  port: number;
  /** The config field it came from, for the fix. */
  field: string;
}

/** How much of `from` a rule's source match covers. */
function sourceCoverage(rule: Rule, from: Cidr): 'all' | 'some' | 'none' {
  if (rule.saddr === undefined) return 'all';
  const saddr = parseCidr(rule.saddr);
  if (saddr.family !== from.family) return 'none';
  if (saddr.prefix <= from.prefix && cidrContains(saddr, from)) return 'all';
  return from.prefix < saddr.prefix && cidrContains(from, saddr) ? 'some' : 'none';
}

/** Every other match of a rule against a new TCP connection to `port` from outside lo. */
function matchesNewRemoteConnection(rule: Rule, port: number): boolean {
  if (rule.unrecognized !== undefined || rule.iif !== undefined) return false;
  if (rule.ctState !== undefined && !rule.ctState.includes('new')) return false;
  if (rule.proto !== undefined && rule.proto !== 'tcp') return false;
  return rule.dport === undefined || portInRange(port, rule.dport);
}

/**
 * The verdict the input chain gives new connections from every address of the route's source. A rule
 * that drops part of the source cuts the route (some of its addresses lose sshd); one that accepts part
 * of it lets that part through, and the rest goes on to the next rules and the policy.
 */
export function routeVerdict(table: Table, route: AccessRoute): { verdict: string; by?: Rule; partly: boolean } {
  const input = table.chains.find((c) => c.hook === 'input');
  let partlyAccepted = false;
  for (const rule of input?.rules ?? []) {
    if (!matchesNewRemoteConnection(rule, route.port)) continue;
    const coverage = sourceCoverage(rule, route.from);
    if (coverage === 'all') return { verdict: rule.verdict, by: rule, partly: partlyAccepted };
    if (coverage === 'some' && rule.verdict !== 'accept') return { verdict: rule.verdict, by: rule, partly: true };
    if (coverage === 'some') partlyAccepted = true;
  }
  return { verdict: input?.policy ?? 'accept', partly: partlyAccepted };
}

/**
 * Throws RefusedError naming every configured access route the table would cut. From the console there
 * is no SSH session to protect, but the tunnel that reaches sshd from the cluster's network (and every
 * alternate way in) is the operator's way back in after the reboot, so it is judged whoever runs this.
 */
export function assertAccessRoutesKept(table: Table, routes: readonly AccessRoute[]): void {
  const cut = routes.flatMap((route) => {
    const { verdict, by, partly } = routeVerdict(table, route);
    if (verdict === 'accept') return [];
    const cause = by ? `rule "${describeRule(by)}" gives it ${verdict}` : `no rule admits ${partly ? 'all of it' : 'it'} and the input policy is ${verdict}`;
    return [{ route, line: `${route.name}: a new connection from ${formatCidr(route.from)} to port ${route.port}/tcp is ${verdict === 'drop' ? 'dropped' : verdict} (${cause})` }];
  });
  if (cut.length === 0) return;
  throw new RefusedError(
    `refusing to apply table ${table.family} ${table.name}: it would cut ${cut.length} configured access path${cut.length === 1 ? '' : 's'} to host sshd: ${cut.map((c) => c.line).join('; ')}`,
    [
      ...cut.map((c) => `allow it in the config: firewall.allow: - { port: ${c.route.port}, proto: tcp, from: ${formatCidr(c.route.from)} } (${c.route.field})`),
      'or correct the access section if that path no longer comes from there',
    ],
  );
}
