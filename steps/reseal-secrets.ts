import type { Step } from '../src/engine/types.js';
import type { RecoveryContext } from './context.js';
import { refsOfSecrets, storeUses } from './uses.js';

export const resealSecrets: Step<RecoveryContext> = {
  id: 'reseal-secrets',
  title: 'Re-seal secrets locally from the external stores',
  needs: ['sealed-secrets-controller'],
  destructive: false,
  uses: async (ctx) => storeUses(ctx, refsOfSecrets(ctx).map((r) => r.store)),
  plan: async (ctx) => {
    const secrets = ctx.config.secrets;
    const byStore = new Map<string, string[]>();
    for (const ref of refsOfSecrets(ctx)) byStore.set(ref.store, [...(byStore.get(ref.store) ?? []), ref.key]);
    const literal = secrets.flatMap((s) => Object.values(s.data)).filter((v) => 'value' in v).length;
    const lines = [`${secrets.length} secret(s) sealed in memory with the new controller certificate, then applied`];
    for (const [store, keys] of [...byStore].sort()) {
      lines.push(`${keys.length} value(s) from store ${store}: keys ${[...new Set(keys)].join(', ')}`);
    }
    if (literal > 0) lines.push(`${literal} literal value(s) from the config`);
    for (const s of secrets) lines.push(`${s.namespace}/${s.name} (${s.type}, ${s.scope}): keys ${Object.keys(s.data).join(', ')}`);
    lines.push('verify: every SealedSecret Synced, every Secret present with exactly the expected keys and equal data (by hash)');
    return lines;
  },
};
