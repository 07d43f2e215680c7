// The e2e homelab (e2e/homelab) passes lint and plan offline, as the repo has it and as the k3d tier's
// runs prepare it (bench/k3d-tier.ts), and its secret values never reach the output.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { E2E_HOMELAB_DIR, k3dTierFromEnv, prepareE2eHomelab, substituteExactly, type K3dTier } from '../../bench/k3d-tier.js';
import { main } from '../../src/cli/main.js';

const repoConfig = join(E2E_HOMELAB_DIR, 'homelab.yaml');
const storeValues = ['APP_TOKEN', 'EDGE_TOKEN'].map((k) => execFileSync(join(E2E_HOMELAB_DIR, 'secrets', 'e2e-store.sh'), [k], { encoding: 'utf8' }));
const tier: K3dTier = {
  nodeImage: 'homelab-dr/k3s-compat-node:v1.33.13-r1-0123456789ab',
  registry: 'k3d-homelab-dr-registry:5000',
  registryContainer: 'k3d-homelab-dr-registry',
  registryImage: 'homelab-dr/registry:v3.0.0',
  appImage: 'homelab-dr/app:ba9876543210',
  sealedSecretsImage: 'homelab-dr/sealed-secrets-controller:v0.27.3',
};
const work = mkdtempSync(join(tmpdir(), 'hdr-e2e-homelab-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((out += String(s)), true));
  try {
    return { code: await main(argv), out };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('e2e/homelab', { timeout: 60_000 }, () => {
  it('lint: the one problem is the SealedSecret CRD the repo copy lacks (the runs add it from the module cache); no store value in the output', async () => {
    const { code, out } = await cli('lint', '--config', repoConfig);
    expect(out).toMatch(/the sealed-secrets controller manifests \(\S+\/e2e\/homelab\/kubernetes\/sealed-secrets\/controller\.yaml\) define no CustomResourceDefinition sealedsecrets\.bitnami\.com/);
    expect(out).toContain('lint: 1 problem(s)');
    expect(code).toBe(1);
    for (const value of storeValues) expect(out).not.toContain(value);
  });

  it('plan: k3d with the registry config at creation, both namespaces, the PV, the controller, both secrets and the apps', async () => {
    const { code, out } = await cli('plan', '--config', repoConfig, '--state-dir', join(work, 'state-plan'));
    expect(code).toBe(0);
    expect(out).toContain('k3d cluster create "hdr-e2e": 1 server(s), 0 agent(s), image homelab-dr/k3s-compat-node:e2e');
    expect(out).toMatch(/registry config given at creation: use k3d-homelab-dr-registry:5000, config \S+\/e2e\/homelab\/registries\.yaml/);
    for (const name of ['hdr-apps', 'hdr-edge', 'hdr-e2e-app-data', 'hdr-apps/app-token', 'hdr-edge/edge-token', 'e2e-apps']) expect(out).toContain(name);
    expect(out).toContain('No run-time dependency lives inside the cluster being rebuilt.');
    for (const value of storeValues) expect(out).not.toContain(value);
  });

  it("a prepared copy carries the tier's images, registry and the run's host path, and still lints", async () => {
    const dest = join(work, 'prepared');
    const config = prepareE2eHomelab(dest, tier, join(work, 'pv'), { clusterName: 'hdr-e2e-prod' });
    expect(existsSync(join(work, 'pv'))).toBe(true);
    const cluster = parse(readFileSync(config, 'utf8')).cluster;
    expect(cluster).toMatchObject({ name: 'hdr-e2e-prod', image: tier.nodeImage, registries: { use: [tier.registry] }, volumes: [{ volume: `${join(work, 'pv')}:/srv/hdr-e2e` }] });
    expect(parse(readFileSync(join(dest, 'registries.yaml'), 'utf8'))).toEqual({ mirrors: { 'docker.io': { endpoint: [`http://${tier.registry}`] } } });
    expect(readFileSync(join(dest, 'kubernetes', 'apps', 'app.yaml'), 'utf8').match(/image: .*/g)).toEqual([`image: docker.io/${tier.appImage}`, `image: docker.io/${tier.appImage}`]);
    const controller = readFileSync(join(dest, 'kubernetes', 'sealed-secrets', 'controller.yaml'), 'utf8');
    expect(controller).toContain(`image: docker.io/${tier.sealedSecretsImage}`);
    expect(controller).toContain('name: sealedsecrets.bitnami.com');
    const { code } = await cli('lint', '--config', config);
    expect(code).toBe(0);
  });

  it('a substitution that does not find its text exactly as often as expected fails, naming the file', () => {
    const file = join(work, 'subst.yaml');
    writeFileSync(file, 'image: a\nimage: a\n');
    expect(() => substituteExactly(file, 'image: a', 'image: b', 1)).toThrow(`${file}: expected 1 occurrence(s) of "image: a", found 2`);
    expect(readFileSync(file, 'utf8')).toBe('image: a\nimage: a\n');
    substituteExactly(file, 'image: a', 'image: b', 2);
    expect(readFileSync(file, 'utf8')).toBe('image: b\nimage: b\n');
  });

  it('the tier is reported as not up, with the reason, where its environment is absent', () => {
    const found = k3dTierFromEnv({ PATH: process.env.PATH });
    expect(found).toEqual({ skip: expect.stringMatching(/^the k3d tier is not up: HOMELAB_DR_K3D_NODE_IMAGE, HOMELAB_DR_K3D_REGISTRY, HOMELAB_DR_K3D_REGISTRY_NAME, HOMELAB_DR_K3D_REGISTRY_IMAGE, HOMELAB_DR_K3D_APP_IMAGE, HOMELAB_DR_K3D_SEALED_SECRETS_IMAGE unset/) });
  });
});
