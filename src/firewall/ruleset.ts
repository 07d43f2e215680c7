// The desired table, from the config and the cluster's published ports, and the `nft -f` script that
// puts it in place. Pure: no nft is run here.
import type { FirewallConfig } from '../config/types.js';
import { InputError } from '../util/errors.js';
import { canonicalCidr } from './address.js';
import { describeRule, ruleKey, type Rule, type Table } from './model.js';
import type { PublishedPort } from './published-ports.js';

export const INPUT_CHAIN = 'input';
export const COMMENT_PREFIX = 'homelab-dr: ';
const NFT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

const comment = (origin: string): string => `${COMMENT_PREFIX}${origin}`;

function baseRules(): Rule[] {
  return [
    { iif: 'lo', verdict: 'accept', comment: comment('loopback') },
    { ctState: ['established', 'related'], verdict: 'accept', comment: comment('replies to connections already admitted') },
    { ctState: ['invalid'], verdict: 'drop', comment: comment('packets conntrack cannot place') },
  ];
}

function allowRules(fw: FirewallConfig): Rule[] {
  return fw.allow.map((rule, index) => ({
    proto: rule.proto,
    dport: String(rule.port),
    ...(rule.from ? { saddr: canonicalCidr(rule.from, `firewall.allow[${index}].from`) } : {}),
    verdict: 'accept',
    comment: comment(`firewall.allow[${index}]`),
  }));
}

function publishedRules(ports: readonly PublishedPort[]): Rule[] {
  return ports.map((p) => ({ proto: p.proto, dport: p.dport, verdict: 'accept', comment: comment(`cluster port ${p.spec}`) }));
}

/** Later duplicates of a rule would only be dead weight in the chain; the first one's comment stays. */
function withoutDuplicates(rules: Rule[]): Rule[] {
  const seen = new Set<string>();
  return rules.filter((rule) => {
    const key = ruleKey(rule);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function desiredTable(fw: FirewallConfig, published: readonly PublishedPort[] = []): Table {
  if (!NFT_NAME.test(fw.table)) {
    throw new InputError(`firewall.table: "${fw.table}" is not an nftables table name (a letter, then letters, digits and '_')`);
  }
  return {
    family: 'inet',
    name: fw.table,
    chains: [
      {
        name: INPUT_CHAIN,
        type: 'filter',
        hook: 'input',
        priority: 0,
        policy: fw.defaultInput,
        rules: withoutDuplicates([...baseRules(), ...allowRules(fw), ...publishedRules(published)]),
      },
    ],
    otherObjects: [],
  };
}

function renderRule(rule: Rule): string {
  return `${describeRule(rule)} comment "${rule.comment ?? COMMENT_PREFIX}"`;
}

/**
 * One transaction that replaces our table and nothing else. Declaring the table first makes the delete
 * valid whether or not it exists; nft commits all three commands or none, so there is no moment with
 * the table half-built or missing.
 */
export function renderScript(table: Table): string {
  const id = `${table.family} ${table.name}`;
  const chains = table.chains.map((chain) => [
    `  chain ${chain.name} {`,
    `    type ${chain.type} hook ${chain.hook} priority ${chain.priority}; policy ${chain.policy};`,
    ...chain.rules.map((rule) => `    ${renderRule(rule)}`),
    '  }',
  ]);
  return [`table ${id} {}`, `delete table ${id}`, `table ${id} {`, ...chains.flat(), '}', ''].join('\n');
}
