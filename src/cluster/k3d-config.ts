// The k3d config file (apiVersion k3d.io/v1alpha5, kind Simple) for one cluster, and the k3d command
// lines around it. Pure: the caller reads registries.yaml, writes the file and runs k3d.
import { writeYaml } from '../k8s/yaml-write.js';
import type { ClusterConfig } from '../config/types.js';
import { InputError } from '../util/errors.js';

export const K3D_CONFIG_API_VERSION = 'k3d.io/v1alpha5';
export const EXAMPLE_K3S_IMAGE = 'rancher/k3s:v1.33.4-k3s1';

interface WithNodeFilters {
  nodeFilters: string[];
}

/** The subset of k3d's SimpleConfig that homelab-dr writes (field names as in k3d's v1alpha5 types.go). */
export interface K3dSimpleConfig {
  apiVersion: typeof K3D_CONFIG_API_VERSION;
  kind: 'Simple';
  metadata: { name: string };
  servers: number;
  agents: number;
  image?: string;
  volumes?: Array<{ volume: string } & WithNodeFilters>;
  ports?: Array<{ port: string } & WithNodeFilters>;
  registries?: { use?: string[]; config?: string };
  options: {
    k3s?: { extraArgs: Array<{ arg: string } & WithNodeFilters> };
    kubeconfig: { updateDefaultKubeconfig: false; switchCurrentContext: false };
  };
}

/** Why an image reference is not pinned, or undefined when it is (a tag or a digest). */
export function imageTagProblem(image: string): string | undefined {
  const digestAt = image.indexOf('@');
  if (digestAt >= 0) return digestAt < image.length - 1 ? undefined : `image "${image}" has an empty digest`;
  // A colon before the last '/' belongs to a registry port (registry.local:5000/k3s), not a tag.
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const tagAt = lastSegment.indexOf(':');
  if (tagAt < 0 || tagAt === lastSegment.length - 1) {
    return `image "${image}" has no tag: pin the k3s version, e.g. ${EXAMPLE_K3S_IMAGE}`;
  }
  return undefined;
}

/**
 * k3d tells an embedded registries.yaml from a file path by the presence of a newline, so the embedded
 * text always ends with one (a one-line flow-style file would otherwise be opened as a path).
 */
export function embeddableRegistriesYaml(text: string): string {
  return `${text.trimEnd()}\n`;
}

/**
 * The config for cluster `name` (which differs from config.name for a dr-test cluster).
 * `registriesYaml` is the content of config.registries.config, read by the caller.
 */
export function k3dSimpleConfig(name: string, config: ClusterConfig, registriesYaml?: string): K3dSimpleConfig {
  if (config.image !== undefined) {
    const problem = imageTagProblem(config.image);
    if (problem) throw new InputError(`cluster.image: ${problem}`);
  }
  if (config.registries?.config !== undefined && registriesYaml === undefined) {
    throw new Error(`k3dSimpleConfig: the content of ${config.registries.config} was not passed in`);
  }
  const registries = registriesSection(config, registriesYaml);
  return {
    apiVersion: K3D_CONFIG_API_VERSION,
    kind: 'Simple',
    metadata: { name },
    servers: config.servers,
    agents: config.agents,
    ...(config.image !== undefined ? { image: config.image } : {}),
    ...(config.volumes.length > 0 ? { volumes: config.volumes.map((v) => ({ volume: v.volume, nodeFilters: [...v.nodeFilters] })) } : {}),
    ...(config.ports.length > 0 ? { ports: config.ports.map((p) => ({ port: p.port, nodeFilters: [...p.nodeFilters] })) } : {}),
    ...(registries ? { registries } : {}),
    options: {
      ...(config.k3sArgs.length > 0 ? { k3s: { extraArgs: config.k3sArgs.map((a) => ({ arg: a.arg, nodeFilters: [...a.nodeFilters] })) } } : {}),
      // The cluster's kubeconfig goes to a file of homelab-dr's own; the user's ~/.kube/config is left alone.
      kubeconfig: { updateDefaultKubeconfig: false, switchCurrentContext: false },
    },
  };
}

function registriesSection(config: ClusterConfig, registriesYaml: string | undefined): K3dSimpleConfig['registries'] {
  const use = config.registries?.use ?? [];
  if (use.length === 0 && registriesYaml === undefined) return undefined;
  return {
    ...(use.length > 0 ? { use: [...use] } : {}),
    ...(registriesYaml !== undefined ? { config: embeddableRegistriesYaml(registriesYaml) } : {}),
  };
}

export function k3dConfigYaml(simple: K3dSimpleConfig): string {
  return writeYaml(simple, { lineWidth: 0 });
}

export function k3dCreateArgs(configPath: string, timeoutMs: number): string[] {
  return ['cluster', 'create', '--config', configPath, '--wait', '--timeout', `${Math.ceil(timeoutMs / 1000)}s`];
}

/** Names in the output of `k3d cluster list -o json`. */
/** k3d's own log lines (logrus: `WARN[0000] …`, maybe coloured), which it has been seen to print on stdout. */
const K3D_LOG_LINE = /^(?:\x1b\[[0-9;]*m)?(?:TRAC|DEBU|INFO|WARN|ERRO)(?:\x1b\[[0-9;]*m)?\[\d+\]/;

/**
 * `k3d cluster list -o json`: the JSON after any of k3d's own log lines (seen: a WARN on stdout while
 * another cluster was being created). Anything else that is not JSON stays an error, never "no cluster".
 */
function parseClusterList(text: string): unknown {
  const json = text.split('\n').filter((line) => !K3D_LOG_LINE.test(line)).join('\n');
  try {
    return JSON.parse(json);
  } catch (err) {
    throw new Error(`k3d cluster list -o json printed something that is not JSON: ${(err as Error).message}`);
  }
}

export function clusterNamesFromList(json: string): string[] {
  const parsed = parseClusterList(json);
  if (!Array.isArray(parsed)) throw new Error('k3d cluster list -o json printed no JSON list');
  return parsed.flatMap((entry: unknown) => {
    const name = (entry as { name?: unknown } | null)?.name;
    return typeof name === 'string' ? [name] : [];
  });
}

interface K3dListedNode {
  role?: string;
  portMappings?: Record<string, Array<{ HostIp?: string; HostPort?: string }>>;
  serverOpts?: { kubeAPI?: { Host?: string; HostIP?: string; Port?: string } };
}

/**
 * The apiserver URL k3d published for `cluster`, from `k3d cluster list -o json`: the load balancer's
 * mapping of 6443, else the first server's kubeAPI options. This is the provider's own record of its
 * cluster, against which the kubeconfig a run uses is checked.
 */
export function apiServerFromList(json: string, cluster: string): string {
  const parsed = parseClusterList(json);
  const entry = Array.isArray(parsed) ? parsed.find((e: unknown) => (e as { name?: unknown } | null)?.name === cluster) : undefined;
  if (!entry) throw new Error(`k3d does not list a cluster named ${cluster}`);
  const nodes = ((entry as { nodes?: unknown }).nodes ?? []) as K3dListedNode[];
  for (const node of nodes.filter((n) => n.role === 'loadbalancer')) {
    const mapping = (node.portMappings?.['6443/tcp'] ?? node.portMappings?.['6443'])?.[0];
    if (mapping?.HostPort) return `https://${mapping.HostIp || '0.0.0.0'}:${mapping.HostPort}`;
  }
  const api = nodes.find((n) => n.role === 'server')?.serverOpts?.kubeAPI;
  if (api?.Port) return `https://${api.HostIP || api.Host || '0.0.0.0'}:${api.Port}`;
  throw new Error(`k3d lists cluster ${cluster} without a published apiserver port`);
}

/** k3d names the first server's container k3d-<cluster>-server-0. */
export function serverContainer(cluster: string): string {
  return `k3d-${cluster}-server-0`;
}
