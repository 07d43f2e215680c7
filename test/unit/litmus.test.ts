// The litmus sees through names: a host judged by what it resolves to (hosts file, DNS), by what the
// plan's Argo CD / Flux objects deploy, an image registry the cluster serves, and an exec store whose
// command reaches the cluster. Each verdict says why.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyTarget, clusterFactsOf, emptyFacts, judgeTarget, kubeCallsOf, portOf, registryOf, type ClusterFacts, type Resolve } from '../../src/litmus.js';
import { hostsFileAddresses, systemResolver } from '../../src/litmus-resolve.js';

const fixed = (table: Record<string, string[]>): Resolve => async (host) => (table[host] ?? []).map((address) => ({ address, via: 'test' }));

function hostsFile(lines: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'litmus-hosts-')), 'hosts');
  writeFileSync(path, lines);
  return path;
}

function facts(over: Partial<ClusterFacts>): ClusterFacts {
  return { ...emptyFacts(), ...over };
}

describe('names that resolve into the cluster', () => {
  it('a host resolving to a node address is circular, and the verdict says how it resolved', async () => {
    const f = facts({ nodeAddresses: new Map([['10.20.0.5', 'node homelab-server-0 (InternalIP) (live)']]) });
    const v = await judgeTarget('https://gitlab.home.lan', f, fixed({ 'gitlab.home.lan': ['10.20.0.5'] }));
    expect(v).toEqual({ inCluster: true, reason: 'gitlab.home.lan resolves (test) to 10.20.0.5, the address of node homelab-server-0 (InternalIP) (live)' });
  });

  it('a host resolving to a load-balancer address is circular; one resolving elsewhere is not, and says where it resolved', async () => {
    const f = facts({ loadBalancerAddresses: new Map([['192.0.2.10', 'Service networking/traefik (live)']]) });
    expect((await judgeTarget('git@gitlab.home.lan:me/repo.git', f, fixed({ 'gitlab.home.lan': ['192.0.2.10'] }))).inCluster).toBe(true);
    expect(await judgeTarget('https://gitlab.com', f, fixed({ 'gitlab.com': ['203.0.113.9'] }))).toEqual({
      inCluster: false,
      reason: 'gitlab.com resolves to 203.0.113.9, none of them the cluster\'s',
    });
  });

  it('a /etc/hosts-style file: a name on this machine at a port the cluster publishes is circular, at another port it is not', async () => {
    const resolve = systemResolver({ hostsFile: hostsFile('# lab\n127.0.0.7   gitlab.home.test gitlab\n'), dns: false });
    const f = facts({ publishedPorts: new Map([[8443, 'cluster.ports "8443:443" (config)']]) });
    const published = await judgeTarget('https://gitlab.home.test:8443/api', f, resolve);
    expect(published.inCluster).toBe(true);
    expect(published.reason).toMatch(/^gitlab\.home\.test resolves \(\/tmp\/.+\/hosts\) to 127\.0\.0\.7, an address of this machine, where port 8443 is published by the cluster/);
    expect((await judgeTarget('https://gitlab.home.test', f, resolve)).inCluster).toBe(false);
  });

  it('the real resolver (this machine\'s /etc/hosts and getaddrinfo): localhost at a published port is circular', async () => {
    const f = facts({ publishedPorts: new Map([[8080, 'cluster.ports "8080:80" (config)']]) });
    const v = await judgeTarget('http://localhost:8080', f, systemResolver());
    expect(v.inCluster).toBe(true);
    expect(v.reason).toMatch(/^localhost resolves \((\/etc\/hosts|DNS)\) to (127\.0\.0\.1|::1), an address of this machine/);
  });

  it('an IP literal is judged as an address; a name that resolves nowhere is judged by its name', async () => {
    const f = facts({ nodeAddresses: new Map([['10.20.0.5', 'node n1 (InternalIP)']]) });
    expect(await judgeTarget('https://10.20.0.5:6443', f, fixed({}))).toEqual({ inCluster: true, reason: '10.20.0.5 is the address of node n1 (InternalIP)' });
    expect(await judgeTarget('https://nowhere.invalid', f, fixed({}))).toEqual({ inCluster: false, reason: 'nowhere.invalid is outside the cluster' });
  });

  it('reads hosts files as the resolver does: comments, aliases, case', () => {
    expect(hostsFileAddresses('10.0.0.1 a.lan A2 # x\n#10.0.0.2 b.lan\n10.0.0.3\tB.LAN\n', 'b.lan')).toEqual(['10.0.0.3']);
    expect(hostsFileAddresses('10.0.0.1 a.lan A2 # x\n', 'a2')).toEqual(['10.0.0.1']);
  });

  it('takes the port from the URL or its scheme', () => {
    expect([portOf('https://x'), portOf('http://x:8080/p'), portOf('ssh://git@x/r'), portOf('/local/path')]).toEqual([443, 8080, 22, undefined]);
  });
});

describe('what the plan deploys', () => {
  const argoApp = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'gitlab', namespace: 'argocd' },
    spec: {
      source: { repoURL: 'https://charts.gitlab.io', chart: 'gitlab', helm: { values: 'global:\n  hosts:\n    domain: home.lan\n  gitlab:\n    name: gitlab.home.lan\n' } },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'gitlab' },
    },
  };

  it('an Argo CD Application whose spec names the host is circular, and named in the verdict', () => {
    const f = clusterFactsOf([{ obj: argoApp }]);
    expect(classifyTarget('https://gitlab.home.lan', f)).toEqual({ inCluster: true, reason: 'gitlab.home.lan is deployed into the cluster by Application argocd/gitlab, whose spec names it' });
    // Matched on name boundaries: another host that merely contains it is not.
    expect(classifyTarget('https://mygitlab.home.lan', f).inCluster).toBe(false);
    expect(classifyTarget('https://gitlab.home.lan.example.com', f).inCluster).toBe(false);
  });

  it('an Application aimed at another cluster deploys nothing into this one', () => {
    const elsewhere = { ...argoApp, spec: { ...argoApp.spec, destination: { server: 'https://backup-site.example:6443', namespace: 'gitlab' } } };
    const named = { ...argoApp, spec: { ...argoApp.spec, destination: { name: 'in-cluster', namespace: 'gitlab' } } };
    expect(classifyTarget('https://gitlab.home.lan', clusterFactsOf([{ obj: elsewhere }])).inCluster).toBe(false);
    expect(classifyTarget('https://gitlab.home.lan', clusterFactsOf([{ obj: named }])).inCluster).toBe(true);
  });

  it('Flux HelmReleases and Kustomizations count; an object of another group with the same kind does not', () => {
    const helmRelease = { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'registry', namespace: 'flux-system' }, spec: { values: { ingress: { hosts: ['registry.home.lan'] } } } };
    const kustomization = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'vault', namespace: 'flux-system' }, spec: { postBuild: { substitute: { VAULT_HOST: 'vault.home.lan' } } } };
    const kustomizeConfig = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', metadata: { name: 'x' }, spec: { host: 'other.home.lan' } };
    const f = clusterFactsOf([{ obj: helmRelease }, { obj: kustomization }, { obj: kustomizeConfig }]);
    expect(classifyTarget('registry.home.lan:5000', f).reason).toBe('registry.home.lan is deployed into the cluster by HelmRelease flux-system/registry, whose spec names it');
    expect(classifyTarget('https://vault.home.lan/v1', f).inCluster).toBe(true);
    expect(classifyTarget('https://other.home.lan', f).inCluster).toBe(false);
  });

  it('live nodes and load-balancer status give addresses', () => {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '10.20.0.5' }, { type: 'Hostname', address: 'n1' }] } };
    const lb = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'traefik', namespace: 'kube-system' }, spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } } };
    const f = clusterFactsOf([{ obj: node }, { obj: lb }]);
    expect([...f.nodeAddresses]).toEqual([['10.20.0.5', 'node n1 (InternalIP)']]);
    expect([...f.loadBalancerAddresses]).toEqual([['192.0.2.10', 'Service kube-system/traefik']]);
  });
});

describe('image registries', () => {
  it.each([
    ['nginx:1.27', undefined],
    ['bitnami/redis:7', undefined],
    ['registry.home.lan/apps/web:1', 'registry.home.lan'],
    ['registry.home.lan:5000/web@sha256:abc', 'registry.home.lan:5000'],
    ['localhost/web:dev', 'localhost'],
    ['ghcr.io/org/app:1', 'ghcr.io'],
  ])('%s comes from %s', (image, registry) => {
    expect(registryOf(image)).toBe(registry);
  });
});

describe('exec stores that reach the cluster', () => {
  const contexts = ['homelab', 'k3d-homelab'];
  it.each([
    ['kubectl get secret -n vault creds -o jsonpath={.data}', ['kubectl with no --kubeconfig/--context: the current context, the cluster being rebuilt']],
    ['/usr/local/bin/kubeseal --fetch-cert', ['kubeseal with no --kubeconfig/--context: the current context, the cluster being rebuilt']],
    ['#!/bin/sh\nset -e\nval=$(kubectl --context k3d-homelab get secret x)\n', ['kubectl --context k3d-homelab: the cluster being rebuilt']],
    ['helm get values vault | grep token', ['helm with no --kubeconfig/--context: the current context, the cluster being rebuilt']],
  ])('%j is circular', (command, calls) => {
    expect(kubeCallsOf(command, contexts)).toEqual(calls);
  });

  it.each([
    'kubectl --context backup-cluster get secret x',
    'kubectl --kubeconfig /etc/backup.kubeconfig get secret x',
    'KUBECONFIG=/etc/backup.kubeconfig kubectl get secret x',
    'helm --kube-context backup get values vault',
    'mykubectl get x',
    '# kubectl get secret (a comment)',
    'pass show homelab/token',
  ])('%j is not', (command) => {
    expect(kubeCallsOf(command, contexts)).toEqual([]);
  });
});
