import type { Step } from '../src/engine/types.js';
import type { RecoveryContext } from './context.js';

const PSA_PREFIX = 'pod-security.kubernetes.io/';

export const namespaces: Step<RecoveryContext> = {
  id: 'namespaces',
  title: 'Namespaces with their PodSecurity labels',
  needs: ['create-cluster'],
  destructive: false,
  uses: async () => [],
  plan: async (ctx) => {
    const declared = (await ctx.inputs.namespaces()).filter((o) => o.obj.kind === 'Namespace');
    const described = declared.map(({ obj }) => {
      const psa = Object.entries(obj.metadata.labels ?? {})
        .filter(([k]) => k.startsWith(PSA_PREFIX) && !k.endsWith('-version'))
        .map(([k, v]) => `${k.slice(PSA_PREFIX.length)}=${v}`);
      return psa.length > 0 ? `${obj.metadata.name}: ${psa.join(' ')}` : `${obj.metadata.name}`;
    });
    return [`${declared.length} namespaces (${described.join('; ')}), server-side apply, field manager homelab-dr`];
  },
};
