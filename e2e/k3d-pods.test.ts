// Real pods on real k3d (issue 12): a cluster of the tier's k3s-compatible node image pulls its workload
// through the registries.yaml mirror given at creation, runs it, names a missing Secret as
// CreateContainerConfigError, and leaves no container, network or volume behind when deleted.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ClusterConfig } from '../src/config/types.js';
import { K3dProvider } from '../src/cluster/k3d.js';
import { controlPlaneBinaries } from '../src/cluster/control-plane-binaries.js';
import { docker, k3dTier, whyK3dCannotRun } from './k3d-tier.js';

const CREATE_TIMEOUT_MS = 300_000;
const tier = k3dTier();
const skipReason = whyK3dCannotRun() ?? (tier ? undefined : 'the k3d tier env is not set (source <(bash scripts/k3d-tier.sh env))');
if (skipReason) console.log(`e2e/k3d-pods.test.ts SKIPPED: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('real pods on the k3d tier', () => {
  const cluster = `hdr-pods-${process.pid.toString(36)}`;
  const server = `k3d-${cluster}-server-0`;
  let work = '';
  let kubeconfig = '';
  let provider: K3dProvider;
  let volumes: string[] = [];
  const kubectl = (args: string[]) => {
    const { kubectl: bin } = controlPlaneBinaries(['kubectl']);
    const r = spawnSync(bin, ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', timeout: 200_000 });
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    return r.stdout;
  };

  beforeAll(async () => {
    if (!tier) return;
    work = mkdtempSync(join(tmpdir(), 'hdr-e2e-pods-'));
    const registriesPath = join(work, 'registries.yaml');
    // docker.io is unreachable here: an image that runs came through this mirror.
    writeFileSync(registriesPath, `mirrors:\n  docker.io:\n    endpoint:\n      - http://${tier.registry}\n`);
    const config: ClusterConfig = {
      provider: 'k3d',
      name: cluster,
      servers: 1,
      agents: 0,
      image: tier.nodeImage,
      registries: { use: [tier.registry], config: registriesPath },
      ports: [],
      volumes: [],
      k3sArgs: [{ arg: '--disable=coredns', nodeFilters: ['server:*'] }],
    };
    provider = new K3dProvider({ root: join(work, 'state') });
    await provider.create(cluster, { config, timeoutMs: CREATE_TIMEOUT_MS });
    kubeconfig = await provider.kubeconfig(cluster);
    volumes = docker(['inspect', '--format', '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}}{{"\\n"}}{{end}}{{end}}', server]);
  }, CREATE_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    if (provider) await provider.delete(cluster);
    if (work) rmSync(work, { recursive: true, force: true });
  }, 180_000);

  test('the node is Ready on a real kubelet', () => {
    kubectl(['wait', '--for=condition=Ready', `node/${server}`, '--timeout=120s']);
    expect(kubectl(['get', 'node', server, '-o', 'jsonpath={.status.nodeInfo.containerRuntimeVersion}'])).toMatch(/^containerd:\/\//);
  }, 150_000);

  test('a Deployment pulls its image through the registry mirror, runs, and answers through its Service', () => {
    // The registry image serves HTTP on 5000; kube-proxy routes the ClusterIP Service to it.
    const image = tier!.registryImage;
    kubectl(['create', 'deployment', 'web', `--image=${image}`]);
    kubectl(['expose', 'deployment', 'web', '--port=5000']);
    kubectl(['wait', '--for=condition=Available', 'deployment/web', '--timeout=150s']);
    const pulled = kubectl(['get', 'events', '--field-selector', 'reason=Pulled', '-o', 'jsonpath={.items[*].message}']);
    expect(pulled).toContain(`Successfully pulled image "${image}"`);
    // The tier's registry served the manifest to the node: nothing was imported behind the config's back.
    const registryLog = spawnSync('docker', ['logs', tier!.registryContainer], { encoding: 'utf8' });
    expect(`${registryLog.stdout}${registryLog.stderr}`).toContain(`/v2/${image.split(':')[0]}/manifests/`);
    const ip = kubectl(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    const request = `exec 3<>/dev/tcp/${ip}/5000; printf 'GET /v2/ HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3`;
    const answer = spawnSync('docker', ['exec', server, 'bash', '-c', request], { encoding: 'utf8', timeout: 30_000 });
    expect(answer.stdout).toMatch(/^HTTP\/1\.0 200 OK/);
  }, 200_000);

  test('a pod referencing a missing Secret is CreateContainerConfigError on the kubelet', () => {
    kubectl(['run', 'needs-secret', `--image=${tier!.registryImage}`, '--overrides',
      JSON.stringify({ spec: { containers: [{ name: 'needs-secret', image: tier!.registryImage, env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'absent', key: 'k' } } }] }] } })]);
    kubectl(['wait', '--for=jsonpath={.status.containerStatuses[0].state.waiting.reason}=CreateContainerConfigError', 'pod/needs-secret', '--timeout=150s']);
    expect(kubectl(['get', 'pod', 'needs-secret', '-o', 'jsonpath={.status.containerStatuses[0].state.waiting.message}'])).toContain('secret "absent" not found');
  }, 200_000);

  test('delete leaves no container, network or volume of the cluster', async () => {
    await provider.delete(cluster);
    expect(docker(['ps', '-a', '--filter', `label=k3d.cluster=${cluster}`, '--format', '{{.Names}}'])).toEqual([]);
    expect(docker(['network', 'ls', '--filter', `label=k3d.cluster=${cluster}`, '--format', '{{.Name}}'])).toEqual([]);
    expect(docker(['volume', 'ls', '--filter', `label=k3d.cluster=${cluster}`, '--format', '{{.Name}}'])).toEqual([]);
    expect(volumes.length).toBeGreaterThan(0);
    const left = docker(['volume', 'ls', '--format', '{{.Name}}']).filter((v) => volumes.includes(v));
    expect(left).toEqual([]);
  }, 180_000);
});
