// The context guard in the run (issue 13 §1): before anything is destroyed, hard-reset checks that the
// kubeconfig it acts through names the provider's own cluster. On the real control plane: production
// "homelab" and another cluster, and production's kubeconfig made to point at the other one.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwokProvider } from '../../src/cluster/kwok.js';

const cli = resolve('bin/homelab-dr.js');
const dir = mkdtempSync(join(tmpdir(), 'hdr-context-guard-'));
const stateDir = join(dir, '.state');
const provider = new KwokProvider({ root: join(stateDir, 'kwok') });
const other = `hdr-other-${process.pid}`;

beforeAll(async () => {
  cpSync(resolve('config/example'), dir, { recursive: true });
  await provider.create('homelab', { nodeName: 'homelab-server-0' });
  await provider.create(other);
}, 240_000);

afterAll(async () => {
  await provider.delete(other);
  await provider.delete('homelab');
  rmSync(dir, { recursive: true, force: true });
});

describe('the context guard in hard-reset', () => {
  it('refuses (exit 3) when the kubeconfig names another cluster\'s apiserver, and destroys nothing', async () => {
    const production = await provider.apiServer('homelab');
    const elsewhere = await provider.apiServer(other);
    expect(elsewhere).not.toBe(production);
    copyFileSync(await provider.kubeconfig(other), await provider.kubeconfig('homelab'));

    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.SSH_CONNECTION;
    const run = spawnSync(process.execPath, [cli, 'hard-reset', '--config', join(dir, 'homelab.yaml'), '--state-dir', stateDir, '--yes'], { encoding: 'utf8', timeout: 120_000, env });
    expect(run.status, run.stderr).toBe(3);
    expect(run.stderr).toContain(`the kubeconfig does not point at cluster "homelab": its server is ${elsewhere}/, the provider's is ${production}; nothing was touched`);
    expect(await provider.exists('homelab')).toBe(true);
    expect(await provider.exists(other)).toBe(true);
  });
});
