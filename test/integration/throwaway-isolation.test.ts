// A dr-test on the real control plane shares no host path with production (issue 11 item 1), and
// `verify --name <throwaway>` judges only what belongs to that cluster (issue 17): the CLI, kept
// cluster, PVs read back from the apiserver.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KwokProvider } from '../../src/cluster/kwok.js';
import { KubeClient } from '../../src/kube/client.js';

const cli = resolve('bin/homelab-dr.js');
const dir = mkdtempSync(join(tmpdir(), 'hdr-isolation-'));
const stateDir = join(dir, '.state');
const name = `hdr-iso-${process.pid}`;
const scratch = join(stateDir, 'kwok', 'homelab-dr', name, 'scratch');

cpSync(resolve('config/example'), dir, { recursive: true });
// A host firewall for production, so that verify has a host table it could wrongly judge.
writeFileSync(join(dir, 'homelab.yaml'), `${readFileSync(join(dir, 'homelab.yaml'), 'utf8')}
firewall: { backend: nftables, table: attic_dr, defaultInput: drop, allow: [{ port: 22, proto: tcp }] }
`);

function cliRun(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.SSH_CONNECTION;
  delete env.HOMELAB_DR_FIREWALL_NETNS;
  return spawnSync(process.execPath, [cli, ...args, '--config', join(dir, 'homelab.yaml'), '--state-dir', stateDir], { encoding: 'utf8', timeout: 300_000, env });
}

afterAll(async () => {
  await new KwokProvider({ root: join(stateDir, 'kwok') }).delete(name);
  // Teardown takes the scratch directories with the cluster.
  expect(existsSync(scratch)).toBe(false);
});

describe('a dr-test beside production', () => {
  it('its PVs point into the run\'s scratch directory, never at production\'s /srv/homelab; verify does not judge the host firewall', async () => {
    const drTest = cliRun('dr-test', '--name', name, '--keep', '--yes');
    expect(drTest.status, drTest.stderr).toBe(0);

    const kube = await KubeClient.fromKubeconfig(join(stateDir, 'kwok', 'clusters', name, 'kubeconfig.yaml'));
    try {
      const pvs = await kube.list({ apiVersion: 'v1', kind: 'PersistentVolume' });
      const paths = Object.fromEntries(pvs.map((pv) => [pv.metadata.name, (pv.spec as { local?: { path?: string } }).local?.path]));
      expect(paths).toEqual({ 'appdata-pv': join(scratch, 'volume-0', 'appdata'), 'data-pv': join(scratch, 'volume-0', 'data') });
      // The apps' claims bound those PVs (WaitForFirstConsumer: their pods were scheduled on the node).
      const claims = await kube.list({ apiVersion: 'v1', kind: 'PersistentVolumeClaim' });
      expect(claims.filter((c) => (c.spec as { volumeName?: string }).volumeName).map((c) => (c.spec as { volumeName: string }).volumeName).sort()).toEqual(['appdata-pv', 'data-pv']);
    } finally {
      kube.close();
    }

    const verify = cliRun('verify', '--name', name);
    expect(verify.stdout).toContain(`n/j  firewall\n       not judged: the host's rules belong to production (cluster homelab), not to ${name}\n`);
    expect(verify.stdout).not.toMatch(/FAIL firewall|table inet attic_dr does not exist/);
    expect(verify.stdout).toMatch(new RegExp(`(\\d+)/\\1 judged steps verify on cluster ${name}; 1 not judged \\(firewall\\)`));
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  });

  it('plan shows what a dr-test gets in place of production\'s paths', () => {
    const plan = cliRun('plan');
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/dr-test\/drill: throwaway cluster homelab-dt-\d{10}-[0-9a-z]{5} publishes no host port and mounts no host path; its PV paths move into scratch:/);
    expect(plan.stdout).toMatch(/volume \/srv\/homelab:\/srv\/homelab → scratch \S+\/scratch\/volume-0: an empty directory, not mounted \(fake nodes\); PV paths follow; removed at teardown/);
  });
});
