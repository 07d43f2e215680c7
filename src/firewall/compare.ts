// Desired table against live table, semantically: rules are compared as match/verdict tuples (a
// multiset, then their order), chains by type, hook, priority and policy. Two outputs: human lines for
// verify, and per-object outcomes for the ledger.
import type { ItemOutcome } from '../engine/types.js';
import { describeChainHead, describeRule, ruleKey, type Chain, type Rule, type Table } from './model.js';

export interface ItemChange {
  kind: 'nft table' | 'nft chain' | 'nft rule' | 'nft object';
  name: string;
  outcome: Extract<ItemOutcome, 'created' | 'configured' | 'unchanged' | 'deleted'>;
}

interface RuleDiff {
  missing: Rule[];
  extra: Rule[];
  present: Rule[];
}

function diffRules(desired: readonly Rule[], actual: readonly Rule[]): RuleDiff {
  const remaining = [...actual];
  const diff: RuleDiff = { missing: [], extra: [], present: [] };
  for (const rule of desired) {
    const at = remaining.findIndex((r) => ruleKey(r) === ruleKey(rule));
    if (at < 0) diff.missing.push(rule);
    else {
      diff.present.push(rule);
      remaining.splice(at, 1);
    }
  }
  diff.extra = remaining;
  return diff;
}

function headDifferences(desired: Chain, actual: Chain): string[] {
  const fields = ['type', 'hook', 'priority', 'policy'] as const;
  return fields
    .filter((f) => desired[f] !== actual[f])
    .map((f) => `chain ${desired.name}: ${f} is ${actual[f] ?? '(none)'}, want ${desired[f] ?? '(none)'}`);
}

function sameOrder(desired: readonly Rule[], actual: readonly Rule[]): boolean {
  return desired.length === actual.length && desired.every((r, i) => ruleKey(r) === ruleKey(actual[i]!));
}

function withComment(rule: Rule): string {
  return rule.comment !== undefined ? `${describeRule(rule)} (comment "${rule.comment}")` : describeRule(rule);
}

function chainDifferences(desired: Chain, actual: Chain | undefined, tableId: string): string[] {
  if (!actual) return [`${describeChainHead(desired)} is missing from table ${tableId}, with its ${desired.rules.length} rules`];
  const { missing, extra } = diffRules(desired.rules, actual.rules);
  const lines = [
    ...headDifferences(desired, actual),
    ...missing.map((r) => `missing rule in chain ${desired.name}: ${describeRule(r)}`),
    ...extra.map((r) => `unexpected rule in chain ${desired.name}: ${withComment(r)}`),
  ];
  if (missing.length === 0 && extra.length === 0 && !sameOrder(desired.rules, actual.rules)) {
    lines.push(`chain ${desired.name}: the rules are in a different order (${actual.rules.map(describeRule).join('; ')})`);
  }
  return lines;
}

/** What differs between the live table and the desired one, one human line each; empty when equal. */
export function tableDifferences(desired: Table, actual: Table | null): string[] {
  const tableId = `${desired.family} ${desired.name}`;
  if (!actual) {
    const rules = desired.chains.reduce((n, c) => n + c.rules.length, 0);
    return [`table ${tableId} does not exist (${desired.chains.length} chain(s) and ${rules} rules are missing)`];
  }
  const desiredNames = new Set(desired.chains.map((c) => c.name));
  return [
    ...desired.chains.flatMap((c) => chainDifferences(c, actual.chains.find((a) => a.name === c.name), tableId)),
    ...actual.chains.filter((c) => !desiredNames.has(c.name)).map((c) => `unexpected chain ${c.name} in table ${tableId}, with ${c.rules.length} rules`),
    ...actual.otherObjects.map((o) => `unexpected ${o} in table ${tableId}`),
  ];
}

function ruleName(tableId: string, chain: string, rule: Rule): string {
  return `${tableId} ${chain}: ${describeRule(rule)}`;
}

function chainChanges(tableId: string, desired: Chain, actual: Chain | undefined): ItemChange[] {
  const head = { kind: 'nft chain' as const, name: `${tableId} ${describeChainHead(desired)}` };
  if (!actual) {
    return [{ ...head, outcome: 'created' }, ...desired.rules.map((r) => ({ kind: 'nft rule' as const, name: ruleName(tableId, desired.name, r), outcome: 'created' as const }))];
  }
  const { missing, extra, present } = diffRules(desired.rules, actual.rules);
  const rule = (r: Rule, outcome: ItemChange['outcome']): ItemChange => ({ kind: 'nft rule', name: ruleName(tableId, desired.name, r), outcome });
  return [
    { ...head, outcome: headDifferences(desired, actual).length > 0 ? 'configured' : 'unchanged' },
    ...present.map((r) => rule(r, 'unchanged')),
    ...missing.map((r) => rule(r, 'created')),
    ...extra.map((r) => rule(r, 'deleted')),
  ];
}

/**
 * What replacing `actual` with `desired` does to each object. A rule whose tuple was already there is
 * unchanged (the transaction re-creates it, but no packet meets a different verdict); the table is
 * configured when anything in it, including rule order, differs.
 */
export function tableChanges(desired: Table, actual: Table | null): ItemChange[] {
  const tableId = `${desired.family} ${desired.name}`;
  const tableOutcome = !actual ? 'created' : tableDifferences(desired, actual).length > 0 ? 'configured' : 'unchanged';
  const desiredNames = new Set(desired.chains.map((c) => c.name));
  const removedChains = (actual?.chains ?? []).filter((c) => !desiredNames.has(c.name));
  return [
    { kind: 'nft table', name: tableId, outcome: tableOutcome },
    ...desired.chains.flatMap((c) => chainChanges(tableId, c, actual?.chains.find((a) => a.name === c.name))),
    ...removedChains.flatMap((c): ItemChange[] => [
      { kind: 'nft chain', name: `${tableId} ${describeChainHead(c)}`, outcome: 'deleted' },
      ...c.rules.map((r): ItemChange => ({ kind: 'nft rule', name: ruleName(tableId, c.name, r), outcome: 'deleted' })),
    ]),
    ...(actual?.otherObjects ?? []).map((o): ItemChange => ({ kind: 'nft object', name: `${tableId} ${o}`, outcome: 'deleted' })),
  ];
}
