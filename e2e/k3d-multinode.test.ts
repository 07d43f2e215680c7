// Issue 16 on the real k3d tier: `servers` and `agents` reach k3d. The e2e homelab (e2e/homelab, prepared
// by bench/k3d-tier.ts) is edited twice:
// - one server and two agents: agent 1 labelled as the disk node and the only node with the PV's host
//   directory, the PV's node a placeholder that follows that label, the sealed-secrets controller pinned
//   to agent 0 (so the steps reach a pod on an agent through the server's apiserver);
// - three servers with embedded etcd.
// `dr-test --keep` leaves each throwaway cluster for the checks below; `teardown` removes it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { k3dTierFromEnv, prepareE2eHomelab } from '../bench/k3d-tier.js';
import { docker, runK3d, whyK3dCannotRun, type K3dRun } from './k3d-tier.js';

const RUN_TIMEOUT_MS = 900_000;
const found = k3dTierFromEnv();
const skipReason = whyK3dCannotRun() ?? ('skip' in found ? found.skip : undefined);
if (skipReason) console.log(`e2e/k3d-multinode.test.ts SKIPPED: ${skipReason}`);

const id = process.pid.toString(36);
const production = `ha-prod-${id}`;
const DISK_LABEL = 'homelab.dev/disk=ssd';
const CONTROLLERS_LABEL = 'homelab.dev/pool=controllers';

/** Replaces `from` (which must occur exactly once) in FILE. */
function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (text.split(from).length !== 2) throw new Error(`${file}: expected "${from}" exactly once`);
  writeFileSync(file, text.replace(from, to));
}

/** A prepared copy of the e2e homelab in WORK; its config file. */
function e2eHomelab(work: string): string {
  if ('skip' in found) throw new Error(found.skip);
  return prepareE2eHomelab(join(work, 'homelab'), found.tier, join(work, 'pv'), { clusterName: production });
}

/** The e2e homelab of one server and two agents, with the app's PV on the disk node (agent 1). */
function agentsHomelab(work: string): string {
  const config = e2eHomelab(work);
  const homelab = join(work, 'homelab');
  edit(config, '  agents: 0\n', '  agents: 2\n');
  edit(config, 'nodeFilters: ["server:*"] }\n  k3sArgs:\n', `nodeFilters: ["agent:1"] }\n  k3sArgs:\n    - { arg: "--node-label=${DISK_LABEL}", nodeFilters: ["agent:1"] }\n    - { arg: "--node-label=${CONTROLLERS_LABEL}", nodeFilters: ["agent:0"] }\n`);
  edit(config, '  nodeNamePlaceholder: NODE_NAME\n', `  nodeNamePlaceholder: NODE_NAME\n  nodes:\n    - { placeholder: DATA_NODE, node: k3d-${production}-agent-1, follows: "label:${DISK_LABEL}" }\n`);
  edit(join(homelab, 'kubernetes', 'cluster', 'storage.yaml'), 'values: [NODE_NAME]', 'values: [DATA_NODE]');
  const [key, value] = CONTROLLERS_LABEL.split('=') as [string, string];
  edit(join(homelab, 'kubernetes', 'sealed-secrets', 'controller.yaml'), '      serviceAccountName: sealed-secrets-controller\n', `      serviceAccountName: sealed-secrets-controller\n      nodeSelector: { ${key}: ${value} }\n`);
  return config;
}

/** The e2e homelab of three servers (k3d: embedded etcd). */
function serversHomelab(work: string): string {
  const config = e2eHomelab(work);
  edit(config, '  servers: 1\n', '  servers: 3\n');
  return config;
}

interface KubeItem {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

/**
 * `dr-test --keep --name NAME` of the homelab MAKE writes, in a describe of its own: kubectl on the kept
 * cluster, homelab-dr on it, and a last test that tears it down and finds nothing of it left.
 */
function keptDrTest(name: string, make: (work: string) => string) {
  const t = { work: '', kubeconfig: '', config: '', run: undefined as unknown as K3dRun };

  /** kubectl on the kept throwaway cluster; throws with the command on failure. */
  const kubectl = (args: string[]): string => {
    const r = spawnSync('kubectl', ['--kubeconfig', t.kubeconfig, ...args], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    return r.stdout;
  };
  const items = (args: string[]): KubeItem[] => (JSON.parse(kubectl([...args, '-o', 'json'])) as { items: KubeItem[] }).items;
  /** homelab-dr ARGS with the config and the state dir dr-test recorded its throwaway in. */
  const homelabDr = (args: string[]) => {
    const r = spawnSync(process.execPath, ['bin/homelab-dr.js', ...args, '--provider', 'k3d', '--config', t.config, '--state-dir', join(t.work, 'state')], {
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  };
  const containers = () => docker(['ps', '-a', '--filter', `label=k3d.cluster=${name}`, '--format', '{{.Names}}']);

  beforeAll(() => {
    t.work = mkdtempSync(join(tmpdir(), 'hdr-e2e-multinode-'));
    t.config = make(t.work);
    t.run = runK3d('dr-test', t.config, join(t.work, 'state'), ['--keep', '--name', name], RUN_TIMEOUT_MS);
    const got = spawnSync('k3d', ['kubeconfig', 'get', name], { encoding: 'utf8', timeout: 60_000 });
    t.kubeconfig = join(t.work, 'kubeconfig');
    writeFileSync(t.kubeconfig, got.stdout, { mode: 0o600 });
  }, RUN_TIMEOUT_MS + 60_000);

  afterAll(() => {
    // Only if a test failed before the teardown test ran: the cluster is this file's own.
    if (containers().length > 0) spawnSync('k3d', ['cluster', 'delete', name], { encoding: 'utf8', timeout: 180_000 });
    if (t.work) rmSync(t.work, { recursive: true, force: true });
  }, 240_000);

  /** The run's steps all green and the proof line printed. */
  const expectGreen = () => {
    expect(t.run.status, `${t.run.stdout}${t.run.stderr}`).toBe(0);
    for (const step of ['create-cluster', 'namespaces', 'storage', 'sealed-secrets-controller', 'sealed-secrets-available', 'reseal-secrets', 'apps']) {
      expect(t.run.events.filter((e) => e.t === 'step' && e.id === step).at(-1)?.status, step).toMatch(/^(applied|unchanged)$/);
    }
    expect(`${t.run.stdout}${t.run.stderr}`).toContain('proof: every step that ran verifies again on the finished cluster');
    expect(t.run.events.find((e) => e.t === 'run')?.cluster).toBe(name);
  };

  /** Node name to [Ready status, sorted node-role labels, labels]. */
  const nodes = () =>
    new Map(
      items(['get', 'nodes']).map((n) => [
        n.metadata.name,
        {
          ready: n.status?.conditions?.find((c) => c.type === 'Ready')?.status,
          roles: Object.keys(n.metadata.labels ?? {}).filter((l) => l.startsWith('node-role.kubernetes.io/')).map((l) => l.replace('node-role.kubernetes.io/', '')).sort(),
          labels: n.metadata.labels ?? {},
        },
      ]),
    );

  const lastTests = () => {
    test('verify of the kept cluster is green: Ready nodes by role, PV nodes Ready, pods beside their PVs', () => {
      const verify = homelabDr(['verify', '--name', name]);
      expect(verify.status, verify.output).toBe(0);
    }, 300_000);

    test('teardown removes the cluster: no container, network or volume left', () => {
      const before = containers();
      // The nodes' anonymous volumes carry no k3d label: they are named from the containers before teardown.
      const volumes = before.flatMap((c) => docker(['inspect', '--format', '{{range .Mounts}}{{if eq .Type "volume"}}{{println .Name}}{{end}}{{end}}', c]));
      expect(volumes.length).toBeGreaterThan(0);
      const teardown = homelabDr(['teardown', name]);
      expect(teardown.status, teardown.output).toBe(0);
      expect(teardown.output).toContain('1 deleted');
      expect(containers()).toEqual([]);
      expect(docker(['network', 'ls', '--filter', `label=k3d.cluster=${name}`, '--format', '{{.Name}}'])).toEqual([]);
      expect(docker(['volume', 'ls', '--filter', `label=k3d.cluster=${name}`, '--format', '{{.Name}}'])).toEqual([]);
      const left = new Set(docker(['volume', 'ls', '--format', '{{.Name}}']));
      expect(volumes.filter((v) => left.has(v))).toEqual([]);
    }, 300_000);
  };

  return { t, kubectl, items, nodes, expectGreen, lastTests };
}

describe.skipIf(skipReason !== undefined)('dr-test of a homelab of one server and two agents on real k3d', () => {
  const throwaway = `ha-mn-${id}`;
  const { kubectl, items, nodes, expectGreen, lastTests } = keptDrTest(throwaway, agentsHomelab);

  test('every step is green, create-cluster verified against one server and two agents', expectGreen);

  test('three Ready nodes: the server with its k3s roles, the agents with none and their labels', () => {
    const got = nodes();
    expect([...got.keys()].sort()).toEqual([`k3d-${throwaway}-agent-0`, `k3d-${throwaway}-agent-1`, `k3d-${throwaway}-server-0`]);
    for (const [node, n] of got) {
      expect(n.ready, node).toBe('True');
      expect(n.roles, node).toEqual(node.includes('-server-') ? ['control-plane', 'master'] : []);
    }
    expect(got.get(`k3d-${throwaway}-agent-1`)?.labels['homelab.dev/disk']).toBe('ssd');
    expect(got.get(`k3d-${throwaway}-agent-0`)?.labels['homelab.dev/pool']).toBe('controllers');
  });

  test('the PV follows the disk label to agent 1, and the app runs there writing to it', () => {
    const pv = JSON.parse(kubectl(['get', 'pv', 'hdr-e2e-app-data', '-o', 'json'])) as { spec: { nodeAffinity: unknown } };
    expect(JSON.stringify(pv.spec.nodeAffinity)).toContain(`"values":["k3d-${throwaway}-agent-1"]`);
    const pods = items(['get', 'pods', '-n', 'hdr-apps', '-l', 'app.kubernetes.io/name=e2e-app']);
    expect(pods.map((p) => [p.spec?.nodeName, p.status?.phase])).toEqual([[`k3d-${throwaway}-agent-1`, 'Running']]);
    // The app appends its start to starts.log on the PV; /status reads it back. The apiserver (on the
    // server node) connects to the pod's IP on agent 1: cross-node pod routing.
    const status = JSON.parse(kubectl(['get', '--raw', `/api/v1/namespaces/hdr-apps/pods/${pods[0]!.metadata.name}:8080/proxy/status`])) as { starts?: string[] };
    expect(status.starts?.filter((line) => line.includes(pods[0]!.metadata.name))).toHaveLength(1);
  });

  test('the sealed-secrets controller runs on agent 0 and serves its certificate through the server', () => {
    const controllers = items(['get', 'pods', '-n', 'kube-system', '-l', 'app.kubernetes.io/name=sealed-secrets']);
    expect(controllers.map((p) => [p.spec?.nodeName, p.status?.phase])).toEqual([[`k3d-${throwaway}-agent-0`, 'Running']]);
    // The path the steps and kubeseal take: the apiserver's service proxy, from the server to agent 0's pod.
    const pem = kubectl(['get', '--raw', '/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:8080/proxy/v1/cert.pem']);
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  lastTests();
});

describe.skipIf(skipReason !== undefined)('dr-test of a homelab of three servers (embedded etcd) on real k3d', () => {
  const throwaway = `ha-ha-${id}`;
  const { nodes, expectGreen, lastTests } = keptDrTest(throwaway, serversHomelab);

  test('every step is green, create-cluster verified against three servers', expectGreen);

  test('three Ready servers, each control-plane, etcd and master as k3s labels them', () => {
    const got = nodes();
    expect([...got.keys()].sort()).toEqual([0, 1, 2].map((i) => `k3d-${throwaway}-server-${i}`));
    for (const [node, n] of got) expect([n.ready, n.roles], node).toEqual(['True', ['control-plane', 'etcd', 'master']]);
  });

  test('one etcd cluster of three members, one per server, answering only clients with a certificate of the cluster CA', () => {
    const tls = '/var/lib/rancher/k3s/server/tls';
    const memberList = (clientCert: string) =>
      spawnSync('docker', ['exec', `k3d-${throwaway}-server-1`, 'bash', '-c', `printf 'POST /v3/cluster/member/list HTTP/1.0\\r\\nContent-Length: 2\\r\\n\\r\\n{}' | openssl s_client -quiet -connect 127.0.0.1:2379 -CAfile ${tls}/ca.crt ${clientCert} 2>&1 | tail -n 1`], { encoding: 'utf8', timeout: 60_000 }).stdout;
    const members = (JSON.parse(memberList(`-cert ${tls}/etcd.crt -key ${tls}/etcd.key`)) as { members: Array<{ name: string; peerURLs: string[] }> }).members;
    expect(members.map((m) => m.name).sort()).toEqual([0, 1, 2].map((i) => `k3d-${throwaway}-server-${i}`));
    for (const m of members) expect(m.peerURLs[0], m.name).toMatch(/^https:\/\//);
    expect(memberList('')).toContain('certificate required');
  });

  lastTests();
});
