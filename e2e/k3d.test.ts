// The k3d provider against real k3d and Docker: create with the registry config, read it back from the
// node, fetch the kubeconfig and node names, then delete. It runs only where `docker info` succeeds and
// k3d is installed; elsewhere it says why it was skipped.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ClusterConfig } from '../src/config/types.js';
import { K3dProvider, registriesDrift } from '../src/cluster/k3d.js';
import { whyK3dCannotRun } from './k3d-tier.js';

const CREATE_TIMEOUT_MS = 240_000;

const skipReason = whyK3dCannotRun();
if (skipReason) console.log(`e2e/k3d.test.ts SKIPPED: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('k3d provider against real k3d', () => {
  const cluster = `hdr-e2e-${process.pid.toString(36)}`;
  // Made in beforeAll, so that a skipped run leaves nothing behind.
  let work = '';
  let provider: K3dProvider;
  const registriesYaml = 'mirrors:\n  docker.io:\n    endpoint:\n      - https://mirror.gcr.io\n';
  const config: ClusterConfig = {
    provider: 'k3d',
    name: cluster,
    servers: 1,
    agents: 0,
    // The tier's k3s-compatible node image where scripts/k3d-tier.sh set one up, else k3s itself.
    image: process.env.HOMELAB_DR_K3D_NODE_IMAGE ?? 'rancher/k3s:v1.33.4-k3s1',
    registries: { use: [] },
    ports: [],
    volumes: [],
    // The tier's node image ships no CoreDNS: say so, as a k3s user without DNS would.
    k3sArgs: [
      { arg: '--disable=traefik', nodeFilters: ['server:*'] },
      { arg: '--disable=coredns', nodeFilters: ['server:*'] },
    ],
  };
  const defaultKubeconfig = join(homedir(), '.kube', 'config');
  const defaultKubeconfigBefore = existsSync(defaultKubeconfig) ? readFileSync(defaultKubeconfig, 'utf8') : undefined;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'hdr-e2e-k3d-'));
    const registriesPath = join(work, 'registries.yaml');
    writeFileSync(registriesPath, registriesYaml);
    provider = new K3dProvider({ root: join(work, 'state') });
    await provider.create(cluster, { config: { ...config, registries: { use: [], config: registriesPath } }, timeoutMs: CREATE_TIMEOUT_MS });
  }, CREATE_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await provider.delete(cluster);
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  test('the cluster exists and its kubeconfig is a private file of its own', async () => {
    expect(await provider.exists(cluster)).toBe(true);
    const path = await provider.kubeconfig(cluster);
    expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
    expect(await provider.apiServer(cluster)).toMatch(/^https:\/\//);
    const after = existsSync(defaultKubeconfig) ? readFileSync(defaultKubeconfig, 'utf8') : undefined;
    expect(after).toBe(defaultKubeconfigBefore);
  }, 60_000);

  test('node names come from the API', async () => {
    expect(await provider.nodeNames(cluster)).toContain(`k3d-${cluster}-server-0`);
  }, 60_000);

  test('the node runs the registries.yaml given at creation; a changed desired one is drift whose fix is recreation', async () => {
    expect((await registriesDrift(cluster, registriesYaml)).inSync).toBe(true);
    const drift = await registriesDrift(cluster, registriesYaml.replace('mirror.gcr.io', 'mirror.example.net'));
    expect(drift.inSync).toBe(false);
    expect(drift.differences).toEqual(['mirrors["docker.io"].endpoint differs']);
    expect(drift.message).toContain('homelab-dr hard-reset');
  }, 60_000);

  test('delete removes it', async () => {
    await provider.delete(cluster);
    expect(await provider.exists(cluster)).toBe(false);
  }, 120_000);
});
