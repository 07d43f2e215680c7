// The host's ruleset as `nft -j list ruleset` reports it, reduced to what a rule means. A running
// dockerd adds iptables-nft tables whose text listing is not stable (the xt comment match is printed in
// varying places, or not at all, and iptables-nft rules always count packets), so a before/after
// comparison of the text fails with nothing changed. Handles, counter values and set-element
// expiry move on their own and are dropped; everything else (tables, chains, hooks, policies, every
// rule's expressions in order, sets and their elements) is compared.
import { run } from '../../src/util/exec.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Drops what changes without anyone changing the ruleset. */
function stripVolatile(value: Json, parentKey?: string): Json {
  if (Array.isArray(value)) return value.map((item) => stripVolatile(item));
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: Json } = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === 'handle' || key === 'expires') continue;
    if (parentKey === 'counter' && (key === 'packets' || key === 'bytes')) continue;
    out[key] = stripVolatile(child, key);
  }
  return out;
}

/** The table an nftables JSON object belongs to ("family name"); undefined for metainfo. */
function tableOf(entry: { [key: string]: Json }): string | undefined {
  const [kind, body] = Object.entries(entry)[0] ?? [];
  if (kind === undefined || kind === 'metainfo' || body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  return `${String(body.family)} ${String(kind === 'table' ? body.name : body.table)}`;
}

/** Normalised objects of an `nft -j list ruleset` document, without the tables named in `except` ("inet name"). */
export function semanticRuleset(jsonText: string, except: readonly string[] = []): Json[] {
  const doc = JSON.parse(jsonText) as { nftables?: { [key: string]: Json }[] };
  if (!Array.isArray(doc.nftables)) throw new Error('nft -j list ruleset printed no "nftables" array');
  return doc.nftables.filter((entry) => {
    const table = tableOf(entry);
    return table !== undefined && !except.includes(table);
  }).map((entry) => stripVolatile(entry));
}

/** The ruleset of the current network namespace (or of `netns`), normalised. */
export async function listSemanticRuleset(opts: { netns?: string; except?: readonly string[] } = {}): Promise<Json[]> {
  const [file, args] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, 'nft', '-j', 'list', 'ruleset']] as const : ['nft', ['-j', 'list', 'ruleset']] as const;
  return semanticRuleset((await run(file, args)).stdout, opts.except);
}
