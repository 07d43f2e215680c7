import type { Step } from '../src/engine/types.js';
import type { RecoveryContext } from './context.js';

export const firewall: Step<RecoveryContext> = {
  id: 'firewall',
  title: 'Host firewall (nftables)',
  needs: ['create-cluster'],
  destructive: false,
  uses: async () => [{ name: 'tool nft', target: 'nft', inCluster: false, reason: 'host binary' }],
  plan: async (ctx) => {
    const fw = ctx.config.firewall;
    if (!fw) return ['no firewall configured: nothing to do'];
    const rules = fw.allow.map((r) => `${r.proto}/${r.port}${r.from ? ` from ${r.from}` : ''}`);
    return [
      `replace table inet ${fw.table} atomically: default input ${fw.defaultInput}; allow ${rules.join(', ') || 'nothing'}`,
      'verify by reading the rules back',
    ];
  },
};
