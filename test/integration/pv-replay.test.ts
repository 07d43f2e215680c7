// Replays of the incident's stale PVs on the real control plane (kube-apiserver, the real
// controller-manager's PV binder, the real scheduler): for each PV state, `homelab-dr diagnose <ns>`
// must name the right PV and cause in its headline, and the fix it prints, run as printed with
// kubectl, must make the PVC bind. Each replay logs its headline for the closing note.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseCli } from '../../src/cli/args.js';
import { diagnoseCommand } from '../../src/cli/commands/diagnose.js';
import { runCommand } from '../../src/cli/commands/run.js';
import { loadConfig } from '../../src/config/load.js';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { blastRadius } from '../../src/safety/blast-radius.js';
import { cachedBinary } from '../../src/util/binaries.js';
import { RefusedError } from '../../src/util/errors.js';
import { silentLogger } from '../../src/util/log.js';
import type { RecoveryContext } from '../../steps/context.js';
import { createInputs } from '../../steps/inputs.js';
import { keptClusterProblems } from '../../steps/preflight-live.js';
import { storage } from '../../steps/storage.js';
import { integrationCluster, liveClusterProvider } from './context.js';

const suffix = randomBytes(3).toString('hex');
// One storage class per replay: a claim left Pending by one replay must not bind another replay's PV.
const classOf = { released: `replay-released-${suffix}`, failed: `replay-failed-${suffix}`, hand: `replay-hand-${suffix}` };
const lateClass = `replay-wffc-${suffix}`;
const ns = { home: `replay-home-${suffix}`, media: `replay-media-${suffix}`, failed: `replay-failed-${suffix}`, node: `replay-node-${suffix}`, hand: `replay-hand-${suffix}` };
const pvNames = ['recipes', 'photos', 'ledger', 'pinned', 'notes'].map((n) => `${n}-pv-${suffix}`);
const [recipesPv, photosPv, ledgerPv, pinnedPv, notesPv] = pvNames as [string, string, string, string, string];
const BIND_TIMEOUT_MS = 120_000;
// The scheduler may judge the pod against its volume cache before the recreated PV reaches it, and
// then retries only on its flush of unschedulable pods (every 5 minutes): the node replay waits past it.
const SCHEDULER_RETRY_MS = 390_000;
// A replay waits for up to three bindings, each on the PV controller's claim resync.
const REPLAY_TIMEOUT_MS = 420_000;
let kube: KubeClient;
let configDir: string;

function pv(name: string, storageClassName: string, opts: { labels?: Record<string, string>; capacity?: string; claimRef?: Record<string, string>; node?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, labels: opts.labels ?? {} },
    spec: {
      storageClassName,
      capacity: { storage: opts.capacity ?? '10Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      hostPath: { path: `/srv/homelab/${name}` },
      ...(opts.claimRef ? { claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...opts.claimRef } } : {}),
      ...(opts.node
        ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [opts.node] }] }] } } }
        : {}),
    },
  };
}

function pvc(namespace: string, name: string, storageClassName: string, opts: { request?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace },
    spec: {
      storageClassName,
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: opts.request ?? '10Gi' } },
      selector: { matchLabels: { tier: 'gold' } },
    },
  };
}

async function createNamespace(name: string): Promise<void> {
  await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await kube.waitFor({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: name, name: 'default' }, () => true, { timeoutMs: 30_000, what: `ServiceAccount ${name}/default` });
}

const phaseOf = (obj: KubeObject): string => String((obj['status'] as { phase?: string } | undefined)?.phase ?? '');

async function waitPhase(kind: 'PersistentVolume' | 'PersistentVolumeClaim', name: string, phase: string, namespace?: string, timeoutMs = BIND_TIMEOUT_MS): Promise<KubeObject> {
  return kube.waitFor({ apiVersion: 'v1', kind, name, ...(namespace ? { namespace } : {}) }, (o) => phaseOf(o) === phase, { timeoutMs, what: `${kind} ${name} ${phase}` });
}

/** The cache's kubectl against the test cluster, as an operator would run it. */
function shell(line: string): string {
  const kubectlDir = dirname(cachedBinary('kubernetes', 'kubectl'));
  return execFileSync('sh', ['-c', line], {
    env: { ...process.env, PATH: `${kubectlDir}:${process.env.PATH ?? ''}`, KUBECONFIG: integrationCluster().kubeconfig },
    encoding: 'utf8',
  });
}

/** `homelab-dr diagnose <ns>` as the operator sees it: its exit code, headline lines and fix lines. */
async function diagnose(namespace: string): Promise<{ code: number; headlines: string[]; fixes: string[]; text: string }> {
  const { root, cluster } = integrationCluster();
  const flags = ['--config', join(configDir, 'homelab.yaml'), '--provider', 'kwok', '--state-dir', dirname(root), '--name', cluster];
  const written: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
  let code: number;
  try {
    code = await diagnoseCommand(parseCli(['diagnose', namespace, ...flags]));
  } finally {
    write.mockRestore();
  }
  const lines = written.join('').split('\n');
  return {
    code,
    text: lines.join('\n'),
    headlines: lines.filter((l) => l !== '' && !l.startsWith(' ') && !l.includes('problem(s) found') && !l.startsWith('no problems')),
    fixes: lines.filter((l) => l.startsWith('  fix: ')).map((l) => l.slice('  fix: '.length)),
  };
}

/** The storage step's and preflight's view of the test cluster, kept (as with hard-reset --from storage). */
async function keptContext(): Promise<RecoveryContext> {
  const { kubeconfig, nodeName, cluster } = integrationCluster();
  const provider = liveClusterProvider(kubeconfig, [nodeName]);
  const config = await loadConfig(join(configDir, 'homelab.yaml'));
  return {
    signal: new AbortController().signal,
    config: { ...config, cluster: { ...config.cluster, nodeName } },
    mode: 'hard-reset',
    clusterName: cluster,
    providerName: 'kwok',
    keepsCluster: true,
    log: silentLogger(),
    inputs: createInputs(config),
    provider: async () => provider,
    kube: async () => kube,
  };
}

/** Runs every printed fix line that is a command, exactly as printed. */
function applyFixes(fixes: readonly string[]): string[] {
  const commands = fixes.filter((f) => f.startsWith('kubectl '));
  for (const command of commands) shell(command);
  return commands;
}

beforeAll(async () => {
  kube = await KubeClient.fromKubeconfig(integrationCluster().kubeconfig);
  // A config whose storage file declares the replays' PVs with their labels, so diagnose can tell a
  // PV made by hand from the config's own.
  configDir = mkdtempSync(join(tmpdir(), 'hdr-replay-'));
  cpSync(resolve('config/example'), configDir, { recursive: true });
  // Production is the test cluster, so that hard-reset --from storage runs against it.
  const { cluster, nodeName } = integrationCluster();
  const planFile = join(configDir, 'homelab.yaml');
  writeFileSync(planFile, readFileSync(planFile, 'utf8').replace(/^  name: homelab .*$/m, `  name: ${cluster}`).replace(/^  nodeName: .*$/m, `  nodeName: ${nodeName}`));
  const declared = ([[recipesPv, classOf.released], [photosPv, classOf.released], [ledgerPv, classOf.failed], [notesPv, classOf.hand]] as const)
    .map(([name, storageClassName]) => pv(name, storageClassName, { labels: { tier: 'gold', environment: 'prod' } }));
  writeFileSync(join(configDir, 'kubernetes/cluster/storage.yaml'), declared.map((o) => JSON.stringify(o)).join('\n---\n'));
  // The apps declare the claims, so the storage step's verify and preflight judge them.
  writeFileSync(join(configDir, 'kubernetes/networking/base/replay-claims.yaml'), [pvc(ns.home, 'recipes-data', classOf.released), pvc(ns.media, 'photos-library', classOf.released, { request: '40Gi' })].map((o) => JSON.stringify(o)).join('\n---\n'));
  for (const name of Object.values(ns)) await createNamespace(name);
});

afterAll(async () => {
  for (const name of Object.values(ns)) await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name });
  for (const name of pvNames) await kube.delete({ apiVersion: 'v1', kind: 'PersistentVolume', name });
  await kube.delete({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', name: lateClass });
  kube.close();
  rmSync(configDir, { recursive: true, force: true });
});

describe('incident replays: stale PVs on the real control plane', () => {
  it('Released, claimRef to a deleted PVC (another uid), label lost; a 40Gi PV bound to another app beside it', async () => {
    // photos-pv: bound to another app's claim, the PV the old diagnosis blamed.
    await kube.apply(pv(photosPv, classOf.released, { labels: { tier: 'gold' }, capacity: '40Gi' }));
    await kube.apply(pvc(ns.media, 'photos-library', classOf.released, { request: '40Gi' }));
    await waitPhase('PersistentVolumeClaim', 'photos-library', 'Bound', ns.media);
    // recipes-pv: bound, then its PVC deleted (Released, claimRef keeps the old uid), then its label lost.
    await kube.apply(pv(recipesPv, classOf.released, { labels: { tier: 'gold' } }));
    const first = await kube.apply(pvc(ns.home, 'recipes-data', classOf.released));
    await waitPhase('PersistentVolumeClaim', 'recipes-data', 'Bound', ns.home);
    await kube.delete({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns.home, name: 'recipes-data' });
    await waitPhase('PersistentVolume', recipesPv, 'Released');
    shell(`kubectl label pv ${recipesPv} tier-`);
    const again = await kube.apply(pvc(ns.home, 'recipes-data', classOf.released));
    expect(again.metadata.uid).not.toBe(first.metadata.uid);

    const result = await diagnose(ns.home);
    console.log(`[replay released] headline: ${result.headlines.join(' | ')}`);
    expect(result.code).toBe(1);
    expect(result.headlines).toEqual([
      `PersistentVolumeClaim ${ns.home}/recipes-data: PVC ${ns.home}/recipes-data is not bound: PV ${recipesPv} is Released: its claimRef names PVC ${ns.home}/recipes-data ` +
        `(uid ${first.metadata.uid!.slice(0, 8)}), which was deleted (PVC ${ns.home}/recipes-data now has uid ${again.metadata.uid!.slice(0, 8)}); ` +
        `lacks label tier=gold that PVC ${ns.home}/recipes-data selects (the storage file gives it that label)`,
    ]);
    // True evidence: photos-pv is bound to the other app's claim; recipes-pv is never said to be bound.
    expect(result.text).toContain(`PV ${photosPv} (${classOf.released}, 40Gi, RWO) is bound to PVC ${ns.media}/photos-library`);
    expect(result.text).not.toMatch(new RegExp(`${recipesPv}[^\\n]* is bound to`));
    // The storage step's verify names the same PV and causes, with the same fix.
    const ctx = await keptContext();
    const verify = await storage.verify!(ctx);
    expect(verify.ok).toBe(false);
    const stale = `PVC ${ns.home}/recipes-data cannot bind: best candidate PV ${recipesPv} is Released: its claimRef names PVC ${ns.home}/recipes-data (uid ${first.metadata.uid!.slice(0, 8)})`;
    expect(verify.missing.filter((m) => m.includes(`${ns.home}/recipes-data`))).toEqual([
      `${stale}, which was deleted (PVC ${ns.home}/recipes-data now has uid ${again.metadata.uid!.slice(0, 8)}); lacks label tier=gold that PVC ${ns.home}/recipes-data selects ` +
        `(the storage file gives it that label); fix: ${result.fixes[0]} (${result.fixes[1]})`,
    ]);
    // Preflight before hard-reset --from storage: the storage step would put the label back, not free the PV.
    // (The example apps' own claims have no PV in this storage file: preflight names them too.)
    const preflight = (await keptClusterProblems(ctx)).filter((p) => p.subject === `PVC ${ns.home}/recipes-data`);
    expect(preflight).toHaveLength(1);
    expect(preflight[0]!.message.startsWith(`on the live cluster, after the storage step: ${stale}, which was deleted`)).toBe(true);
    expect(preflight[0]!.message).toContain(`; fix: kubectl patch pv ${recipesPv} --type merge -p '{"spec":{"claimRef":null}}' (safe: `);
    expect(preflight[0]!.message).not.toContain('lacks label');
    // The same through the CLI: hard-reset --from storage keeps the cluster, so its preflight reads it and refuses.
    const { root } = integrationCluster();
    const refused: unknown = await runCommand('hard-reset', parseCli(['hard-reset', '--config', join(configDir, 'homelab.yaml'), '--provider', 'kwok', '--state-dir', dirname(root), '--from', 'storage', '--yes']))
      .then((code) => new Error(`hard-reset --from storage exited ${code} instead of refusing`), (err: unknown) => err);
    expect(refused).toBeInstanceOf(RefusedError);
    expect((refused as RefusedError).details.join('\n')).toContain(`pv-claims: ${preflight[0]!.message}`);
    // The blast-radius screen: a rebuild re-creates recipes-pv without the stale claim; a kept cluster keeps it.
    const screen = { stepIds: ['preflight', 'delete-cluster'], env: {}, dockerNetworks: [], alternateTimeoutMs: 1000 };
    const rows = async (provider: 'k3d' | 'existing') => {
      const br = await blastRadius(kube, { ...ctx.config, access: { alternate: [] }, cluster: { ...ctx.config.cluster, provider } }, screen);
      if (!br.live.reachable) throw new Error(br.live.reason);
      return Object.fromEntries(br.live.pvs.map((row) => [row.name, `${row.object}: ${row.claim}`]));
    };
    const staleRef = `stale claimRef to PVC ${ns.home}/recipes-data (deleted, and re-created since with another uid)`;
    expect((await rows('k3d'))[recipesPv]).toBe(`recreated: re-created from the storage file without its ${staleRef}: a PVC that matches binds it afresh`);
    expect((await rows('existing'))[recipesPv]?.startsWith(`kept: KEEPS its ${staleRef}: no PVC binds it until it is cleared`)).toBe(true);
    expect((await rows('existing'))[photosPv]).toBe(`kept: bound to PVC ${ns.media}/photos-library: stays bound`);

    expect(applyFixes(result.fixes)).toEqual([`kubectl label pv ${recipesPv} tier=gold && kubectl patch pv ${recipesPv} --type merge -p '{"spec":{"claimRef":null}}'`]);
    expect(result.fixes[1]).toMatch(/^safe: /);

    const bound = await waitPhase('PersistentVolumeClaim', 'recipes-data', 'Bound', ns.home);
    expect((bound['spec'] as { volumeName?: string }).volumeName).toBe(recipesPv);
    expect((await keptClusterProblems(ctx)).filter((p) => p.subject.includes(suffix))).toEqual([]);
    // The other app keeps its volume.
    expect(((await kube.get({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns.media, name: 'photos-library' }))!['spec'] as { volumeName?: string }).volumeName).toBe(photosPv);
  }, REPLAY_TIMEOUT_MS);

  it('Failed (status set through the status subresource), claimRef to the deleted PVC of the same name', async () => {
    await kube.apply(pv(ledgerPv, classOf.failed, { labels: { tier: 'gold' }, claimRef: { namespace: ns.failed, name: 'ledger-data', uid: `deleted-${suffix}` } }));
    await waitPhase('PersistentVolume', ledgerPv, 'Released');
    shell(`kubectl patch pv ${ledgerPv} --subresource=status --type merge -p '{"status":{"phase":"Failed","message":"replay: the reclaim of the volume failed"}}'`);
    await waitPhase('PersistentVolume', ledgerPv, 'Failed');
    await kube.apply(pvc(ns.failed, 'ledger-data', classOf.failed));

    const result = await diagnose(ns.failed);
    console.log(`[replay failed] headline: ${result.headlines.join(' | ')}`);
    expect(result.headlines).toEqual([
      `PersistentVolumeClaim ${ns.failed}/ledger-data: PVC ${ns.failed}/ledger-data is not bound: PV ${ledgerPv} is Failed (replay: the reclaim of the volume failed): ` +
        `its claimRef names PVC ${ns.failed}/ledger-data (uid deleted-), which was deleted (PVC ${ns.failed}/ledger-data now has uid ${result.text.match(/now has uid (\w+)/)![1]})`,
    ]);
    expect(applyFixes(result.fixes)).toEqual([`kubectl patch pv ${ledgerPv} --type merge -p '{"spec":{"claimRef":null}}'`]);
    const bound = await waitPhase('PersistentVolumeClaim', 'ledger-data', 'Bound', ns.failed);
    expect((bound['spec'] as { volumeName?: string }).volumeName).toBe(ledgerPv);
  }, REPLAY_TIMEOUT_MS);

  it('node affinity names a node that is gone: the pod waits, and the PV is recreated on the live node', async () => {
    const { nodeName } = integrationCluster();
    const gone = `gone-node-${suffix}`;
    // WaitForFirstConsumer, as local volumes are set up: the binder waits for the scheduler, which
    // finds no node the PV can reach.
    await kube.apply({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: lateClass }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' });
    await kube.apply(pv(pinnedPv, lateClass, { labels: { tier: 'gold' }, node: gone }));
    await kube.apply(pvc(ns.node, 'media-data', lateClass));
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'app', namespace: ns.node },
      spec: { containers: [{ name: 'app', image: 'registry.local/app:1' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'media-data' } }] },
    });
    await kube.waitFor({ apiVersion: 'v1', kind: 'Event', namespace: ns.node, fieldSelector: 'reason=FailedScheduling' }, () => true, { timeoutMs: 60_000, what: `FailedScheduling in ${ns.node}` });

    const result = await diagnose(ns.node);
    console.log(`[replay node-gone] headline: ${result.headlines.join(' | ')}`);
    expect(result.headlines).toEqual([
      `Pod ${ns.node}/app: Pending: PVC ${ns.node}/media-data is not bound: PV ${pinnedPv} is pinned by node affinity to kubernetes.io/hostname=${gone}, which no node matches (nodes: ${nodeName})`,
    ]);
    expect(applyFixes(result.fixes)).toEqual([`kubectl get pv ${pinnedPv} -o json | sed 's/"${gone}"/"${nodeName}"/g' | kubectl replace --force -f -`]);
    const bound = await waitPhase('PersistentVolumeClaim', 'media-data', 'Bound', ns.node, SCHEDULER_RETRY_MS);
    expect((bound['spec'] as { volumeName?: string }).volumeName).toBe(pinnedPv);
  }, REPLAY_TIMEOUT_MS);

  it("Available, made by hand under the storage file's name without its labels", async () => {
    await kube.apply(pv(notesPv, classOf.hand));
    await waitPhase('PersistentVolume', notesPv, 'Available');
    await kube.apply(pvc(ns.hand, 'notes-data', classOf.hand));

    const result = await diagnose(ns.hand);
    console.log(`[replay hand-made] headline: ${result.headlines.join(' | ')}`);
    expect(result.headlines).toEqual([
      `PersistentVolumeClaim ${ns.hand}/notes-data: PVC ${ns.hand}/notes-data is not bound: PV ${notesPv} lacks label tier=gold that PVC ${ns.hand}/notes-data selects (the storage file gives it that label)`,
    ]);
    expect(applyFixes(result.fixes)).toEqual([`kubectl label pv ${notesPv} tier=gold`]);
    const bound = await waitPhase('PersistentVolumeClaim', 'notes-data', 'Bound', ns.hand);
    expect((bound['spec'] as { volumeName?: string }).volumeName).toBe(notesPv);
  }, REPLAY_TIMEOUT_MS);
});
