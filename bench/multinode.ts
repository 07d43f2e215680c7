// Issue 16's scale: a generated homelab of 3 servers + 5 agents, 40 namespaces, 2,000 app objects,
// 300 secrets and 200 PVs spread over the eight nodes (one placeholder per node, each following its
// role and index on the rehearsal's kwok nodes), each PV claimed by a Deployment that the scheduler must
// place on its PV's node. The secret values come from an env store the bench fills in its own process.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const MULTINODE = { servers: 3, agents: 5, namespaces: 40, objects: 2000, secrets: 300, pvs: 200 } as const;
const ENV_PREFIX = 'HDR_BENCH_MN_';

/** The node slots, in the order PVs are dealt to them: server:0..2, agent:0..4. */
function slots(): Array<{ placeholder: string; follows: string; production: string }> {
  const roles = [...Array.from({ length: MULTINODE.servers }, (_, i) => ['server', i] as const), ...Array.from({ length: MULTINODE.agents }, (_, i) => ['agent', i] as const)];
  return roles.map(([role, i]) => ({ placeholder: `${role.toUpperCase()}_${i}_NODE`, follows: `${role}:${i}`, production: `k3d-benchmn-${role}-${i}` }));
}

/** Env values for the store, set in the bench process so that its dr-test children inherit them (fake, not secrets). */
export function multinodeSecretEnv(): Record<string, string> {
  return Object.fromEntries(Array.from({ length: MULTINODE.secrets }, (_, i) => [`${ENV_PREFIX}S${i}`, `bench-value-${i}`]));
}

function pvDoc(i: number, placeholder: string): string {
  return `apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: pv${i}\n  labels: { environment: prod, claim: c${i} }\nspec:\n  capacity: { storage: 1Gi }\n  accessModes: [ReadWriteOnce]\n  persistentVolumeReclaimPolicy: Retain\n  storageClassName: local-storage\n  local: { path: /srv/pv${i} }\n  nodeAffinity:\n    required:\n      nodeSelectorTerms:\n        - matchExpressions:\n            - { key: kubernetes.io/hostname, operator: In, values: [${placeholder}] }\n`;
}

function claimedApp(i: number, ns: string): string[] {
  return [
    `apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: { name: claim${i}, namespace: ${ns} }\nspec:\n  storageClassName: local-storage\n  accessModes: [ReadWriteOnce]\n  resources: { requests: { storage: 1Gi } }\n  selector: { matchLabels: { environment: prod, claim: c${i} } }\n`,
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: app${i}, namespace: ${ns} }\nspec:\n  replicas: 1\n  strategy: { type: Recreate }\n  selector: { matchLabels: { app: app${i} } }\n  template:\n    metadata: { labels: { app: app${i} } }\n    spec:\n      containers: [{ name: main, image: registry.k8s.io/pause:3.10 }]\n      volumes: [{ name: data, persistentVolumeClaim: { claimName: claim${i} } }]\n`,
  ];
}

/** Writes the homelab under `dir` and returns its config path; `root` is the repository (for the controller manifest). */
export function generateMultinodeHomelab(dir: string, root: string): string {
  const k8s = join(dir, 'k8s');
  mkdirSync(join(k8s, 'apps'), { recursive: true });
  const nsName = (i: number) => `ns${i % MULTINODE.namespaces}`;
  const ns = Array.from({ length: MULTINODE.namespaces }, (_, i) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns${i}\n  labels: { pod-security.kubernetes.io/enforce: baseline }\n`);
  writeFileSync(join(k8s, 'namespaces.yaml'), ns.join('---\n'));
  const nodeSlots = slots();
  const pvs = Array.from({ length: MULTINODE.pvs }, (_, i) => pvDoc(i, nodeSlots[i % nodeSlots.length]!.placeholder));
  writeFileSync(join(k8s, 'storage.yaml'), [`apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: local-storage\nprovisioner: kubernetes.io/no-provisioner\nvolumeBindingMode: WaitForFirstConsumer\n`, ...pvs].join('---\n'));
  // 200 claims + 200 Deployments; the rest ConfigMaps and headless Services (a kwok cluster's service
  // range has 254 addresses), to 2,000 objects.
  const docs: string[] = [];
  for (let i = 0; i < MULTINODE.pvs; i++) docs.push(...claimedApp(i, nsName(i)));
  for (let i = docs.length; i < MULTINODE.objects; i++) {
    docs.push(i % 2 === 0
      ? `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm${i}, namespace: ${nsName(i)} }\ndata: { key: value-${i} }\n`
      : `apiVersion: v1\nkind: Service\nmetadata: { name: svc${i}, namespace: ${nsName(i)} }\nspec:\n  clusterIP: None\n  selector: { app: app${i} }\n  ports: [{ port: 80 }]\n`);
  }
  writeFileSync(join(k8s, 'apps', 'all.yaml'), docs.join('---\n'));
  mkdirSync(join(dir, 'sealed-secrets'));
  copyFileSync(join(root, 'config', 'example', 'kubernetes', 'sealed-secrets', 'controller.yaml'), join(dir, 'sealed-secrets', 'controller.yaml'));
  const secrets = Array.from({ length: MULTINODE.secrets }, (_, i) => `  - { name: secret${i}, namespace: ${nsName(i)}, data: { value: { store: local, key: S${i} } } }`);
  const storageNodes = nodeSlots.slice(1).map((s) => `    - { placeholder: ${s.placeholder}, node: ${s.production}, follows: "${s.follows}" }`);
  const config = join(dir, 'homelab.yaml');
  writeFileSync(config, `apiVersion: homelab-dr/v1
kind: RecoveryPlan
cluster:
  provider: kwok
  name: benchmn
  servers: ${MULTINODE.servers}
  agents: ${MULTINODE.agents}
namespaces:
  file: ./k8s/namespaces.yaml
storage:
  file: ./k8s/storage.yaml
  nodeNamePlaceholder: ${nodeSlots[0]!.placeholder}
  requiredLabels: { environment: prod }
  nodes:
${storageNodes.join('\n')}
sealedSecrets:
  namespace: kube-system
  controller: { manifests: ./sealed-secrets/controller.yaml }
  newKeyAcceptable: true
secretStores:
  local: { type: env, prefix: ${ENV_PREFIX} }
secrets:
${secrets.join('\n')}
apps:
  items:
    - name: all
      manifests: ./k8s/apps
  wait: { timeout: 10m }
`);
  return config;
}
