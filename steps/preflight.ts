import type { Step } from '../src/engine/types.js';
import type { RecoveryContext } from './context.js';
import { gitRemoteUses, providerUses, refsOfSecrets, storeUses } from './uses.js';

export const preflight: Step<RecoveryContext> = {
  id: 'preflight',
  title: 'Preflight (read-only; gates all destruction)',
  needs: [],
  destructive: false,
  uses: async (ctx) => {
    const stores = refsOfSecrets(ctx).map((r) => r.store);
    const backup = ctx.config.sealedSecrets?.keyBackup?.from.store;
    return [
      ...providerUses(ctx),
      ...(await storeUses(ctx, backup ? [...stores, backup] : stores)),
      ...(await gitRemoteUses(ctx)),
    ];
  },
  plan: async (ctx) => {
    const refs = refsOfSecrets(ctx);
    const backup = ctx.config.sealedSecrets?.keyBackup ? 1 : 0;
    return [
      'validate the config and parse every manifest (done for this plan)',
      `prove every external store holds every value the plan needs: ${refs.length + backup} value(s), read into memory only`,
      'check every PV carries the required labels and every selecting PVC has a PV (offline)',
      'evaluate every pod template against its namespace\'s PodSecurity level (offline)',
      'refuse if a run-time dependency lives inside the cluster being rebuilt (litmus)',
      ...(ctx.config.access.alternate.length > 0
        ? [`check the alternate access path: ${ctx.config.access.alternate.map((a) => a.name).join(', ')}`]
        : ['no alternate access path is configured: a session through the cluster would drop with it']),
    ];
  },
};
