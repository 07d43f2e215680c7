// Checks that span fields, which JSON Schema cannot say. They read the data defensively, because they
// run even when the schema found problems, so that one pass reports everything.
import { isIP } from 'node:net';
import { parseDuration } from './duration.js';
import { isRecord } from '../util/helpers.js';
import type { FieldPath } from './field-path.js';
import type { ConfigIssue } from './issues.js';
import { didYouMean } from './suggest.js';

function listAt(data: unknown, ...keys: string[]): unknown[] {
  let current = data;
  for (const key of keys) current = isRecord(current) ? current[key] : undefined;
  return Array.isArray(current) ? current : [];
}

function recordAt(data: unknown, ...keys: string[]): Record<string, unknown> {
  let current = data;
  for (const key of keys) current = isRecord(current) ? current[key] : undefined;
  return isRecord(current) ? current : {};
}

/** Every { store, key } reference, with its path. */
function storeReferences(data: unknown): Array<{ path: FieldPath; store: string }> {
  const refs: Array<{ path: FieldPath; store: string }> = [];
  listAt(data, 'secrets').forEach((secret, index) => {
    for (const [dataKey, source] of Object.entries(recordAt(secret, 'data'))) {
      if (isRecord(source) && typeof source.store === 'string') {
        refs.push({ path: ['secrets', index, 'data', dataKey, 'store'], store: source.store });
      }
    }
  });
  const backup = recordAt(data, 'sealedSecrets', 'keyBackup', 'from');
  if (typeof backup.store === 'string') refs.push({ path: ['sealedSecrets', 'keyBackup', 'from', 'store'], store: backup.store });
  return refs;
}

function undefinedStoreIssues(data: unknown): ConfigIssue[] {
  const defined = Object.keys(recordAt(data, 'secretStores'));
  return storeReferences(data)
    .filter((ref) => !defined.includes(ref.store))
    .map((ref) => ({
      path: ref.path,
      message:
        defined.length === 0
          ? `secret store "${ref.store}" is not defined (secretStores is empty)`
          : `secret store "${ref.store}" is not defined in secretStores${didYouMean(ref.store, defined)}`,
    }));
}

/** Items of a list whose identity (from `identify`) repeats an earlier item's. */
function duplicateIssues(items: unknown[], listPath: FieldPath, identify: (item: Record<string, unknown>) => string | undefined, what: string): ConfigIssue[] {
  const firstIndex = new Map<string, number>();
  const issues: ConfigIssue[] = [];
  items.forEach((item, index) => {
    const identity = isRecord(item) ? identify(item) : undefined;
    if (identity === undefined) return;
    const first = firstIndex.get(identity);
    if (first === undefined) firstIndex.set(identity, index);
    else issues.push({ path: [...listPath, index, 'name'], message: `duplicate ${what} ${identity}`, firstAt: [...listPath, first, 'name'] });
  });
  return issues;
}

function duplicateNameIssues(data: unknown): ConfigIssue[] {
  const secretId = (s: Record<string, unknown>): string | undefined =>
    typeof s.name === 'string' && typeof s.namespace === 'string' ? `${s.namespace}/${s.name}` : undefined;
  const appId = (a: Record<string, unknown>): string | undefined => (typeof a.name === 'string' ? a.name : undefined);
  return [
    ...duplicateIssues(listAt(data, 'secrets'), ['secrets'], secretId, 'secret'),
    ...duplicateIssues(listAt(data, 'apps', 'items'), ['apps', 'items'], appId, 'app'),
  ];
}

/** Durations the schema's pattern accepts but that make no sense as a timeout. */
function zeroDurationIssues(data: unknown): ConfigIssue[] {
  const durations: Array<{ path: FieldPath; text: unknown }> = [
    { path: ['apps', 'wait', 'timeout'], text: recordAt(data, 'apps', 'wait').timeout },
    ...Object.entries(recordAt(data, 'secretStores')).map(([name, store]) => ({
      path: ['secretStores', name, 'timeout'],
      text: isRecord(store) ? store.timeout : undefined,
    })),
  ];
  return durations
    .filter(({ text }) => typeof text === 'string' && parseDuration(text) === 0)
    .map(({ path }) => ({ path, message: 'must be longer than 0' }));
}

/** An IPv4/IPv6 address, optionally with a prefix length that fits the family. */
export function isAddressOrCidr(text: string): boolean {
  const [address = '', prefix, ...rest] = text.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function firewallSourceIssues(data: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  listAt(data, 'firewall', 'allow').forEach((rule, index) => {
    const from = isRecord(rule) ? rule.from : undefined;
    if (typeof from === 'string' && from !== '' && !isAddressOrCidr(from)) {
      issues.push({ path: ['firewall', 'allow', index, 'from'], message: 'must be an IP address or CIDR, for example 192.168.1.0/24' });
    }
  });
  return issues;
}

function accessSourceIssues(data: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const bad = (from: unknown): boolean => typeof from === 'string' && from !== '' && !isAddressOrCidr(from);
  listAt(data, 'access', 'tunnel', 'from').forEach((from, index) => {
    if (bad(from)) issues.push({ path: ['access', 'tunnel', 'from', index], message: 'must be an IP address or CIDR, for example 172.18.0.0/16' });
  });
  listAt(data, 'access', 'alternate').forEach((alt, index) => {
    if (isRecord(alt) && bad(alt.from)) issues.push({ path: ['access', 'alternate', index, 'from'], message: 'must be an IP address or CIDR, for example 100.64.0.0/10' });
  });
  return issues;
}

/** A placeholder stands for one node: listed twice (two PVs' placeholder on two nodes) it could mean either. */
function storageNodeIssues(data: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const single = recordAt(data, 'storage').nodeNamePlaceholder ?? 'NODE_NAME';
  const first = new Map<string, { index: number; node: unknown }>();
  listAt(data, 'storage', 'nodes').forEach((entry, index) => {
    if (!isRecord(entry) || typeof entry.placeholder !== 'string') return;
    const path: FieldPath = ['storage', 'nodes', index, 'placeholder'];
    if (entry.placeholder === single) {
      issues.push({ path, message: `placeholder ${entry.placeholder} is storage.nodeNamePlaceholder, which stands for the target node; give the PVs on ${String(entry.node)} a placeholder of their own` });
    }
    const earlier = first.get(entry.placeholder);
    if (!earlier) first.set(entry.placeholder, { index, node: entry.node });
    else {
      issues.push({
        path,
        message: `placeholder ${entry.placeholder} is mapped to node ${String(entry.node)} here and to node ${String(earlier.node)} before; a placeholder stands for one node: give the PVs on each node their own placeholder`,
        firstAt: ['storage', 'nodes', earlier.index, 'placeholder'],
      });
    }
  });
  return issues;
}

export function crossFieldIssues(data: unknown): ConfigIssue[] {
  return [...undefinedStoreIssues(data), ...duplicateNameIssues(data), ...zeroDurationIssues(data), ...firewallSourceIssues(data), ...accessSourceIssues(data), ...storageNodeIssues(data)];
}
