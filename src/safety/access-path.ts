// The access path: does this terminal's session run through the cluster about to be destroyed? The
// incident began exactly there (SSH over a cloudflared pod). Pure: every input is handed in.
import { cidrContains, formatCidr, isLoopback, parseCidr, type Cidr } from '../firewall/address.js';
import { parseSshConnection, type AccessRoute } from '../firewall/lockout.js';
import type { AccessConfig } from '../config/types.js';
import type { KubeObject } from '../kube/types.js';

export const THROUGH_CLUSTER_LINE = 'YOUR SSH SESSION RUNS THROUGH THE CLUSTER: it will drop when the cluster is deleted';

export interface TunnelPod {
  namespace: string;
  name: string;
  image: string;
  /** The tunnel family the image belongs to: cloudflared, tailscale, ngrok, frp, wireguard... */
  tunnel: string;
  podIP?: string;
}

export interface DockerNetwork {
  name: string;
  subnets: string[];
}

export interface AccessInputs {
  env: NodeJS.ProcessEnv;
  /** Undefined when the cluster could not be listed: then nobody can say the session is safe. */
  tunnelPods: TunnelPod[] | undefined;
  /** The cluster's docker networks (k3d: k3d-<name>); empty for clusters that have none. */
  dockerNetworks: DockerNetwork[];
  /** kwok: fake pods that carry no traffic. */
  rehearsal?: boolean;
}

export type AccessPathKind = 'console' | 'rehearsal' | 'direct' | 'local-tunnel' | 'through-cluster' | 'unknown';

export interface AccessVerdict {
  kind: AccessPathKind;
  /** True also when it cannot be ruled out: the safe assumption before a destruction. */
  throughCluster: boolean;
  headline: string;
  details: string[];
}

// Tunnel and overlay clients whose pod can carry a way into the host; matched on the image's own name.
const TUNNEL_IMAGES: ReadonlyArray<[RegExp, string]> = [
  [/^cloudflared$/, 'cloudflared'],
  [/^tailscale$/, 'tailscale'],
  [/^ngrok(-agent)?$/, 'ngrok'],
  [/^frp[cs]?$/, 'frp'],
  [/^(wireguard|wg-easy|wg-access-server|boringtun)$/, 'wireguard'],
  [/^netbird$/, 'netbird'],
  [/^zerotier(-one)?$/, 'zerotier'],
  [/^(inlets|inlets-pro|chisel|rathole|bore|zrok|newt|boringproxy)$/, 'tunnel'],
];

/** The tunnel family of an image ("cloudflare/cloudflared:2024.6.1" → cloudflared), or undefined. */
export function tunnelOfImage(image: string): string | undefined {
  const withoutDigest = image.split('@')[0] ?? '';
  const lastSegment = withoutDigest.split('/').pop() ?? '';
  const repo = lastSegment.split(':')[0]!.toLowerCase();
  return TUNNEL_IMAGES.find(([pattern]) => pattern.test(repo))?.[1];
}

/** The running (or starting) pods whose containers are tunnel clients. */
export function tunnelPodsOf(pods: readonly KubeObject[]): TunnelPod[] {
  return pods.flatMap((pod) => {
    const status = pod.status as { phase?: string; podIP?: string } | undefined;
    if (status?.phase === 'Succeeded' || status?.phase === 'Failed') return [];
    const containers = ((pod.spec as { containers?: Array<{ image?: string }> } | undefined)?.containers ?? []);
    const match = containers.map((c) => ({ image: c.image ?? '', tunnel: tunnelOfImage(c.image ?? '') })).find((c) => c.tunnel);
    if (!match) return [];
    return [{ namespace: pod.metadata.namespace ?? '', name: pod.metadata.name, image: match.image, tunnel: match.tunnel!, ...(status?.podIP ? { podIP: status.podIP } : {}) }];
  });
}

function describePods(pods: readonly TunnelPod[]): string {
  return pods.map((p) => `${p.namespace}/${p.name} (${p.tunnel})`).join(', ');
}

function sameAddress(a: Cidr, b: Cidr): boolean {
  return formatCidr(a) === formatCidr(b);
}

function networkHolding(peer: Cidr, networks: readonly DockerNetwork[]): { network: string; subnet: string } | undefined {
  for (const network of networks) {
    for (const subnet of network.subnets) {
      const cidr = tryCidr(subnet);
      if (cidr && cidr.family === peer.family && cidrContains(cidr, peer)) return { network: network.name, subnet };
    }
  }
  return undefined;
}

function tryCidr(text: string): Cidr | undefined {
  try {
    return parseCidr(text);
  } catch {
    return undefined;
  }
}

function verdict(kind: AccessPathKind, headline: string, details: string[]): AccessVerdict {
  return { kind, throughCluster: kind === 'through-cluster' || kind === 'unknown', headline, details };
}

export function accessPath(inputs: AccessInputs): AccessVerdict {
  const pods = inputs.tunnelPods;
  const podNote = pods && pods.length > 0 ? [`tunnel pods that die with the cluster: ${describePods(pods)}`] : [];
  if (inputs.rehearsal) {
    return verdict('rehearsal', 'rehearsal (kwok): its pods are fakes that carry no traffic, so no session depends on it', []);
  }
  const raw = inputs.env.SSH_CONNECTION?.trim();
  if (!raw) return verdict('console', 'this terminal is not an SSH session: it does not run through the cluster', podNote);
  const session = parseSshConnection(raw);
  if (!session) {
    return verdict('unknown', `SSH_CONNECTION is unreadable ("${raw}"): assume YOUR SSH SESSION RUNS THROUGH THE CLUSTER and will drop when it is deleted`, podNote);
  }
  const peer = formatCidr(session.client);
  const onNetwork = networkHolding(session.client, inputs.dockerNetworks);
  if (onNetwork) {
    return verdict('through-cluster', THROUGH_CLUSTER_LINE, [`SSH peer ${peer} is on the cluster's docker network ${onNetwork.network} (${onNetwork.subnet})`, ...podNote]);
  }
  const viaPod = pods?.find((p) => {
    const podAddress = p.podIP ? tryCidr(p.podIP) : undefined;
    return podAddress !== undefined && sameAddress(podAddress, session.client);
  });
  if (viaPod) {
    return verdict('through-cluster', THROUGH_CLUSTER_LINE, [`SSH peer ${peer} is the address of tunnel pod ${describePods([viaPod])}`, ...podNote]);
  }
  // A peer that is this host itself (loopback, or the server's own address) means a tunnel ends here.
  const local = isLoopback(session.client) || sameAddress(session.client, session.server);
  if (!local) return verdict('direct', `SSH peer ${peer} reaches this host directly, not through the cluster`, podNote);
  if (pods === undefined) {
    return verdict('unknown', `SSH peer ${peer} is this host (a local tunnel end) and the cluster's pods could not be listed: assume YOUR SSH SESSION RUNS THROUGH THE CLUSTER`, []);
  }
  if (pods.length > 0) {
    return verdict('through-cluster', THROUGH_CLUSTER_LINE, [`SSH peer ${peer} is this host: a tunnel ends here, and the cluster runs ${describePods(pods)}`]);
  }
  return verdict('local-tunnel', `SSH peer ${peer} is this host (a tunnel ending here), and no tunnel pod runs in the cluster: the tunnel lives outside it`, []);
}

/**
 * The configured ways into host sshd that a host firewall must keep open: the tunnel inside the
 * cluster (its connections come from the cluster's Docker network or node addresses) and every
 * alternate path that says where it comes from. Addresses were checked when the config was loaded.
 */
export function accessRoutes(access: AccessConfig): AccessRoute[] {
  const port = access.sshPort;
  return [
    ...(access.tunnel?.from ?? []).map((from, i) => ({ name: 'the tunnel inside the cluster', from: parseCidr(from, `access.tunnel.from[${i}]`), port, field: `access.tunnel.from[${i}]` })),
    ...access.alternate.flatMap((alt, i) => (alt.from === undefined ? [] : [{ name: `alternate access ${alt.name}`, from: parseCidr(alt.from, `access.alternate[${i}].from`), port, field: `access.alternate[${i}].from` }])),
  ];
}
