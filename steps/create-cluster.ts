import type { Step } from '../src/engine/types.js';
import type { RecoveryContext } from './context.js';
import { providerUses } from './uses.js';

export const createCluster: Step<RecoveryContext> = {
  id: 'create-cluster',
  title: 'Create the cluster',
  needs: ['delete-cluster'],
  destructive: false,
  uses: async (ctx) => providerUses(ctx),
  plan: async (ctx) => {
    const c = ctx.config.cluster;
    if (ctx.providerName === 'kwok') {
      return [`create kwok cluster "${ctx.clusterName}" (real kube-apiserver, etcd, controller-manager, scheduler; loopback only) with fake node "${c.nodeName ?? `${ctx.clusterName}-server-0`}"`];
    }
    if (ctx.providerName === 'existing') return [`use the existing cluster of kubeconfig context "${c.context ?? '(current)'}"; nothing is created`];
    const lines = [`k3d cluster create "${ctx.clusterName}": ${c.servers} server(s), ${c.agents} agent(s)${c.image ? `, image ${c.image}` : ''}`];
    if (c.registries) {
      lines.push(`registry config given at creation: use ${c.registries.use.join(', ') || '(none)'}${c.registries.config ? `, config ${c.registries.config}` : ''}`);
    }
    for (const p of c.ports) lines.push(`port ${p.port} on ${p.nodeFilters.join(',')}`);
    for (const v of c.volumes) lines.push(`volume ${v.volume} on ${v.nodeFilters.join(',')}`);
    for (const a of c.k3sArgs) lines.push(`k3s arg ${a.arg} on ${a.nodeFilters.join(',')}`);
    return lines;
  },
};
