import type { Step } from '../src/engine/types.js';
import { healthOf } from '../src/health/rules.js';
import { errorMessage } from '../src/util/errors.js';
import type { RecoveryContext } from './context.js';
import { providerUses } from './uses.js';


/** The node whose name the storage step substitutes: the configured one, else the first. */
export async function targetNodeName(ctx: RecoveryContext): Promise<string> {
  const names = await (await ctx.provider()).nodeNames(ctx.clusterName);
  const wanted = ctx.config.cluster.nodeName;
  if (wanted && names.includes(wanted)) return wanted;
  if (wanted && ctx.providerName === 'kwok') throw new Error(`node ${wanted} is not in cluster ${ctx.clusterName} (nodes: ${names.join(', ') || 'none'})`);
  if (names.length === 0) throw new Error(`cluster ${ctx.clusterName} has no nodes`);
  return [...names].sort()[0]!;
}

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
  verify: async (ctx) => {
    const provider = await ctx.provider();
    if (!(await provider.exists(ctx.clusterName))) return { ok: false, missing: [`cluster ${ctx.clusterName} does not exist`] };
    try {
      const nodes = await (await ctx.kube({ fresh: true })).list({ apiVersion: 'v1', kind: 'Node' });
      const ready = nodes.filter((node) => healthOf(node).status === 'Current');
      if (ready.length === 0) return { ok: false, missing: [`cluster ${ctx.clusterName}: Ready nodes 0/${nodes.length}`] };
      return { ok: true, missing: [] };
    } catch (err) {
      return { ok: false, missing: [`cluster ${ctx.clusterName} does not answer: ${errorMessage(err)}`] };
    }
  },
  apply: async (ctx, ledger) => {
    const provider = await ctx.provider();
    // verify failed, so a cluster of this name is the leftover of a create that was interrupted (a run
    // killed mid-create, resumed after its delete-cluster went green): the provider refuses to reuse a
    // half-made cluster, so it goes first. Provider existing never creates or deletes anything.
    if (ctx.providerName !== 'existing' && (await provider.exists(ctx.clusterName))) {
      await provider.delete(ctx.clusterName);
      ledger.record('Cluster', ctx.clusterName, 'deleted');
    }
    await provider.create(ctx.clusterName, { config: ctx.config.cluster, ...(ctx.config.cluster.nodeName ? { nodeName: ctx.config.cluster.nodeName } : {}) });
    ledger.record('Cluster', ctx.clusterName, 'created');
    for (const node of await provider.nodeNames(ctx.clusterName)) ledger.record('Node', node, 'created');
  },
};
