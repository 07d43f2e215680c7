import type { Step } from '../src/engine/types.js';
import { plannedNodes } from '../src/cluster/node-layout.js';
import { errorMessage } from '../src/util/errors.js';
import { isolationLines } from '../src/cluster/isolation.js';
import { throwawayNameDiffers } from '../src/safety/guards.js';
import { providerKind, targetClusterName, type RecoveryContext } from './context.js';
import { providerUses } from './uses.js';
import { nodeLayoutMissing } from './node-readiness.js';
import { WaitTimeoutError } from '../src/kube/errors.js';

/**
 * How long apply waits for the planned nodes to turn Ready after the provider made the cluster. k3d's
 * create returns on the server's "up and running" log line; the kubelet reports Ready some seconds later
 * (on a loaded machine, tens of seconds), so verify checked a node that was still starting.
 */
const NODES_READY_TIMEOUT_MS = 180_000;

/** Waits until the cluster has its planned Ready nodes; past the deadline verify names what is missing. */
async function awaitPlannedNodes(ctx: RecoveryContext): Promise<void> {
  const planned = plannedNodes(ctx.providerName, ctx.clusterName, ctx.config.cluster);
  const kube = await ctx.kube({ fresh: true });
  try {
    await kube.waitUntil({ apiVersion: 'v1', kind: 'Node' }, (nodes) => (nodeLayoutMissing(ctx.clusterName, planned, nodes).length === 0 ? true : undefined), {
      timeoutMs: NODES_READY_TIMEOUT_MS,
      what: `the nodes of cluster ${ctx.clusterName} Ready`,
      describe: (nodes) => nodeLayoutMissing(ctx.clusterName, planned, nodes).join('; '),
      signal: ctx.signal,
    });
  } catch (err) {
    // Not a failure of its own: verify runs next and reports each node that is missing or not Ready.
    if (!(err instanceof WaitTimeoutError)) throw err;
    ctx.log.warn({ cluster: ctx.clusterName, err: errorMessage(err) }, 'nodes not Ready by the deadline');
  }
}

/** The node whose name the storage step substitutes: the configured one, else the first. */
export async function targetNodeName(ctx: RecoveryContext): Promise<string> {
  const names = await (await ctx.provider()).nodeNames(ctx.clusterName);
  const wanted = ctx.config.cluster.nodeName;
  if (wanted && names.includes(wanted)) return wanted;
  if (wanted && providerKind(ctx).namesItsNode) throw new Error(`node ${wanted} is not in cluster ${ctx.clusterName} (nodes: ${names.join(', ') || 'none'})`);
  if (names.length === 0) throw new Error(`cluster ${ctx.clusterName} has no nodes`);
  // Several nodes: the first server (k3d and kwok name servers <cluster>-server-N), as on one node.
  const sorted = [...names].sort();
  return sorted.find((n) => /-server-\d+$/.test(n)) ?? sorted[0]!;
}

/** dr-test and drill act on a throwaway cluster; so does `verify --name <throwaway>`, whose name is not production's. */
export function isThrowaway(ctx: Pick<RecoveryContext, 'mode' | 'clusterName' | 'config' | 'providerName'>): boolean {
  // A provider that owns no cluster (existing) has no throwaway: it only ever acts on the context it was given.
  if (ctx.mode === 'verify') return providerKind(ctx).ownsCluster && throwawayNameDiffers(ctx.config.cluster.name, ctx.clusterName);
  return ctx.mode === 'dr-test' || ctx.mode === 'drill';
}

/**
 * What a throwaway cluster gets in place of production's host ports and paths: for dr-test and drill
 * the run's own mapping; for plan the mapping a dr-test would apply, so the operator sees it before.
 */
async function throwawayPlan(ctx: RecoveryContext): Promise<string[]> {
  if (!providerKind(ctx).ownsCluster || (ctx.mode !== 'plan' && !isThrowaway(ctx))) return [];
  const provider = await ctx.provider();
  // plan shows the mapping of a dr-test started now; the real run's name (and so its scratch path) is its own.
  const [name, prefix] = isThrowaway(ctx) ? [ctx.clusterName, ''] : [targetClusterName(ctx.config, 'dr-test'), 'dr-test/drill: '];
  const published = providerKind(ctx).hostExposure(ctx.config.cluster);
  const lines = isolationLines(provider.throwawayIsolation(name, ctx.config.cluster));
  const head = published.ports.length + published.paths.length > 0
    ? `${prefix}throwaway cluster ${name} shares no host port or path with production:`
    : `${prefix}throwaway cluster ${name} publishes no host port and mounts no host path${lines.length > 0 ? '; its PV paths move into scratch:' : ''}`;
  return [head, ...lines.map((l) => `  ${l}`)];
}

export const createCluster: Step<RecoveryContext> = {
  id: 'create-cluster',
  title: 'Create the cluster',
  needs: ['delete-cluster'],
  destructive: false,
  uses: async (ctx) => providerUses(ctx),
  plan: async (ctx) => [...providerKind(ctx).createPlan(ctx.clusterName, ctx.config.cluster, isThrowaway(ctx)), ...(await throwawayPlan(ctx))],
  verify: async (ctx) => {
    const provider = await ctx.provider();
    if (!(await provider.exists(ctx.clusterName))) return { ok: false, missing: [`cluster ${ctx.clusterName} does not exist`] };
    // The API's nodes and the node's registries.yaml (a `docker exec`, ~80 ms) are read at once, and
    // judged in this order.
    const [nodes, drift] = await Promise.allSettled([
      ctx.kube({ fresh: true }).then((kube) => kube.list({ apiVersion: 'v1', kind: 'Node' })),
      provider.configDrift?.(ctx.clusterName, ctx.config.cluster) ?? Promise.resolve([]),
    ]);
    if (nodes.status === 'rejected') return { ok: false, missing: [`cluster ${ctx.clusterName} does not answer: ${errorMessage(nodes.reason)}`] };
    const missing = nodeLayoutMissing(ctx.clusterName, plannedNodes(ctx.providerName, ctx.clusterName, ctx.config.cluster), nodes.value);
    if (missing.length > 0) return { ok: false, missing, checked: nodes.value.map((n) => ({ kind: 'Node', name: n.metadata.name ?? '' })) };
    // A drift that cannot be read is an error of the step, never "in sync".
    if (drift.status === 'rejected') throw drift.reason;
    return { ok: drift.value.length === 0, missing: drift.value };
  },
  apply: async (ctx, ledger) => {
    const provider = await ctx.provider();
    // verify failed, so a cluster of this name is the leftover of a create that was interrupted (a run
    // killed mid-create, resumed after its delete-cluster went green): the provider refuses to reuse a
    // half-made cluster, so it goes first. A provider that owns no cluster (existing) never deletes one.
    if (providerKind(ctx).ownsCluster && (await provider.exists(ctx.clusterName))) {
      await provider.delete(ctx.clusterName);
      ledger.record('Cluster', ctx.clusterName, 'deleted');
    }
    const isolation = await provider.create(ctx.clusterName, {
      config: ctx.config.cluster,
      ...(ctx.config.cluster.nodeName ? { nodeName: ctx.config.cluster.nodeName } : {}),
      ...(isThrowaway(ctx) ? { throwaway: true } : {}),
    });
    ledger.record('Cluster', ctx.clusterName, 'created');
    // Counted, so the report shows what the throwaway cluster got in place of production's ports and paths.
    for (const p of isolation?.ports ?? []) ledger.record('HostPort', p.to !== undefined ? `${p.spec} → ${p.to}` : p.spec, p.to !== undefined ? 'created' : 'skipped', p.to === undefined ? p.reason : undefined);
    for (const m of isolation?.paths ?? []) if (m.mounted) ledger.record('HostPath', `${m.source} → ${m.scratch} (${m.seed})`, 'created');
    for (const node of await provider.nodeNames(ctx.clusterName)) ledger.record('Node', node, 'created');
    await awaitPlannedNodes(ctx);
  },
};
