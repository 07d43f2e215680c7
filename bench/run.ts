// Benchmarks (`npm run bench`): one table, written to bench/results.md and printed. Every row is the
// median of >= 5 runs with its spread (min – max); every ratio is against a baseline measured in the
// same run on the same machine (paired round by round where the row allows it); every row states its
// target and whether it is met, and a missed target says MISSED. The document names the machine,
// the Node version, the date and the exact component versions. Timings are never asserted in a test.
//
//   BENCH_RUNS        runs of the whole-process rows (cold start, plan); default 9, at least 5
//   BENCH_HEAVY_RUNS  runs of the cluster, sealing and rehearsal rows; default 5, at least 5
//   BENCH_APPLY_N     objects per apply run (default 200); BENCH_SEAL_M secrets per sealing run (1,000, as issue 5 asks)
//   BENCH_ONLY        comma list of sections (startup,plan,seal,cluster,rehearsal,crashloop,k3d,multinode) for a partial run:
//                     printed only, bench/results.md is left alone
//   k3d runs only where the real k3d tier is up (scripts/k3d-tier.sh env sourced); elsewhere it says why it skipped
//   BENCH_K3D_CLUSTER name of the k3d RTO rows' cluster (default hdr-bench-<pid>), for a shared Docker engine
//   BENCH_K3D_RUNS    rounds of the k3d RTO rows; default 9, at least 5 (the kubelet's random first-probe delay
//                     moves one run of either side by up to 10 s, so a median needs more rounds than 5)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchApply, benchReadiness, withKwokCluster, type ApplyMethod } from './cluster.js';
import { benchCrashLoop } from './crashloop.js';
import { benchK3dRto, type RtoRun } from './k3d-rto.js';
import { rehearsalPath } from '../src/util/binaries.js';
import { k3dTierFromEnv } from './k3d-tier.js';
import { generateMultinodeHomelab, MULTINODE, multinodeSecretEnv } from './multinode.js';
import { componentVersions, gitRevision, loadAverageNow, machineInfo, npmVersions, otherApiservers } from './machine.js';
import { measureProcess, type ProcSample } from './proc.js';
import { benchRehearsal, type RehearsalRun } from './rehearsal.js';
import { failedRow, renderTable, type Row } from './report.js';
import { benchSeal } from './seal.js';
import { fmtMb, fmtRatio, fmtSeconds, pairedRatios, spread, summarize } from './stats.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'bin', 'homelab-dr.js');
// The pinned kubectl, helm, age and sops first, as in the tests: `npm run` puts /usr/bin ahead of the
// PATH it was given, and there this machine has another kubectl (google-cloud-sdk's dispatcher,
// v1.32), which both sides of the k3d RTO then ran, and under which homelab-dr's preflight took 0.9 s
// in place of 0.3 s.
process.env.PATH = rehearsalPath(process.env);
const REHEARSAL_CONFIG = 'config/example/homelab.yaml';

/** A homelab with `count` app objects across 10 namespaces, with PVs matching every PVC. */
export function generateHomelab(dir: string, count: number): string {
  const k8s = join(dir, 'k8s');
  mkdirSync(join(k8s, 'apps'), { recursive: true });
  const nsCount = 10;
  const ns = Array.from({ length: nsCount }, (_, i) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns${i}\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n`);
  writeFileSync(join(k8s, 'namespaces.yaml'), ns.join('---\n'));
  const claims = Math.floor(count / 10);
  const pvs = Array.from({ length: claims }, (_, i) => `apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: pv${i}\n  labels:\n    environment: prod\n    claim: c${i}\nspec:\n  capacity:\n    storage: 10Gi\n  accessModes: [ReadWriteOnce]\n  storageClassName: local-storage\n  local:\n    path: /srv/pv${i}\n  nodeAffinity:\n    required:\n      nodeSelectorTerms:\n        - matchExpressions:\n            - { key: kubernetes.io/hostname, operator: In, values: [NODE_NAME] }\n`);
  writeFileSync(join(k8s, 'storage.yaml'), [`apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: local-storage\nprovisioner: kubernetes.io/no-provisioner\nvolumeBindingMode: WaitForFirstConsumer\n`, ...pvs].join('---\n'));
  const docs: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = `ns${i % nsCount}`;
    if (i < claims) {
      docs.push(`apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: claim${i}\n  namespace: ${n}\nspec:\n  storageClassName: local-storage\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 5Gi\n  selector:\n    matchLabels:\n      environment: prod\n      claim: c${i}\n`);
    } else if (i % 3 === 0) {
      docs.push(`apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app${i}\n  namespace: ${n}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: { app: app${i} }\n  template:\n    metadata:\n      labels: { app: app${i} }\n    spec:\n      securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }\n      containers:\n        - name: main\n          image: registry.local/app:${i}\n          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }\n`);
    } else if (i % 3 === 1) {
      docs.push(`apiVersion: v1\nkind: Service\nmetadata:\n  name: svc${i}\n  namespace: ${n}\nspec:\n  selector: { app: app${i} }\n  ports: [{ port: 80 }]\n`);
    } else {
      docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm${i}\n  namespace: ${n}\ndata:\n  key: value-${i}\n`);
    }
  }
  writeFileSync(join(k8s, 'apps', 'all.yaml'), docs.join('---\n'));
  const config = join(dir, 'homelab.yaml');
  writeFileSync(
    config,
    `apiVersion: homelab-dr/v1\nkind: RecoveryPlan\ncluster:\n  provider: kwok\n  name: bench\nnamespaces:\n  file: ./k8s/namespaces.yaml\nstorage:\n  file: ./k8s/storage.yaml\n  requiredLabels: { environment: prod }\nsecretStores:\n  local:\n    type: env\nsecrets: []\napps:\n  items:\n    - name: all\n      manifests: ./k8s/apps\n`,
  );
  return config;
}

const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

function intEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${raw} is not a positive integer`);
  if (value < min) {
    log(`${name}=${value} raised to ${min}: every row is the median of at least ${min} runs`);
    return min;
  }
  return value;
}

const SECTIONS = ['startup', 'plan', 'seal', 'cluster', 'rehearsal', 'crashloop', 'k3d', 'multinode'] as const;
type SectionId = (typeof SECTIONS)[number];

interface Context {
  rows: Row[];
  notes: string[];
  samples: Record<string, unknown>;
  failed: boolean;
}

const secs = (xs: readonly number[]) => summarize(xs);
const status = (ok: boolean) => (ok ? ('met' as const) : ('MISSED' as const));

/** Interleaved (baseline, subject) pairs, so that both see the same moment's machine load. */
function measurePairs(a: string[], b: string[], runs: number, opts: { cwd?: string } = {}): [ProcSample[], ProcSample[]] {
  const as: ProcSample[] = [];
  const bs: ProcSample[] = [];
  for (let i = 0; i < runs; i++) {
    as.push(...measureProcess(a, 1, opts));
    bs.push(...measureProcess(b, 1, opts));
  }
  return [as, bs];
}

async function section(ctx: Context, id: SectionId, names: string[], targets: string[], body: () => Promise<void> | void): Promise<void> {
  const started = Date.now();
  log(`section ${id}: start`);
  try {
    await body();
    log(`section ${id}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    ctx.failed = true;
    log(`section ${id} FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    names.forEach((name, i) => ctx.rows.push(failedRow(name, err, targets[i] ?? '')));
  }
}

async function startupRows(ctx: Context, runs: number): Promise<void> {
  const [base, help] = measurePairs([process.execPath, '-e', '0'], [process.execPath, cli, '--help'], runs);
  const b = secs(base.map((s) => s.seconds));
  const h = secs(help.map((s) => s.seconds));
  const r = summarize(pairedRatios(help.map((s) => s.seconds), base.map((s) => s.seconds)));
  ctx.rows.push(
    { name: 'cold start: `node -e 0`', runs, median: fmtSeconds(b.median), spread: spread(b, fmtSeconds), ratio: 'baseline', target: '—', status: 'baseline' },
    {
      name: 'cold start: `homelab-dr --help`',
      runs,
      median: fmtSeconds(h.median),
      spread: spread(h, fmtSeconds),
      ratio: `${fmtRatio(r.median)} node -e 0 (${fmtRatio(r.min)} – ${fmtRatio(r.max)})`,
      target: '≤ 300 ms median',
      status: status(h.median <= 0.3),
    },
  );
  ctx.samples.startup = { nodeSeconds: base.map((s) => s.seconds), helpSeconds: help.map((s) => s.seconds) };
}

async function planRows(ctx: Context, runs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hdr-bench-plan-'));
  try {
    const config = generateHomelab(dir, 1000);
    const [base, plan] = measurePairs([process.execPath, '-e', '0'], [process.execPath, cli, 'plan', '--config', config], runs);
    const t = secs(plan.map((s) => s.seconds));
    const tr = summarize(pairedRatios(plan.map((s) => s.seconds), base.map((s) => s.seconds)));
    const m = secs(plan.map((s) => s.maxRssKb));
    const mr = summarize(pairedRatios(plan.map((s) => s.maxRssKb), base.map((s) => s.maxRssKb)));
    ctx.rows.push(
      {
        name: 'plan, 1,000 manifest objects: time',
        runs,
        median: fmtSeconds(t.median),
        spread: spread(t, fmtSeconds),
        ratio: `${fmtRatio(tr.median)} node -e 0 (${fmtRatio(tr.min)} – ${fmtRatio(tr.max)})`,
        target: '≤ 1 s median',
        status: status(t.median <= 1),
      },
      {
        name: 'plan, 1,000 manifest objects: peak RSS',
        runs,
        median: fmtMb(m.median),
        spread: spread(m, fmtMb),
        ratio: `${fmtRatio(mr.median)} node -e 0's RSS (${fmtRatio(mr.min)} – ${fmtRatio(mr.max)})`,
        target: '≤ 200 MB in every run',
        status: status(m.max <= 200 * 1024),
      },
    );
    ctx.samples.plan = { seconds: plan.map((s) => s.seconds), maxRssKb: plan.map((s) => s.maxRssKb), nodeMaxRssKb: base.map((s) => s.maxRssKb) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function sealRows(ctx: Context, runs: number, m: number): Promise<void> {
  const { homelabDr, kubesealLoop } = await benchSeal(m, runs);
  const k = secs(kubesealLoop);
  const h = secs(homelabDr);
  const faster = summarize(pairedRatios(kubesealLoop, homelabDr));
  ctx.rows.push(
    {
      name: `sealing ${m} secrets: \`kubeseal --cert\` per secret`,
      runs,
      median: fmtSeconds(k.median),
      spread: spread(k, fmtSeconds),
      ratio: `baseline (${(m / k.median).toFixed(0)} secrets/s)`,
      target: '—',
      status: 'baseline',
    },
    {
      name: `sealing ${m} secrets: homelab-dr in-process (src/secrets/seal.ts)`,
      runs,
      median: fmtSeconds(h.median),
      spread: spread(h, fmtSeconds),
      ratio: `speed-up vs the kubeseal loop ${fmtRatio(faster.median)} (${fmtRatio(faster.min)} – ${fmtRatio(faster.max)})`,
      target: '>= 10x faster than the kubeseal loop (issue 5)',
      status: status(faster.median >= 10),
    },
  );
  ctx.samples.seal = { secrets: m, kubesealLoopSeconds: kubesealLoop, homelabDrSeconds: homelabDr };
}

async function clusterRows(ctx: Context, runs: number, n: number): Promise<void> {
  await withKwokCluster(async (s) => {
    // Readiness first, on the fresh cluster: after the apply rounds the controller-manager still works
    // through hundreds of new Deployments, and the first readiness run would wait in that queue.
    const ready = await benchReadiness(s, runs);
    const r = secs(ready);
    const readyRow: Row = {
      name: 'readiness: apply a 1-replica Deployment → reported healthy (KubeClient.waitFor + health rule; kwok makes the pod Ready)',
      runs,
      median: fmtSeconds(r.median),
      spread: spread(r, fmtSeconds),
      ratio: '—',
      target: 'none set (reported)',
      status: 'no target',
    };
    ctx.samples.readiness = ready;
    try {
      const applied = await benchApply(s, n, runs);
      const loop = applied['kubectl-loop'];
      const bulk = applied['kubectl-bulk-ssa'];
      const hdr = applied['homelab-dr'];
      const l = secs(loop);
      const b = secs(bulk);
      const h = secs(hdr);
      const rate = (x: number) => `${(n / x).toFixed(0)} objects/s`;
      const bulkVsLoop = summarize(pairedRatios(loop, bulk));
      const hdrVsLoop = summarize(pairedRatios(loop, hdr));
      const hdrVsBulk = summarize(pairedRatios(bulk, hdr));
      const names: Record<ApplyMethod, string> = {
        'kubectl-loop': `apply ${n} objects: \`kubectl apply -f\` per file`,
        'kubectl-bulk-ssa': `apply ${n} objects: one \`kubectl apply --server-side\``,
        'homelab-dr': `apply ${n} objects: homelab-dr server-side apply (KubeClient + applyCounted)`,
      };
      ctx.rows.push(
        { name: names['kubectl-loop'], runs, median: fmtSeconds(l.median), spread: spread(l, fmtSeconds), ratio: `baseline (${rate(l.median)})`, target: '—', status: 'baseline' },
        {
          name: names['kubectl-bulk-ssa'],
          runs,
          median: fmtSeconds(b.median),
          spread: spread(b, fmtSeconds),
          ratio: `speed-up vs the loop ${fmtRatio(bulkVsLoop.median)} (${fmtRatio(bulkVsLoop.min)} – ${fmtRatio(bulkVsLoop.max)}); ${rate(b.median)}`,
          target: '— (second baseline)',
          status: 'baseline',
        },
        {
          name: names['homelab-dr'],
          runs,
          median: fmtSeconds(h.median),
          spread: spread(h, fmtSeconds),
          ratio:
            `speed-up vs the loop ${fmtRatio(hdrVsLoop.median)} (${fmtRatio(hdrVsLoop.min)} – ${fmtRatio(hdrVsLoop.max)}); ` +
            `vs the bulk apply ${fmtRatio(hdrVsBulk.median)} (${fmtRatio(hdrVsBulk.min)} – ${fmtRatio(hdrVsBulk.max)}); ${rate(h.median)}`,
          target: 'faster than the per-file kubectl loop',
          status: status(h.median < l.median),
        },
      );
      ctx.samples.apply = { objects: n, ...applied };
    } finally {
      // After the apply rows (the table's order), and kept even when the apply rounds fail.
      ctx.rows.push(readyRow);
    }
    ctx.samples.kwokClusterCreateSeconds = s.createSeconds;
  });
}

async function rehearsalRows(ctx: Context, runs: number): Promise<void> {
  const results = await benchRehearsal(root, cli, REHEARSAL_CONFIG, runs);
  const green = results.filter((r) => r.green).length;
  const rto = secs(results.map((r) => r.seconds));
  const allGreen = green === results.length;
  ctx.rows.push({
    name: '`dr-test --provider kwok` on config/example: RTO (process start → exit, green)',
    runs,
    median: fmtSeconds(rto.median),
    spread: spread(rto, fmtSeconds),
    ratio: `${green}/${results.length} runs green (exit ${[...new Set(results.map((r) => r.exitCode))].join(', ')})`,
    target: 'green end-to-end < 2 min, every run',
    status: status(allGreen && rto.max < 120),
  });
  // Per-step breakdown, in the order the steps first appear in the journals.
  const order: string[] = [];
  for (const r of results) for (const id of r.steps.keys()) if (!order.includes(id)) order.push(id);
  for (const id of order) {
    const xs = results.map((r) => r.steps.get(id)).filter((x): x is number => x !== undefined);
    const s = secs(xs);
    ctx.rows.push({
      name: `  ↳ step ${id}`,
      runs: xs.length,
      median: fmtSeconds(s.median),
      spread: spread(s, fmtSeconds),
      ratio: `${((100 * s.median) / rto.median).toFixed(0)}% of the RTO median`,
      target: '(breakdown)',
      status: 'no target',
    });
  }
  const outside = secs(results.map((r) => r.seconds - r.stepSpanSeconds).filter(Number.isFinite));
  ctx.rows.push({
    name: '  ↳ outside the step DAG (CLI start, config, proof, teardown of the throwaway cluster)',
    runs: outside.n,
    median: fmtSeconds(outside.median),
    spread: spread(outside, fmtSeconds),
    ratio: `${((100 * outside.median) / rto.median).toFixed(0)}% of the RTO median`,
    target: '(breakdown)',
    status: 'no target',
  });
  const rss = secs(results.map((r) => r.maxRssKb));
  ctx.rows.push({
    name: '`dr-test` orchestrator process: peak RSS (its own VmHWM, children excluded)',
    runs,
    median: fmtMb(rss.median),
    spread: spread(rss, fmtMb),
    ratio: '—',
    target: '≤ 300 MB in every run',
    status: status(Number.isFinite(rss.max) && rss.max <= 300 * 1024),
  });
  ctx.samples.rehearsal = results.map((r: RehearsalRun) => ({
    exitCode: r.exitCode,
    seconds: +r.seconds.toFixed(2),
    maxRssKb: r.maxRssKb,
    steps: Object.fromEntries([...r.steps].map(([k, v]) => [k, +v.toFixed(2)])),
  }));
  if (!allGreen) {
    const red = results.find((r) => !r.green);
    ctx.notes.push(`A rehearsal run was not green; the last lines of its output:\n\n\`\`\`\n${red?.tail ?? ''}\n\`\`\``);
  }
}

/** Per-step rows of one side of the k3d RTO, in the order its steps first ran, each as a share of its RTO median. */
function rtoStepRows(label: string, results: readonly RtoRun[], rtoMedian: number): Row[] {
  const order: string[] = [];
  for (const r of results) for (const id of r.steps.keys()) if (!order.includes(id)) order.push(id);
  return order.map((id) => {
    const s = secs(results.map((r) => r.steps.get(id)).filter((x): x is number => x !== undefined));
    return { name: `  ↳ ${label} step ${id}`, runs: s.n, median: fmtSeconds(s.median), spread: spread(s, fmtSeconds), ratio: `${((100 * s.median) / rtoMedian).toFixed(0)}% of its RTO median`, target: '(breakdown)', status: 'no target' as const };
  });
}

/** homelab-dr's time outside its steps: before the first (start, config, guards, screen) and after the last. */
function outsideStepsRows(results: readonly RtoRun[], rtoMedian: number): Row[] {
  const rows: Array<[string, (r: RtoRun) => number | undefined]> = [
    ['before its first step (process start, config, guards, litmus, blast-radius screen, confirmation)', (r) => r.beforeSteps],
    ['after its last step (summary, journal end, exit)', (r) => r.afterSteps],
  ];
  return rows.map(([what, of]) => {
    const s = secs(results.map(of).filter((x): x is number => x !== undefined && Number.isFinite(x)));
    return { name: `  ↳ homelab-dr ${what}`, runs: s.n, median: fmtSeconds(s.median), spread: spread(s, fmtSeconds), ratio: `${((100 * s.median) / rtoMedian).toFixed(0)}% of its RTO median`, target: '(breakdown)', status: 'no target' as const };
  });
}

/** Node start (`k3d cluster create --wait` itself, the same command on both sides) against everything else the run does. */
function nodeStartRow(label: string, results: readonly RtoRun[]): Row {
  const node = secs(results.map((r) => r.nodeStart).filter(Number.isFinite));
  const rest = secs(results.map((r) => r.seconds - r.nodeStart).filter(Number.isFinite));
  const share = (100 * node.median) / (node.median + rest.median);
  return {
    name: `  ↳ ${label}: node start (\`k3d cluster create --wait\`) vs orchestration (the rest of the RTO)`,
    runs: node.n,
    median: `${fmtSeconds(node.median)} / ${fmtSeconds(rest.median)}`,
    spread: `${spread(node, fmtSeconds)} / ${spread(rest, fmtSeconds)}`,
    ratio: `${share.toFixed(0)}% node start, ${(100 - share).toFixed(0)}% orchestration`,
    target: '(breakdown)',
    status: 'no target',
  };
}

/** The two sides' orchestration (RTO minus node start), paired per round: where homelab-dr's own work is faster or not. */
function orchestrationRow(homelabDr: readonly RtoRun[], shell: readonly RtoRun[]): Row {
  const rest = (r: RtoRun) => r.seconds - r.nodeStart;
  const ratio = summarize(pairedRatios(shell.map(rest), homelabDr.map(rest)).filter(Number.isFinite));
  const hd = secs(homelabDr.map(rest).filter(Number.isFinite));
  return {
    name: '  ↳ orchestration alone (RTO minus node start): homelab-dr vs the shell baseline',
    runs: hd.n,
    median: fmtSeconds(hd.median),
    spread: spread(hd, fmtSeconds),
    ratio: `speed-up vs the shell's orchestration ${fmtRatio(ratio.median)} (${fmtRatio(ratio.min)} – ${fmtRatio(ratio.max)})`,
    target: '(breakdown)',
    status: 'no target',
  };
}

async function k3dRows(ctx: Context, runs: number): Promise<void> {
  const found = k3dTierFromEnv();
  if ('skip' in found) {
    log(`section k3d SKIPPED: ${found.skip}`);
    ctx.notes.push(`The k3d RTO rows were not measured: ${found.skip}.`);
    return;
  }
  const { homelabDr, shell, shellWatch, cluster } = await benchK3dRto(root, cli, found.tier, runs);
  const green = (rs: readonly RtoRun[]) => rs.filter((r) => r.green).length;
  const sh = secs(shell.map((r) => r.seconds));
  const shw = secs(shellWatch.map((r) => r.seconds));
  const hd = secs(homelabDr.map((r) => r.seconds));
  const faster = summarize(pairedRatios(shell.map((r) => r.seconds), homelabDr.map((r) => r.seconds)));
  const fasterThanWatch = summarize(pairedRatios(shellWatch.map((r) => r.seconds), homelabDr.map((r) => r.seconds)));
  const allGreen = green(homelabDr) === runs && green(shell) === runs;
  ctx.rows.push(
    {
      name: `k3d RTO of e2e/homelab: shell baseline (bench/k3d-baseline.sh: k3d delete/create, kubectl apply -f per file, kubeseal per secret, sleep-polling waits: a check that answers at once, then sleep 2)`,
      runs,
      median: fmtSeconds(sh.median),
      spread: spread(sh, fmtSeconds),
      ratio: `baseline; ${green(shell)}/${runs} runs green`,
      target: '—',
      status: 'baseline',
    },
    {
      name: '`hard-reset --provider k3d` of e2e/homelab: RTO (process start → exit)',
      runs,
      median: fmtSeconds(hd.median),
      spread: spread(hd, fmtSeconds),
      ratio: `speed-up vs the shell baseline ${fmtRatio(faster.median)} (${fmtRatio(faster.min)} – ${fmtRatio(faster.max)}); ${green(homelabDr)}/${runs} runs green`,
      target: 'faster than the shell baseline, every run of both green',
      // Judged by the paired ratio, as its row reads: two medians can part while most rounds go the other way.
      status: status(allGreen && faster.median > 1),
    },
    {
      name: '  ↳ beside it, the same script with kubectl\'s watching waits in its loops (WAITS=watch: `kubectl wait`, `rollout status`), stronger than the incident\'s',
      runs,
      median: fmtSeconds(shw.median),
      spread: spread(shw, fmtSeconds),
      ratio: `homelab-dr's speed-up vs it ${fmtRatio(fasterThanWatch.median)} (${fmtRatio(fasterThanWatch.min)} – ${fmtRatio(fasterThanWatch.max)}); ${green(shellWatch)}/${runs} runs green`,
      target: '(reference)',
      status: 'no target',
    },
    ...outsideStepsRows(homelabDr, hd.median),
    ...rtoStepRows('homelab-dr', homelabDr, hd.median),
    nodeStartRow('homelab-dr', homelabDr),
    ...rtoStepRows('shell', shell, sh.median),
    nodeStartRow('shell', shell),
    ...rtoStepRows('shell WAITS=watch', shellWatch, shw.median),
    orchestrationRow(homelabDr, shell),
  );
  const fixed = (x: number | undefined) => (x === undefined ? undefined : +x.toFixed(2));
  const raw = (rs: readonly RtoRun[]) =>
    rs.map((r) => ({
      exitCode: r.exitCode,
      seconds: +r.seconds.toFixed(2),
      nodeStart: fixed(r.nodeStart),
      ...(r.beforeSteps !== undefined ? { beforeSteps: fixed(r.beforeSteps), afterSteps: fixed(r.afterSteps) } : {}),
      steps: Object.fromEntries([...r.steps].map(([k, v]) => [k, +v.toFixed(2)])),
    }));
  ctx.samples.k3dRto = { cluster, homelabDr: raw(homelabDr), shell: raw(shell), shellWatch: raw(shellWatch) };
  const red = [...homelabDr, ...shell, ...shellWatch].find((r) => !r.green);
  if (red) ctx.notes.push(`A k3d RTO run was not green; the last lines of its output:\n\n\`\`\`\n${red.tail}\n\`\`\``);
}

const MULTINODE_NAME = `${MULTINODE.servers} servers + ${MULTINODE.agents} agents, ${MULTINODE.namespaces} ns, ${MULTINODE.objects} objects, ${MULTINODE.secrets} secrets, ${MULTINODE.pvs} PVs`;

/** Issue 16: plan and a kwok rehearsal of the generated multi-node homelab, and the orchestrator's own share of its RTO. */
async function multinodeRows(ctx: Context, light: number, heavy: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hdr-bench-multinode-'));
  // plan and the rehearsal's dr-test children inherit the env store's (fake) values from this process.
  Object.assign(process.env, multinodeSecretEnv());
  try {
    const config = generateMultinodeHomelab(dir, root);
    const [base, plan] = measurePairs([process.execPath, '-e', '0'], [process.execPath, cli, 'plan', '--config', config], light);
    const t = secs(plan.map((p) => p.seconds));
    const tr = summarize(pairedRatios(plan.map((p) => p.seconds), base.map((p) => p.seconds)));
    const cpu = secs(plan.map((p) => p.cpuSeconds));
    const m = secs(plan.map((p) => p.maxRssKb));
    ctx.rows.push(
      {
        name: `plan, ${MULTINODE_NAME}: time`,
        runs: light,
        median: fmtSeconds(t.median),
        spread: spread(t, fmtSeconds),
        ratio: `${fmtRatio(tr.median)} node -e 0 (${fmtRatio(tr.min)} – ${fmtRatio(tr.max)}); own CPU ${fmtSeconds(cpu.median)} (${fmtSeconds(cpu.min)} – ${fmtSeconds(cpu.max)})`,
        target: '≤ 2 s median',
        status: status(t.median <= 2),
      },
      {
        name: `plan, ${MULTINODE_NAME}: peak RSS`,
        runs: light,
        median: fmtMb(m.median),
        spread: spread(m, fmtMb),
        ratio: '—',
        target: '≤ 300 MB in every run',
        status: status(m.max <= 300 * 1024),
      },
    );
    // 2,000 objects and 300 secrets take longer than the example's 5-minute cap on a loaded machine.
    const results = await benchRehearsal(root, cli, config, heavy, 1_200_000);
    const green = results.filter((r) => r.green).length;
    const rto = secs(results.map((r) => r.seconds));
    const share = secs(results.map((r) => r.cpuSeconds / r.seconds));
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    ctx.rows.push(
      {
        name: `\`dr-test --provider kwok\`, ${MULTINODE_NAME}: RTO (process start → exit)`,
        runs: heavy,
        median: fmtSeconds(rto.median),
        spread: spread(rto, fmtSeconds),
        ratio: `${green}/${results.length} runs green (exit ${[...new Set(results.map((r) => r.exitCode))].join(', ')})`,
        target: 'every run green',
        status: status(green === results.length),
      },
      {
        name: '  ↳ the orchestrator\'s own time (its CPU, user + system, children excluded) / RTO',
        runs: heavy,
        median: pct(share.median),
        spread: `${pct(share.min)} – ${pct(share.max)}`,
        ratio: `own CPU ${fmtSeconds(secs(results.map((r) => r.cpuSeconds)).median)} median`,
        target: '≤ 10% in every run',
        status: status(Number.isFinite(share.max) && share.max <= 0.1),
      },
    );
    ctx.samples.multinode = {
      plan: plan.map((p) => ({ seconds: +p.seconds.toFixed(3), cpuSeconds: p.cpuSeconds, maxRssKb: p.maxRssKb })),
      nodeSeconds: base.map((p) => p.seconds),
      rehearsal: results.map((r) => ({ exitCode: r.exitCode, seconds: +r.seconds.toFixed(2), cpuSeconds: +r.cpuSeconds.toFixed(2), maxRssKb: r.maxRssKb })),
    };
    if (green !== results.length) ctx.notes.push(`A multi-node rehearsal run was not green; its last lines:\n\n\`\`\`\n${results.find((r) => !r.green)?.tail ?? ''}\n\`\`\``);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The example's apps.wait: how long the run stayed green-pending on a crash loop before issue 13. */
const EXAMPLE_APPS_WAIT_SECONDS = 600;

async function crashLoopRows(ctx: Context, runs: number): Promise<void> {
  const results = await benchCrashLoop(root, cli, runs);
  const red = secs(results.map((r) => r.secondsToRed));
  const allNamed = results.every((r) => r.exitCode === 1 && r.namedTheCause);
  ctx.rows.push(
    {
      name: 'crash-looping app → run red, before issue 13 (the wait ran out apps.wait: stated from the config, not measured)',
      runs: '—',
      median: fmtSeconds(EXAMPLE_APPS_WAIT_SECONDS),
      spread: '—',
      ratio: 'baseline',
      target: '—',
      status: 'baseline',
    },
    {
      name: 'crash-looping app → run red (pod status set to CrashLoopBackOff → dr-test exits 1 naming it)',
      runs,
      median: fmtSeconds(red.median),
      spread: spread(red, fmtSeconds),
      ratio: `${fmtRatio(EXAMPLE_APPS_WAIT_SECONDS / red.median)} sooner than apps.wait; ${results.filter((r) => r.exitCode === 1 && r.namedTheCause).length}/${results.length} runs exit 1 naming the pod`,
      target: '< 30 s, every run exit 1 naming the cause',
      status: status(allNamed && red.max < 30),
    },
  );
  ctx.samples.crashloop = results.map((r) => ({ exitCode: r.exitCode, secondsToRed: +r.secondsToRed.toFixed(2) }));
}

function renderDocument(ctx: Context, info: ReturnType<typeof machineInfo>, runs: { light: number; heavy: number; n: number; m: number }, seconds: number): string {
  const { pins, reported } = componentVersions(root);
  const npm = npmVersions(root, ['@kubernetes/client-node', 'node-forge', 'typescript', 'yaml']);
  const missed = ctx.rows.filter((r) => r.status === 'MISSED' || r.status === 'FAILED');
  return `# homelab-dr benchmarks

Generated by \`npm run bench\` (bench/run.ts); the latest run is committed. Do not edit by hand.

- **Date:** ${info.date} (took ${(seconds / 60).toFixed(1)} min)
- **Machine:** ${info.cores} cores (${info.cpuModel}), ${info.memoryGb} GB memory, ${info.kernel}; load average (1/5/15 min) ${info.loadAverage} at the start, ${loadAverageNow()} at the end; other kube-apiserver processes on the machine (not the benchmark's): ${info.otherApiservers} at the start, ${otherApiservers()} at the end
- **Node:** ${info.node}
- **Revision:** ${gitRevision(root)}
- **Pinned components** (scripts/control-plane.pins): ${pins.map(([k, v]) => `${k}=${v}`).join(', ')}
- **Binaries as run** (from the build cache, \`--version\`): ${reported.map(([k, v]) => `${k}: ${v}`).join('; ')}
- **npm packages:** ${npm.map(([k, v]) => `${k} ${v}`).join(', ')}
- **Runs:** ${runs.light} per whole-process row (cold start, plan), ${runs.heavy} per cluster, sealing and rehearsal row; N = ${runs.n} objects per apply, M = ${runs.m} secrets per sealing run
- **Result:** ${missed.length === 0 ? 'every target met' : `${missed.length} row(s) MISSED or FAILED: ${missed.map((r) => r.name.trim()).join('; ')}`}

${renderTable([{ title: '', rows: ctx.rows, notes: [] }])}

How each row is measured:

- *Ratios* are paired: both sides measured back to back in the same round, and the column gives the
  median (min – max) of the per-round ratios. "speed-up vs X" = X's time / this row's time;
  "N× node -e 0" = this row's time (or RSS) / that of the \`node -e 0\` run just before it.
- *Cold start* and *plan*: whole \`node\` processes, each run paired with a \`node -e 0\` run right before it;
  wall time from the parent's clock, peak RSS from GNU time (\`%M\`). The plan input is generated: 1,000
  objects (Deployments, Services, ConfigMaps, PVCs with matching PVs) in 10 namespaces.
- *Sealing*: the same 4096-bit certificate for both; every output of both is unsealed with the private key
  and compared with its input afterwards (not timed). homelab-dr seals in-process, one \`sealSecret\` call
  per secret as \`reseal-secrets\` does; kubeseal runs once per secret, offline (\`--cert\`). The two
  alternate order each round; the ratio is paired per round.
- *Apply*: one kwok cluster of the pinned components (kube-apiserver, etcd, controller-manager,
  scheduler, kwok), created for the benchmark and deleted afterwards. Each round, each method applies
  the same N objects (ConfigMaps, Services, ServiceAccounts, Deployments with replicas 0) into a fresh
  namespace of its own, in rotating order. homelab-dr: a new KubeClient (discovery included) and
  \`applyCounted\` per object in order, as the apps step does (a GET, then a server-side apply, force,
  field manager homelab-dr), with the ledger checked for N created. kubectl runs with a warm discovery
  cache. After every run the objects are counted in the cluster (not timed). Ratios are paired per round.
- *Readiness*: on the same cluster while it is still fresh (before the apply rounds), a one-replica
  Deployment applied with \`applyCounted\`, then awaited with \`KubeClient.waitFor\` and the Deployment
  health rule (the apps step's wait); each run's Deployment is deleted before the next.
- *Crash loop to red*: \`dr-test\` on the example plus an app whose Deployment (minReadySeconds 1 h)
  stays InProgress; once kwok runs its pod, the bench writes a CrashLoopBackOff container status on it
  (the status subresource, as a kubelet would) and times that write → the process's exit. Each run includes
  the red run's teardown. Before issue 13, the wait ignored pod failures and ran out \`apps.wait\` (10 min).
- *Rehearsal*: \`node bin/homelab-dr.js dr-test --provider kwok --config ${REHEARSAL_CONFIG} --yes
  --state-dir <tmp>\`, one fresh state directory per run, one run after the other, with no other
  benchmark cluster running. RTO is the process's wall time; the step rows come from the run's journal
  (\`runs/*.jsonl\`, each step's startedAt → endedAt; steps in one parallel group overlap). The peak RSS is
  \`process.resourceUsage().maxRSS\` of the orchestrator process, written at exit by a preloaded hook
  (\`node --require\`), so the control plane, helm and kubectl it starts are not counted.
- *k3d RTO*: only where the real k3d tier is up (\`scripts/k3d-tier.sh env\` sourced). The e2e homelab
  (e2e/homelab, docs/e2e-homelab.md) is rebuilt as a production cluster by \`hard-reset --provider k3d
  --yes\`, by bench/k3d-baseline.sh (the issue's baseline: sleep-polling waits, a check that answers at
  once and then \`sleep 2\`) and by the same script with WAITS=watch (kubectl's own watching waits,
  \`kubectl wait\` and \`rollout status\`, inside the same loops: a stronger script than the incident's,
  a reference row). The three run in each round in an order that rotates from round to round, each
  starting from the cluster the previous one left; ratios are paired by round. All give k3d the same
  config file (the one homelab-dr generates). Step times: homelab-dr's journal, and the script's step
  markers. "Node start" is \`k3d cluster create --wait\` itself, the same command on every side: the
  script's marks around it, and for homelab-dr its create-cluster step's start → its "Cluster created"
  ledger item (the provider's existence checks included); "orchestration" is the rest of the RTO.
  homelab-dr's "before its first step" is its process start → the first step's start in its journal
  (config, guards, litmus, blast-radius screen, confirmation), which no step row counts. The
  controller's readiness is most of the spread on every side: its readinessProbe has the default period
  of 10 s, a kubelet that started less than one period before a pod's probe worker makes that worker
  sleep a random part of the period first (kubelet prober worker.go), and a first probe that finds the
  controller not yet listening waits a whole period for the next. The script waits for it inside its
  sealed-secrets-controller step, before it reseals; homelab-dr waits for it in sealed-secrets-available,
  beside reseal-secrets and apps, which need only the restored key's certificate and a running
  controller. homelab-dr also restores the backed-up key pair first, so its controller starts with a
  key, where the script's generates a new 4096-bit pair before it serves (the script has no key to
  restore, and reseals with a new certificate). With 9 rounds the ratios still move by about ±0.1× from
  one bench run to the next (BENCH_K3D_RUNS raises the rounds).
${ctx.notes.length > 0 ? `\nNotes:\n\n${ctx.notes.map((n) => `- ${n}`).join('\n')}\n` : ''}
Raw samples (seconds; RSS in KB):

\`\`\`json
${JSON.stringify(ctx.samples)}
\`\`\`
`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const info = machineInfo();
  const light = intEnv('BENCH_RUNS', 9, 5);
  const heavy = intEnv('BENCH_HEAVY_RUNS', 5, 5);
  const n = intEnv('BENCH_APPLY_N', 200, 1);
  const m = intEnv('BENCH_SEAL_M', 1000, 1);
  const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((s) => s.trim()) : undefined;
  const unknown = only?.filter((s) => !(SECTIONS as readonly string[]).includes(s)) ?? [];
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown section(s) ${unknown.join(', ')} (known: ${SECTIONS.join(', ')})`);
  const wanted = (id: SectionId) => !only || only.includes(id);
  const ctx: Context = { rows: [], notes: [], samples: {}, failed: false };

  if (wanted('startup')) await section(ctx, 'startup', ['cold start: `homelab-dr --help`'], ['≤ 300 ms median'], () => startupRows(ctx, light));
  if (wanted('plan')) await section(ctx, 'plan', ['plan, 1,000 manifest objects'], ['≤ 1 s median, ≤ 200 MB peak RSS'], () => planRows(ctx, light));
  if (wanted('seal')) await section(ctx, 'seal', [`sealing ${m} secrets: homelab-dr vs kubeseal loop`], ['>= 10x faster than the kubeseal loop (issue 5)'], () => sealRows(ctx, heavy, m));
  if (wanted('cluster')) {
    await section(ctx, 'cluster', [`apply ${n} objects / readiness latency`], ['faster than the per-file kubectl loop'], () => clusterRows(ctx, heavy, n));
  }
  if (wanted('crashloop')) {
    await section(ctx, 'crashloop', ['crash-looping app → run red'], ['< 30 s, every run exit 1 naming the cause'], () => crashLoopRows(ctx, heavy));
  }
  // Last, and alone: no benchmark cluster runs beside the rehearsal's own.
  if (wanted('rehearsal')) {
    await section(ctx, 'rehearsal', ['`dr-test --provider kwok` RTO and peak RSS'], ['green < 2 min; ≤ 300 MB'], () => rehearsalRows(ctx, heavy));
  }
  // After the rehearsal, alone as well: Docker's nodes take the CPU the kwok rows would share.
  if (wanted('k3d')) {
    await section(ctx, 'k3d', ['`hard-reset --provider k3d` RTO vs the shell baseline'], ['faster than the shell baseline'], () => k3dRows(ctx, intEnv('BENCH_K3D_RUNS', 9, 5)));
  }
  if (wanted('multinode')) {
    await section(ctx, 'multinode', [`multi-node homelab (${MULTINODE_NAME})`], ['plan ≤ 2 s, ≤ 300 MB; orchestrator ≤ 10% of the RTO'], () => multinodeRows(ctx, light, heavy));
  }

  const doc = renderDocument(ctx, info, { light, heavy, n, m }, (Date.now() - started) / 1000);
  if (only) {
    log('BENCH_ONLY is set: bench/results.md is left alone');
  } else {
    mkdirSync(join(root, 'bench'), { recursive: true });
    writeFileSync(join(root, 'bench', 'results.md'), doc);
    log('wrote bench/results.md');
  }
  process.stdout.write(doc);
  // A missed target is a result, reported in the table; a row that could not be measured is an error.
  if (ctx.failed) process.exitCode = 1;
}

// Only when run as a script: importing generateHomelab must not start a benchmark.
if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((err: unknown) => {
    process.stderr.write(`[bench] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
