// The litmus (DESIGN.md): can we recover from zero without the thing we are recovering? A dependency
// is circular when its host is served by the cluster being rebuilt: by name (an Ingress host, a *.svc
// name), by what the name resolves to (a node, load-balancer or published-port address), or because
// something the plan deploys (an Argo CD Application, a Flux Kustomization or HelmRelease) names it.
// The facts and the verdicts are pure; resolving a name is injected (litmus-resolve.ts).
import { isIP } from 'node:net';

/** Something in the plan that deploys more than it declares: its spec, as text, and who it is. */
export interface Deployer {
  who: string;
  /** The spec (sources, values, substitutions) as lower-case text: a host it names is deployed by it. */
  text: string;
}

export interface ClusterFacts {
  /** Hosts declared by Ingress rules (and Argo CD / Gateway hosts) in the app manifests. */
  ingressHosts: Map<string, string>;
  /** Load-balancer addresses of the cluster (Service loadBalancerIP / config). */
  loadBalancerAddresses: Map<string, string>;
  /** Node addresses (InternalIP, ExternalIP) of the live cluster: address → who. */
  nodeAddresses: Map<string, string>;
  /** Host ports the cluster publishes on this machine (k3d `ports`): port → who. */
  publishedPorts: Map<number, string>;
  /** This machine's own addresses, where the published ports listen (loopback is always one). */
  localAddresses: Set<string>;
  deployers: Deployer[];
}

export function emptyFacts(): ClusterFacts {
  return { ingressHosts: new Map(), loadBalancerAddresses: new Map(), nodeAddresses: new Map(), publishedPorts: new Map(), localAddresses: new Set(), deployers: [] };
}

export interface LitmusVerdict {
  inCluster: boolean;
  reason: string;
}

/** Host of a URL, `host:port`, or bare host; undefined for a command or a local path. */
export function hostOf(target: string): string | undefined {
  const t = target.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) {
    try {
      return new URL(t).hostname.replace(/^\[|\]$/g, '').toLowerCase();
    } catch {
      return undefined;
    }
  }
  // scp-like git remotes: git@host:group/repo.git
  const scp = /^[^@/\s]+@([^:/\s]+):/.exec(t);
  if (scp) return scp[1]!.toLowerCase();
  if (t.startsWith('/') || t.startsWith('.') || t.includes(' ')) return undefined;
  const hostPort = /^([a-z0-9.-]+)(?::\d+)?(?:\/.*)?$/i.exec(t);
  return hostPort && hostPort[1]!.includes('.') ? hostPort[1]!.toLowerCase() : undefined;
}

/** The port a URL reaches (explicit, or its scheme's), undefined when the target is no URL. */
export function portOf(target: string): number | undefined {
  try {
    const url = new URL(target.trim());
    if (url.port) return Number(url.port);
    return ({ 'https:': 443, 'http:': 80, 'ssh:': 22, 'oci:': 443 } as Record<string, number>)[url.protocol];
  } catch {
    return undefined;
  }
}

/** A host the plan's Argo CD / Flux objects name, matched on name boundaries (gitlab.lan ≠ mygitlab.lan). */
function deployerOf(host: string, facts: ClusterFacts): Deployer | undefined {
  const pattern = new RegExp(`(^|[^a-z0-9.-])${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^a-z0-9-])`);
  return facts.deployers.find((d) => pattern.test(d.text));
}

export function classifyTarget(target: string, facts: ClusterFacts): LitmusVerdict {
  const host = hostOf(target);
  if (!host) return { inCluster: false, reason: 'local to this machine' };
  if (/\.svc$|\.svc\.|\.cluster\.local$/.test(host)) {
    return { inCluster: true, reason: `${host} is a cluster-internal service name` };
  }
  const ingress = facts.ingressHosts.get(host);
  if (ingress) return { inCluster: true, reason: `${host} is served by ${ingress} in the cluster being rebuilt` };
  const wildcard = [...facts.ingressHosts.keys()].find((h) => h.startsWith('*.') && host.endsWith(h.slice(1)));
  if (wildcard) return { inCluster: true, reason: `${host} matches ${wildcard}, served by ${facts.ingressHosts.get(wildcard)}` };
  const lb = facts.loadBalancerAddresses.get(host);
  if (lb) return { inCluster: true, reason: `${host} is the cluster's load-balancer address (${lb})` };
  const node = facts.nodeAddresses.get(host);
  if (node) return { inCluster: true, reason: `${host} is the address of ${node}` };
  const deployer = deployerOf(host, facts);
  if (deployer) return { inCluster: true, reason: `${host} is deployed into the cluster by ${deployer.who}, whose spec names it` };
  if (isIP(host) && (host.startsWith('10.42.') || host.startsWith('10.43.'))) {
    return { inCluster: true, reason: `${host} is in k3s's default pod/service network` };
  }
  return { inCluster: false, reason: `${host} is outside the cluster` };
}

export interface ResolvedAddress {
  address: string;
  /** Where the answer came from: "/etc/hosts", "DNS". */
  via: string;
}

export type Resolve = (host: string) => Promise<ResolvedAddress[]>;

function isLocal(address: string, facts: ClusterFacts): boolean {
  return address.startsWith('127.') || address === '::1' || facts.localAddresses.has(address);
}

/** Why an address is the cluster's, or undefined. */
function addressVerdict(address: string, port: number | undefined, facts: ClusterFacts): string | undefined {
  const node = facts.nodeAddresses.get(address);
  if (node) return `the address of ${node}`;
  const lb = facts.loadBalancerAddresses.get(address);
  if (lb) return `the cluster's load-balancer address (${lb})`;
  const published = port === undefined ? undefined : facts.publishedPorts.get(port);
  if (published && isLocal(address, facts)) return `an address of this machine, where port ${port} is published by the cluster (${published})`;
  return undefined;
}

/**
 * The verdict by name first (classifyTarget), then by what the name resolves to: a host whose name
 * looks external but whose address is a node, a load balancer, or a port the cluster publishes here.
 */
export async function judgeTarget(target: string, facts: ClusterFacts, resolve: Resolve): Promise<LitmusVerdict> {
  const byName = classifyTarget(target, facts);
  const host = hostOf(target);
  if (byName.inCluster || !host) return byName;
  const port = portOf(target);
  let answers: ResolvedAddress[];
  try {
    answers = isIP(host) ? [{ address: host, via: 'literal' }] : await resolve(host);
  } catch (err) {
    return { inCluster: false, reason: `${byName.reason}; its name did not resolve (${(err as Error).message}), so only the name was judged` };
  }
  for (const { address, via } of answers) {
    const why = addressVerdict(address, port, facts);
    if (why) return { inCluster: true, reason: via === 'literal' ? `${host} is ${why}` : `${host} resolves (${via}) to ${address}, ${why}` };
  }
  if (answers.length === 0 || isIP(host)) return byName;
  return { inCluster: false, reason: `${host} resolves to ${answers.map((a) => a.address).join(', ')}, none of them the cluster's` };
}

/** The registry host of an image reference, or undefined for Docker Hub's short names ("nginx:1.27"). */
export function registryOf(image: string): string | undefined {
  const first = image.split('/')[0]!;
  if (!image.includes('/')) return undefined;
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first.toLowerCase() : undefined;
}

const KUBE_TOOLS = ['kubectl', 'kubeseal', 'helm'] as const;

/**
 * Every kubectl/kubeseal/helm invocation in an exec store's command (argv, or the script it runs)
 * that does not name another cluster: such a call reaches the current context, the cluster being
 * rebuilt. An explicit --kubeconfig/--context (helm: --kube-context) or KUBECONFIG= names its target,
 * and is circular only when that target is the cluster itself.
 */
export function kubeCallsOf(text: string, clusterContexts: readonly string[]): string[] {
  const found: string[] = [];
  for (const line of text.split('\n').map((l) => l.replace(/(^|\s)#.*$/, '').trim())) {
    for (const tool of KUBE_TOOLS) {
      if (!new RegExp(`(^|[\\s;&|(/\`$])${tool}(\\s|$)`).test(line)) continue;
      const context = /--(?:kube-)?context[= ](\S+)/.exec(line)?.[1]?.replace(/^["']|["']$/g, '');
      const explicitConfig = /--kubeconfig[= ]\S+|\bKUBECONFIG=\S+/.test(line);
      if (context && !clusterContexts.includes(context)) continue;
      if (!context && explicitConfig) continue;
      found.push(context ? `${tool} --context ${context}: the cluster being rebuilt` : `${tool} with no --kubeconfig/--context: the current context, the cluster being rebuilt`);
    }
  }
  return [...new Set(found)];
}

function deployerText(spec: Record<string, unknown>): string {
  return JSON.stringify(spec).toLowerCase();
}

/** An Argo CD Application aimed at another cluster deploys nothing into this one. */
function deploysHere(spec: Record<string, unknown>): boolean {
  const destination = (spec['destination'] ?? {}) as { server?: string; name?: string };
  if (destination.server) return destination.server.replace(/\/$/, '') === 'https://kubernetes.default.svc';
  return !destination.name || destination.name === 'in-cluster';
}

const DEPLOYER_KINDS: Record<string, string> = {
  Application: 'argoproj.io',
  ApplicationSet: 'argoproj.io',
  Kustomization: 'kustomize.toolkit.fluxcd.io',
  HelmRelease: 'helm.toolkit.fluxcd.io',
};

/** Ingress hosts and LoadBalancer addresses declared by a set of objects. */
export function clusterFactsOf(objects: readonly { obj: Record<string, unknown>; source?: { file: string; line: number } }[], extraAddresses: readonly string[] = []): ClusterFacts {
  const facts: ClusterFacts = emptyFacts();
  for (const { obj } of objects) {
    const kind = obj['kind'];
    const meta = (obj['metadata'] ?? {}) as { name?: string; namespace?: string };
    const who = `${String(kind)} ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name ?? '?'}`;
    const spec = (obj['spec'] ?? {}) as Record<string, unknown>;
    if (kind === 'Ingress') {
      for (const rule of (spec['rules'] as { host?: string }[] | undefined) ?? []) {
        if (rule.host) facts.ingressHosts.set(rule.host.toLowerCase(), who);
      }
      for (const tls of (spec['tls'] as { hosts?: string[] }[] | undefined) ?? []) {
        for (const h of tls.hosts ?? []) if (!facts.ingressHosts.has(h.toLowerCase())) facts.ingressHosts.set(h.toLowerCase(), who);
      }
    } else if (kind === 'IngressRoute' || kind === 'HTTPRoute') {
      for (const h of (spec['hostnames'] as string[] | undefined) ?? []) facts.ingressHosts.set(h.toLowerCase(), who);
      for (const r of (spec['routes'] as { match?: string }[] | undefined) ?? []) {
        for (const m of r.match?.matchAll(/Host\(`([^`]+)`\)/g) ?? []) facts.ingressHosts.set(m[1]!.toLowerCase(), who);
      }
    } else if (kind === 'Service' && spec['type'] === 'LoadBalancer') {
      const ip = spec['loadBalancerIP'];
      if (typeof ip === 'string' && ip) facts.loadBalancerAddresses.set(ip, who);
      const status = (obj['status'] ?? {}) as { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
      for (const ingress of status.loadBalancer?.ingress ?? []) {
        for (const a of [ingress.ip, ingress.hostname]) if (a) facts.loadBalancerAddresses.set(a.toLowerCase(), who);
      }
    } else if (typeof kind === 'string' && DEPLOYER_KINDS[kind] && String(obj['apiVersion'] ?? '').startsWith(`${DEPLOYER_KINDS[kind]}/`) && deploysHere(spec)) {
      facts.deployers.push({ who, text: deployerText(spec) });
    } else if (kind === 'Node') {
      const status = (obj['status'] ?? {}) as { addresses?: { type?: string; address?: string }[] };
      for (const a of status.addresses ?? []) {
        if (a.address && (a.type === 'InternalIP' || a.type === 'ExternalIP')) facts.nodeAddresses.set(a.address.toLowerCase(), `node ${meta.name ?? '?'} (${a.type})`);
      }
    }
  }
  for (const a of extraAddresses) facts.loadBalancerAddresses.set(a.toLowerCase(), 'the cluster configuration');
  return facts;
}
