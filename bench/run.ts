// Benchmarks (npm run bench). Figures are medians of repeated whole-process runs, reported as ratios
// against a baseline measured in the same run on the same machine (bare `node -e 0`), never asserted
// as timings in a test.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'bin', 'homelab-dr.js');

interface Sample {
  seconds: number;
  maxRssKb: number;
}

function measure(args: string[], runs: number): Sample[] {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
    const [sec, rss] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
    samples.push({ seconds: sec!, maxRssKb: rss! });
  }
  return samples;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

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

function main(): void {
  const runs = Number(process.env.BENCH_RUNS ?? 9);
  const baseline = measure([process.execPath, '-e', '0'], runs);
  const help = measure([process.execPath, cli, '--help'], runs);
  const dir = mkdtempSync(join(tmpdir(), 'hdr-bench-'));
  const config = generateHomelab(dir, 1000);
  const plan = measure([process.execPath, cli, 'plan', '--config', config], runs);
  const base = median(baseline.map((s) => s.seconds));
  const row = (name: string, s: Sample[], target: string) => {
    const med = median(s.map((x) => x.seconds));
    const rss = Math.max(...s.map((x) => x.maxRssKb)) / 1024;
    return { name, medianMs: Math.round(med * 1000), ratioToNodeStartup: +(med / base).toFixed(2), peakRssMb: +rss.toFixed(1), target };
  };
  const results = [
    row('node -e 0 (baseline)', baseline, '-'),
    row('homelab-dr --help (cold)', help, '<= 300 ms median'),
    row('plan, 1,000 manifest objects', plan, '<= 1 s median, <= 200 MB peak RSS'),
  ];
  console.table(results);
  console.log(JSON.stringify({ runs, results }));
}

// Only when run as a script: importing generateHomelab must not start a benchmark.
if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) main();
