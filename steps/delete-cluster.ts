import type { Step } from '../src/engine/types.js';
import { providerKind, type RecoveryContext } from './context.js';
import { providerUses } from './uses.js';

export const deleteCluster: Step<RecoveryContext> = {
  id: 'delete-cluster',
  title: 'Delete the cluster',
  needs: ['preflight'],
  destructive: true,
  uses: async (ctx) => providerUses(ctx),
  plan: async (ctx) => [
    `delete ${providerKind(ctx).name} cluster "${ctx.clusterName}" if it exists (after the blast-radius screen and a typed confirmation)`,
  ],
  verify: async (ctx) => {
    const exists = await (await ctx.provider()).exists(ctx.clusterName);
    return { ok: !exists, missing: exists ? [`cluster ${ctx.clusterName} still exists`] : [] };
  },
  apply: async (ctx, ledger) => {
    await (await ctx.provider()).delete(ctx.clusterName);
    ledger.record('Cluster', ctx.clusterName, 'deleted');
  },
};
