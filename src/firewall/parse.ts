// `nft -j list table inet X` reduced to the semantic model. Matches the model knows become fields;
// anything else is kept as unrecognized JSON, so it can never pass for a desired rule.
import { isRecord } from '../util/helpers.js';
import { canonicalCidr } from './address.js';
import type { Chain, Rule, RuleMatch, Table } from './model.js';

type Json = Record<string, unknown>;

function portText(right: unknown): string | undefined {
  if (typeof right === 'number') return String(right);
  const range = isRecord(right) ? right.range : undefined;
  if (Array.isArray(range) && range.length === 2 && range.every((n) => typeof n === 'number')) return `${range[0]}-${range[1]}`;
  return undefined;
}

function addressText(right: unknown): string | undefined {
  if (typeof right === 'string') return canonicalCidr(right);
  const prefix = isRecord(right) && isRecord(right.prefix) ? right.prefix : undefined;
  if (prefix && typeof prefix.addr === 'string' && typeof prefix.len === 'number') return canonicalCidr(`${prefix.addr}/${prefix.len}`);
  return undefined;
}

function stateList(right: unknown): string[] | undefined {
  const states = typeof right === 'string' ? [right] : right;
  if (!Array.isArray(states) || !states.every((s): s is string => typeof s === 'string')) return undefined;
  return [...states].sort();
}

/** The one field a match expression sets, or undefined when the model does not know it. */
function matchField(match: Json): Partial<RuleMatch> | undefined {
  const { left, right, op } = match;
  if (!isRecord(left)) return undefined;
  const meta = isRecord(left.meta) ? left.meta : undefined;
  const ct = isRecord(left.ct) ? left.ct : undefined;
  const payload = isRecord(left.payload) ? left.payload : undefined;
  if (meta?.key === 'iif' && op === '==' && typeof right === 'string') return { iif: right };
  if (ct?.key === 'state' && (op === 'in' || op === '==')) {
    const states = stateList(right);
    return states ? { ctState: states } : undefined;
  }
  if (op !== '==' || !payload) return undefined;
  if ((payload.protocol === 'tcp' || payload.protocol === 'udp') && payload.field === 'dport') {
    const dport = portText(right);
    return dport ? { proto: payload.protocol, dport } : undefined;
  }
  if ((payload.protocol === 'ip' || payload.protocol === 'ip6') && payload.field === 'saddr') {
    const saddr = addressText(right);
    return saddr ? { saddr } : undefined;
  }
  return undefined;
}

const VERDICTS = ['accept', 'drop', 'reject', 'return', 'continue', 'queue'];

function verdictOf(expr: Json): string | undefined {
  const simple = VERDICTS.find((v) => v in expr);
  if (simple) return simple;
  for (const jump of ['jump', 'goto']) {
    const target = isRecord(expr[jump]) ? (expr[jump] as Json).target : undefined;
    if (typeof target === 'string') return `${jump} ${target}`;
  }
  return undefined;
}

export function parseRule(expressions: unknown[], comment?: string): Rule {
  const rule: Partial<RuleMatch> = {};
  const unknown: unknown[] = [];
  let verdict: string | undefined;
  for (const expr of expressions) {
    const field = isRecord(expr) && isRecord(expr.match) ? matchField(expr.match) : undefined;
    const exprVerdict = isRecord(expr) ? verdictOf(expr) : undefined;
    const repeated = field !== undefined && Object.keys(field).some((k) => k in rule);
    if (field && !repeated) Object.assign(rule, field);
    else if (exprVerdict && verdict === undefined) verdict = exprVerdict;
    else unknown.push(expr);
  }
  return {
    ...rule,
    verdict: verdict ?? '(no verdict)',
    ...(unknown.length > 0 ? { unrecognized: JSON.stringify(unknown) } : {}),
    ...(comment !== undefined ? { comment } : {}),
  };
}

function chainHead(entry: Json): Omit<Chain, 'rules'> {
  return {
    name: String(entry.name),
    ...(typeof entry.type === 'string' ? { type: entry.type } : {}),
    ...(typeof entry.hook === 'string' ? { hook: entry.hook } : {}),
    ...(typeof entry.prio === 'number' ? { priority: entry.prio } : {}),
    ...(typeof entry.policy === 'string' ? { policy: entry.policy } : {}),
  };
}

/** The named table from nft's JSON output, or null when the output does not contain it. */
export function parseNftTable(output: string, family: string, name: string): Table | null {
  let document: unknown;
  try {
    document = JSON.parse(output);
  } catch (err) {
    throw new Error(`nft -j printed something that is not JSON (${(err as Error).message})`);
  }
  const entries = isRecord(document) && Array.isArray(document.nftables) ? document.nftables : undefined;
  if (!entries) throw new Error('nft -j output has no "nftables" array');
  const ours = (o: Json): boolean => o.family === family && (o.table ?? o.name) === name;
  let found = false;
  const chains = new Map<string, Chain>();
  const otherObjects: string[] = [];
  const chainNamed = (chainName: string): Chain => {
    if (!chains.has(chainName)) chains.set(chainName, { name: chainName, rules: [] });
    return chains.get(chainName)!;
  };
  for (const entry of entries) {
    if (!isRecord(entry)) continue;
    const [kind, value] = Object.entries(entry)[0] ?? [];
    if (kind === undefined || kind === 'metainfo' || !isRecord(value) || !ours(value)) continue;
    if (kind === 'table') found = true;
    else if (kind === 'chain') chains.set(String(value.name), { ...chainHead(value), rules: chainNamed(String(value.name)).rules });
    else if (kind === 'rule') {
      const comment = typeof value.comment === 'string' ? value.comment : undefined;
      chainNamed(String(value.chain)).rules.push(parseRule(Array.isArray(value.expr) ? value.expr : [], comment));
    } else otherObjects.push(`${kind} ${String(value.name ?? '')}`.trim());
  }
  const table: Table | null = found ? { family: 'inet', name, chains: [...chains.values()], otherObjects } : null;
  return table;
}
