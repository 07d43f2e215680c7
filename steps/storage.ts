import type { Step } from '../src/engine/types.js';
import { checkClaims, checkRequiredLabels, describePv } from '../src/k8s/pv-match.js';
import type { RecoveryContext } from './context.js';

/** PVCs of every app, for the label check. */
export async function appClaims(ctx: RecoveryContext) {
  return (await ctx.inputs.apps()).flatMap((a) => a.objects.map((o) => o.obj)).filter((o) => o.kind === 'PersistentVolumeClaim');
}

export const storage: Step<RecoveryContext> = {
  id: 'storage',
  title: 'Storage: StorageClass, PVs, and the PV label check',
  needs: ['namespaces'],
  destructive: false,
  uses: async () => [],
  plan: async (ctx) => {
    const st = ctx.config.storage;
    if (!st) return ['no storage section: nothing to do'];
    const objects = (await ctx.inputs.storage()).map((o) => o.obj);
    const pvs = objects.filter((o) => o.kind === 'PersistentVolume');
    const classes = objects.filter((o) => o.kind === 'StorageClass').map((o) => o.metadata.name);
    const lines = [
      `${classes.length} StorageClass (${classes.join(', ')}), ${pvs.length} PVs: ${pvs.map(describePv).join('; ')}`,
      `node name substituted for ${st.nodeNamePlaceholder} from the provider's node`,
    ];
    const labelProblems = checkRequiredLabels(pvs, st.requiredLabels);
    for (const p of labelProblems) lines.push(`PROBLEM: ${p.message}`);
    for (const c of checkClaims(pvs, await appClaims(ctx))) {
      lines.push(c.ok ? `PVC ${c.claim} → ${c.pv}` : `PROBLEM: ${c.message}`);
    }
    return lines;
  },
};
