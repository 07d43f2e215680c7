// The validated, path-resolved shape of a homelab-dr config (apiVersion homelab-dr/v1, kind RecoveryPlan).
// Every path here is absolute: the loader resolves them against the config file's directory.
import type { OperatorTool } from '../util/tools.js';

export type ProviderName = 'k3d' | 'kwok' | 'existing';

/** What a throwaway cluster (dr-test, drill) finds in place of a production volume: an empty directory, or a copy. */
export type VolumeSeed = 'empty' | 'copy';

export interface ClusterConfig {
  provider: ProviderName;
  name: string;
  servers: number;
  agents: number;
  image?: string;
  registries?: { use: string[]; config?: string };
  ports: Array<{ port: string; nodeFilters: string[] }>;
  volumes: Array<{ volume: string; nodeFilters: string[]; seed: VolumeSeed }>;
  k3sArgs: Array<{ arg: string; nodeFilters: string[] }>;
  /** kubeconfig file and context, for provider existing (and optionally k3d). */
  kubeconfig?: string;
  context?: string;
  /** kwok: the first server's fake node name (substituted for storage.nodeNamePlaceholder). */
  nodeName?: string;
}

export interface NamespacesConfig {
  file: string;
  /** Create namespaces that objects need but the namespaces file does not declare. */
  createMissing: boolean;
}

/** A placeholder of the storage file that stands for the node holding its PVs' data. */
export interface StorageNode {
  placeholder: string;
  /** The node's name in production. */
  node: string;
  /** On a cluster without that node: `server:N`, `agent:N` or `label:key=value`. */
  follows?: string;
}

export interface StorageConfig {
  file: string;
  nodeNamePlaceholder: string;
  /** Several nodes (default none: every PV is on the target node of nodeNamePlaceholder). */
  nodes: StorageNode[];
  requiredLabels: Record<string, string>;
}

export interface StoreRef {
  store: string;
  key: string;
}

export type SecretValueSource = StoreRef | { value: string };

export interface SealedSecretsConfig {
  namespace: string;
  controllerName: string;
  controller: { manifests?: string };
  /** At least one of the two (the schema's minProperties). */
  keyBackup?: { from?: StoreRef; file?: string };
  /** hard-reset may destroy a live sealing key that no keyBackup keeps. */
  newKeyAcceptable?: boolean;
  certOut?: string;
}

export type SecretStoreConfig =
  | { type: 'gitlab'; url: string; project: string; tokenEnv: string }
  | { type: 'sops'; path: string; ageKeyFile?: string }
  | { type: 'age'; path: string; identity: string }
  | { type: 'file'; path: string }
  | { type: 'env'; prefix?: string }
  /** The YAML says `timeout: 10s` (default); the loader converts it. */
  | { type: 'exec'; command: string[]; timeoutMs: number };

export interface SecretConfig {
  name: string;
  namespace: string;
  type: string;
  scope: 'strict' | 'namespace-wide' | 'cluster-wide';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  data: Record<string, SecretValueSource>;
}

export interface HelmSource {
  /** Absolute chart directory, or an `oci://` / `https://` reference kept as written. */
  chart: string;
  namespace: string;
  values?: string;
  releaseName?: string;
}

/** `allowEmpty`: the app may render no objects; otherwise zero objects is a problem (a wrong path, values that turn everything off). */
export type AppConfig =
  | { name: string; allowEmpty?: boolean; manifests: string }
  | { name: string; allowEmpty?: boolean; kustomize: string }
  | { name: string; allowEmpty?: boolean; helm: HelmSource };

export interface AppsConfig {
  items: AppConfig[];
  /** The YAML says `wait: { timeout: 10m }` (default 10m); the loader converts it. */
  wait: { timeoutMs: number };
}

export interface FirewallRule {
  port: number;
  proto: 'tcp' | 'udp';
  from?: string;
}

export interface FirewallConfig {
  backend: 'nftables';
  table: string;
  defaultInput: 'drop' | 'accept';
  allow: FirewallRule[];
}

export interface AccessConfig {
  /** The port host sshd listens on, which every access path below must keep reaching (default 22). */
  sshPort: number;
  /** A tunnel inside the cluster (cloudflared...) that reaches host sshd; `from` is where its connections come from. */
  tunnel?: { from: string[] };
  /** Ways in that do not pass through the cluster; `from` is where their connections to sshd come from. */
  alternate: Array<{ name: string; check: string; from?: string }>;
}

export interface DrillConfig {
  reportDir?: string;
  metricsTextfile?: string;
  notify?: { webhook: string };
  schedule?: string;
  /** Throwaway clusters older than this are removed by every drill before it starts. */
  throwawayMaxAgeMs: number;
}

export interface HomelabConfig {
  /** Absolute path of the config file this was loaded from. */
  source: string;
  /** Accepted-but-discouraged input, each line `file:line:col: field: message` (e.g. the legacy apps/wait shape). */
  warnings: string[];
  cluster: ClusterConfig;
  namespaces?: NamespacesConfig;
  storage?: StorageConfig;
  sealedSecrets?: SealedSecretsConfig;
  secretStores: Record<string, SecretStoreConfig>;
  secrets: SecretConfig[];
  apps: AppsConfig;
  firewall?: FirewallConfig;
  access: AccessConfig;
  drill: DrillConfig;
  /** Paths of the operator's tools, absolute (src/util/tools.ts: HOMELAB_DR_<TOOL> overrides, PATH is the default). */
  tools?: Partial<Record<OperatorTool, string>>;
}
