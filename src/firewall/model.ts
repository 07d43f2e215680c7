// The semantic form of an nftables table: what a packet meets, not how nft happens to print it. The
// desired table (from the config) and the live one (from `nft -j`) are both reduced to this, and
// compared here. Comments and handles are not semantics, so they are kept aside from the key.

/** One rule as a tuple of the matches homelab-dr writes. Absent fields match anything. */
export interface RuleMatch {
  iif?: string;
  /** Connection-tracking states, sorted ("established", "related"). */
  ctState?: string[];
  proto?: 'tcp' | 'udp';
  /** A destination port or an inclusive range: "22", "8000-8010". */
  dport?: string;
  /** A source address or prefix, in the canonical spelling of address.ts. */
  saddr?: string;
  verdict: string;
  /**
   * Expressions this model does not know, as nft JSON. A live rule carrying them never equals a desired
   * rule, so a hand-added rule in our table shows up as unexpected instead of being silently accepted.
   */
  unrecognized?: string;
}

export interface Rule extends RuleMatch {
  /** "homelab-dr: <where the rule comes from>" for ours; whatever a hand-added rule carries. */
  comment?: string;
}

export interface Chain {
  name: string;
  type?: string;
  hook?: string;
  priority?: number;
  policy?: string;
  rules: Rule[];
}

export interface Table {
  family: 'inet';
  name: string;
  chains: Chain[];
  /** Objects other than chains and rules found in a live table (sets, maps, counters...): "set blocked". */
  otherObjects: string[];
}

/** How nft would write the rule's matches; the ledger's item name and verify's human lines. */
export function describeRule(rule: RuleMatch): string {
  const parts: string[] = [];
  if (rule.iif !== undefined) parts.push(`iif ${rule.iif}`);
  if (rule.ctState !== undefined) parts.push(`ct state ${rule.ctState.join(',')}`);
  if (rule.saddr !== undefined) parts.push(`${rule.saddr.includes(':') ? 'ip6' : 'ip'} saddr ${rule.saddr}`);
  if (rule.proto !== undefined) parts.push(`${rule.proto} dport ${rule.dport ?? '(any)'}`);
  if (rule.unrecognized !== undefined) parts.push(`[unrecognized: ${rule.unrecognized}]`);
  parts.push(rule.verdict);
  return parts.join(' ');
}

/** Equal keys mean the same packets get the same verdict. */
export function ruleKey(rule: RuleMatch): string {
  const { iif, ctState, proto, dport, saddr, verdict, unrecognized } = rule;
  return JSON.stringify([iif, ctState, proto, dport, saddr, verdict, unrecognized]);
}

export function describeChainHead(chain: Chain): string {
  return `chain ${chain.name} (type ${chain.type ?? '-'} hook ${chain.hook ?? '-'} priority ${chain.priority ?? '-'}; policy ${chain.policy ?? '-'})`;
}
