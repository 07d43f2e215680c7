import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/types.js';
import { accessPath, THROUGH_CLUSTER_LINE, tunnelOfImage, tunnelPodsOf, type TunnelPod } from '../../src/safety/access-path.js';
import { checkAlternateAccess, subnetsOfIpamJson } from '../../src/safety/access-probe.js';

const cloudflared: TunnelPod = { namespace: 'networking', name: 'cloudflared-7d9f-abcde', image: 'cloudflare/cloudflared:2024.6.1', tunnel: 'cloudflared', podIP: '10.42.0.17' };
const k3dNetwork = [{ name: 'k3d-homelab', subnets: ['172.18.0.0/16'] }];
const ssh = (peer: string, server = '192.168.1.5') => ({ SSH_CONNECTION: `${peer} 51234 ${server} 22` });

function pod(name: string, images: string[], phase = 'Running', podIP?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'networking' },
    spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
    status: { phase, ...(podIP ? { podIP } : {}) },
  };
}

describe('tunnelOfImage', () => {
  it('names the tunnel family from the image name, whatever the registry, tag or digest', () => {
    expect(tunnelOfImage('cloudflare/cloudflared:2024.6.1')).toBe('cloudflared');
    expect(tunnelOfImage('docker.io/cloudflare/cloudflared@sha256:abc')).toBe('cloudflared');
    expect(tunnelOfImage('ghcr.io/tailscale/tailscale:v1.70')).toBe('tailscale');
    expect(tunnelOfImage('ngrok/ngrok:latest')).toBe('ngrok');
    expect(tunnelOfImage('snowdreamtech/frpc:0.58')).toBe('frp');
    expect(tunnelOfImage('lscr.io/linuxserver/wireguard')).toBe('wireguard');
    expect(tunnelOfImage('ghcr.io/wg-easy/wg-easy:14')).toBe('wireguard');
    expect(tunnelOfImage('registry.local:5000/netbirdio/netbird:0.28')).toBe('netbird');
  });

  it('does not take look-alike names for tunnels', () => {
    expect(tunnelOfImage('jellyfin/jellyfin:10.9')).toBeUndefined();
    expect(tunnelOfImage('library/boreal:1')).toBeUndefined();
    expect(tunnelOfImage('tailscale/k8s-operator:v1.70')).toBeUndefined();
    expect(tunnelOfImage('registry.local:5000/app:cloudflared')).toBeUndefined();
  });
});

describe('tunnelPodsOf', () => {
  it('keeps running pods with a tunnel container, and skips finished ones', () => {
    const pods = [
      pod('cloudflared-1', ['busybox:1', 'cloudflare/cloudflared:2024.6.1'], 'Running', '10.42.0.17'),
      pod('jellyfin-1', ['jellyfin/jellyfin:10.9']),
      pod('tailscale-old', ['tailscale/tailscale:v1'], 'Failed'),
      pod('tailscale-pending', ['tailscale/tailscale:v1'], 'Pending'),
    ];
    expect(tunnelPodsOf(pods)).toEqual([
      { namespace: 'networking', name: 'cloudflared-1', image: 'cloudflare/cloudflared:2024.6.1', tunnel: 'cloudflared', podIP: '10.42.0.17' },
      { namespace: 'networking', name: 'tailscale-pending', image: 'tailscale/tailscale:v1', tunnel: 'tailscale' },
    ]);
  });
});

describe('accessPath', () => {
  it('a console session does not run through the cluster, and still names the tunnel pods that die', () => {
    const v = accessPath({ env: {}, tunnelPods: [cloudflared], dockerNetworks: k3dNetwork });
    expect(v).toMatchObject({ kind: 'console', throughCluster: false });
    expect(v.details).toEqual(['tunnel pods that die with the cluster: networking/cloudflared-7d9f-abcde (cloudflared)']);
  });

  it('a loopback peer while a tunnel pod runs: the unmistakable line', () => {
    const v = accessPath({ env: ssh('127.0.0.1', '127.0.0.1'), tunnelPods: [cloudflared], dockerNetworks: k3dNetwork });
    expect(v).toMatchObject({ kind: 'through-cluster', throughCluster: true, headline: THROUGH_CLUSTER_LINE });
    expect(THROUGH_CLUSTER_LINE).toBe('YOUR SSH SESSION RUNS THROUGH THE CLUSTER: it will drop when the cluster is deleted');
  });

  it('a peer that is the server address itself counts as a local tunnel end, as does ::1', () => {
    expect(accessPath({ env: ssh('192.168.1.5'), tunnelPods: [cloudflared], dockerNetworks: [] }).kind).toBe('through-cluster');
    expect(accessPath({ env: { SSH_CONNECTION: '::1 4000 ::1 22' }, tunnelPods: [cloudflared], dockerNetworks: [] }).kind).toBe('through-cluster');
  });

  it('a peer on the cluster docker network runs through the cluster, even with no tunnel pod found', () => {
    const v = accessPath({ env: ssh('172.18.0.3', '172.18.0.1'), tunnelPods: [], dockerNetworks: k3dNetwork });
    expect(v.kind).toBe('through-cluster');
    expect(v.details[0]).toBe("SSH peer 172.18.0.3 is on the cluster's docker network k3d-homelab (172.18.0.0/16)");
  });

  it('a peer that is a tunnel pod address runs through the cluster', () => {
    const v = accessPath({ env: ssh('10.42.0.17'), tunnelPods: [cloudflared], dockerNetworks: [] });
    expect(v.kind).toBe('through-cluster');
    expect(v.details[0]).toMatch(/tunnel pod networking\/cloudflared-7d9f-abcde/);
  });

  it('a LAN peer reaches the host directly', () => {
    const v = accessPath({ env: ssh('192.168.1.20'), tunnelPods: [cloudflared], dockerNetworks: k3dNetwork });
    expect(v).toMatchObject({ kind: 'direct', throughCluster: false });
    expect(v.headline).toBe('SSH peer 192.168.1.20 reaches this host directly, not through the cluster');
  });

  it('a loopback peer with no tunnel pod is a tunnel outside the cluster', () => {
    expect(accessPath({ env: ssh('127.0.0.1', '127.0.0.1'), tunnelPods: [], dockerNetworks: k3dNetwork })).toMatchObject({ kind: 'local-tunnel', throughCluster: false });
  });

  it('assumes the worst when it cannot tell: unlisted pods behind a loopback peer, or an unreadable SSH_CONNECTION', () => {
    const unlisted = accessPath({ env: ssh('127.0.0.1', '127.0.0.1'), tunnelPods: undefined, dockerNetworks: [] });
    expect(unlisted).toMatchObject({ kind: 'unknown', throughCluster: true });
    expect(unlisted.headline).toMatch(/assume YOUR SSH SESSION RUNS THROUGH THE CLUSTER/);
    expect(accessPath({ env: { SSH_CONNECTION: 'garbage' }, tunnelPods: [], dockerNetworks: [] })).toMatchObject({ kind: 'unknown', throughCluster: true });
  });

  it('a kwok rehearsal never carries a session, even when its fake pods look like tunnels', () => {
    const v = accessPath({ env: ssh('127.0.0.1', '127.0.0.1'), tunnelPods: [cloudflared], dockerNetworks: [], rehearsal: true });
    expect(v).toMatchObject({ kind: 'rehearsal', throughCluster: false });
    expect(v.headline).toMatch(/^rehearsal \(kwok\)/);
  });
});

describe('access probes', () => {
  it('reads subnets from docker network inspect IPAM JSON', () => {
    expect(subnetsOfIpamJson('[{"Subnet":"172.18.0.0/16","Gateway":"172.18.0.1"},{"Subnet":"fd00:18::/64"}]')).toEqual(['172.18.0.0/16', 'fd00:18::/64']);
    expect(subnetsOfIpamJson('null')).toEqual([]);
    expect(subnetsOfIpamJson('not json')).toEqual([]);
  });

  it('runs each alternate check and reports ok, the exit code with stderr, or the timeout', async () => {
    const results = await checkAlternateAccess({
      alternate: [
        { name: 'lan-ssh', check: 'true' },
        { name: 'tailscale', check: 'echo "tailscale: not logged in" >&2; exit 4' },
      ],
    });
    expect(results).toEqual([
      { name: 'lan-ssh', check: 'true', ok: true, detail: 'exit 0' },
      { name: 'tailscale', check: 'echo "tailscale: not logged in" >&2; exit 4', ok: false, detail: 'exit 4: tailscale: not logged in' },
    ]);
    const started = Date.now();
    expect(await checkAlternateAccess({ alternate: [{ name: 'slow', check: 'sleep 5' }] }, 400)).toEqual([
      { name: 'slow', check: 'sleep 5', ok: false, detail: 'timed out after 0.4 s' },
    ]);
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});
