// The litmus (DESIGN.md): can we recover from zero without the thing we are recovering? Pure, static
// analysis: a dependency whose host is served by the cluster being rebuilt is circular.
import { isIP } from 'node:net';

export interface ClusterFacts {
  /** Hosts declared by Ingress rules (and Argo CD / Gateway hosts) in the app manifests. */
  ingressHosts: Map<string, string>;
  /** Load-balancer addresses of the cluster (Service loadBalancerIP / config). */
  loadBalancerAddresses: Map<string, string>;
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
  if (isIP(host) && (host.startsWith('10.42.') || host.startsWith('10.43.'))) {
    return { inCluster: true, reason: `${host} is in k3s's default pod/service network` };
  }
  return { inCluster: false, reason: `${host} is outside the cluster` };
}

/** Ingress hosts and LoadBalancer addresses declared by a set of objects. */
export function clusterFactsOf(objects: readonly { obj: Record<string, unknown>; source?: { file: string; line: number } }[], extraAddresses: readonly string[] = []): ClusterFacts {
  const facts: ClusterFacts = { ingressHosts: new Map(), loadBalancerAddresses: new Map() };
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
    }
  }
  for (const a of extraAddresses) facts.loadBalancerAddresses.set(a.toLowerCase(), 'the cluster configuration');
  return facts;
}
