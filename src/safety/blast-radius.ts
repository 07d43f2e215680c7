// The blast-radius screen, shown before any destructive step (and by `plan`): what dies, which data
// survives, whether this very session runs through the cluster, the other ways in, and the state a
// failure at each step leaves. blastRadius() gathers; renderBlastRadius() is pure.
import { alignColumns } from '../util/helpers.js';
import type { HomelabConfig, ProviderName } from '../config/types.js';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';
import { errorMessage } from '../util/errors.js';
import { accessPath, tunnelPodsOf, type AccessVerdict, type DockerNetwork } from './access-path.js';
import { checkAlternateAccess, dockerNetworks, k3dNetworkName, type AlternateResult } from './access-probe.js';
import { loadManifests } from '../k8s/manifests.js';
import { nodeRows, plural, renderNodes, type NodeRow } from './node-pvs.js';
import { pvObjectFate, type PvObjectVerdict } from './pv-claims.js';
import { pvSurvival, type PvVerdict } from './pv-survival.js';
import { continueCommand, rollbackTable, type RollbackRow } from './rollback.js';

export const WORKLOAD_KINDS = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet' },
] as const;

export interface NamespaceCount {
  name: string;
  pods: number;
  workloads: number;
}

/** A PV's data (survives or not) and its object (re-created, or kept with its claim). */
export type PvRow = PvVerdict & PvObjectVerdict;

export type LiveCluster =
  | { reachable: true; namespaces: NamespaceCount[]; pods: number; workloads: Record<string, number>; pvs: PvRow[]; nodes: NodeRow[] }
  | { reachable: false; reason: string };

export interface BlastRadius {
  command: string;
  cluster: string;
  provider: ProviderName;
  live: LiveCluster;
  access: AccessVerdict;
  alternates: AlternateResult[];
  rollback: RollbackRow[];
  resume: string;
}

export interface BlastRadiusOptions {
  /** The run's steps in order, for the rollback table. */
  stepIds: readonly string[];
  command?: string;
  /** The cluster to be destroyed; default the configured one. */
  clusterName?: string;
  env?: NodeJS.ProcessEnv;
  /** The cluster's docker networks; default: k3d's network, read from docker. */
  dockerNetworks?: DockerNetwork[];
  alternateTimeoutMs?: number;
}

/** Counts per namespace, every namespace listed even when empty (it is deleted too). */
export function countByNamespace(namespaces: readonly KubeObject[], pods: readonly KubeObject[], workloads: readonly KubeObject[]): NamespaceCount[] {
  const count = (items: readonly KubeObject[], ns: string) => items.filter((o) => o.metadata.namespace === ns).length;
  return namespaces
    .map((ns) => ({ name: ns.metadata.name, pods: count(pods, ns.metadata.name), workloads: count(workloads, ns.metadata.name) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The PVs the storage step re-creates: those of the storage file. */
async function declaredPvNames(config: HomelabConfig): Promise<string[] | undefined> {
  if (!config.storage) return undefined;
  return (await loadManifests(config.storage.file)).map((o) => o.obj).filter((o) => o.kind === 'PersistentVolume').map((o) => o.metadata.name ?? '');
}

/** The live cluster's counts, and its pods (undefined when it does not answer) for the access path. */
async function readLive(kube: KubeClient | undefined, config: HomelabConfig): Promise<{ live: LiveCluster; pods?: KubeObject[] }> {
  if (!kube) return { live: { reachable: false, reason: 'no client for it: the cluster does not exist, or its kubeconfig cannot be read' } };
  try {
    const [namespaces, pods, pvs, claims, nodes, ...workloadLists] = await Promise.all([
      kube.list({ apiVersion: 'v1', kind: 'Namespace' }),
      kube.list({ apiVersion: 'v1', kind: 'Pod' }),
      kube.list({ apiVersion: 'v1', kind: 'PersistentVolume' }),
      kube.list({ apiVersion: 'v1', kind: 'PersistentVolumeClaim' }),
      kube.list({ apiVersion: 'v1', kind: 'Node' }),
      ...WORKLOAD_KINDS.map((k) => kube.list(k)),
    ]);
    const workloads = workloadLists.flat();
    const declared = await declaredPvNames(config);
    const row = (pv: KubeObject): PvRow => ({ ...pvSurvival(pv, config.cluster), ...pvObjectFate(pv, { provider: config.cluster.provider, claims: claims!, ...(declared ? { declared } : {}) }) });
    const live: LiveCluster = {
      reachable: true,
      namespaces: countByNamespace(namespaces!, pods!, workloads),
      pods: pods!.length,
      workloads: Object.fromEntries(WORKLOAD_KINDS.map((k, i) => [k.kind, workloadLists[i]!.length])),
      pvs: pvs!.map(row).sort((a, b) => a.name.localeCompare(b.name)),
      nodes: nodeRows(nodes!, pvs!),
    };
    return { live, pods: pods! };
  } catch (err) {
    return { live: { reachable: false, reason: errorMessage(err) } };
  }
}

export async function blastRadius(kube: KubeClient | undefined, config: HomelabConfig, opts: BlastRadiusOptions): Promise<BlastRadius> {
  const cluster = opts.clusterName ?? config.cluster.name;
  const command = opts.command ?? 'hard-reset';
  const provider = config.cluster.provider;
  const networks = opts.dockerNetworks ?? (provider === 'k3d' ? await dockerNetworks([k3dNetworkName(cluster)]) : []);
  const [{ live, pods }, alternates] = await Promise.all([readLive(kube, config), checkAlternateAccess(config.access, opts.alternateTimeoutMs)]);
  const tunnelPods = pods ? tunnelPodsOf(pods) : undefined;
  const access = accessPath({ env: opts.env ?? process.env, tunnelPods, dockerNetworks: networks, rehearsal: provider === 'kwok' });
  return { command, cluster, provider, live, access, alternates, rollback: rollbackTable(opts.stepIds), resume: continueCommand(command) };
}

function renderLive(live: LiveCluster): string[] {
  if (!live.reachable) return [`What will be destroyed: cannot be counted (${live.reason})`];
  const workloadTotal = Object.values(live.workloads).reduce((a, b) => a + b, 0);
  const byKind = Object.entries(live.workloads).map(([kind, n]) => plural(n, kind)).join(', ');
  const lines = [`What will be destroyed: ${plural(live.namespaces.length, 'namespace')}, ${plural(live.pods, 'pod')}, ${plural(workloadTotal, 'workload')} (${byKind})`];
  if (live.namespaces.length > 0) {
    lines.push(...alignColumns([['NAMESPACE', 'PODS', 'WORKLOADS'], ...live.namespaces.map((n) => [n.name, String(n.pods), String(n.workloads)])], '  '));
  }
  lines.push('', renderPvHeadline(live.pvs));
  if (live.pvs.length > 0) {
    const rows = live.pvs.map((pv) => [pv.name, pv.fate.toUpperCase(), OBJECT_WORDS[pv.object], `${pv.source}: ${pv.reason}; ${pv.claim}`]);
    lines.push(...alignColumns([['PV', 'DATA', 'PV OBJECT', 'WHERE, AND ITS CLAIM'], ...rows], '  '));
  }
  return [...lines, '', ...renderNodes(live.nodes)];
}

const OBJECT_WORDS: Record<PvRow['object'], string> = { recreated: 're-created', 'not-recreated': 'NOT RE-CREATED', kept: 'kept' };

function renderPvHeadline(pvs: readonly PvVerdict[]): string {
  const byFate = new Map<string, number>();
  for (const pv of pvs) byFate.set(pv.fate, (byFate.get(pv.fate) ?? 0) + 1);
  const counts = [...byFate].map(([fate, n]) => `${n} ${fate}`).join(', ');
  return `Persistent volumes: ${pvs.length}${counts ? ` (${counts})` : ''}`;
}

function renderAccess(access: AccessVerdict): string[] {
  const mark = access.throughCluster ? '!!! ' : '';
  return ['Access path:', `  ${mark}${access.headline}`, ...access.details.map((d) => `      ${d}`)];
}

function renderAlternates(alternates: readonly AlternateResult[]): string[] {
  if (alternates.length === 0) return ['Alternate access: none configured (access.alternate): if this session drops, the console is the only way back'];
  const ok = alternates.filter((a) => a.ok).length;
  return [
    `Alternate access: ${ok}/${alternates.length} ok`,
    ...alignColumns(alternates.map((a) => [a.name, a.ok ? 'ok' : 'FAILED', `${a.check}: ${a.detail}`]), '  '),
  ];
}

export function renderBlastRadius(br: BlastRadius): string {
  const lines = [`BLAST RADIUS: ${br.command} deletes cluster "${br.cluster}" (provider ${br.provider})`];
  if (br.provider === 'kwok') lines.push('  rehearsal: kwok runs a real control plane with fake nodes; no real workload or data is at stake');
  lines.push('', ...renderLive(br.live), '', ...renderAccess(br.access), '', ...renderAlternates(br.alternates), '');
  lines.push('If the run fails, the machine is left:', ...alignColumns([['FAILS IN', 'LEFT IN'], ...br.rollback.map((r) => [r.step, r.leftIn])], '  '));
  lines.push(`  to continue after fixing the cause: ${br.resume} (green steps are skipped)`);
  return `${lines.join('\n')}\n`;
}
