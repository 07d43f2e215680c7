// Issue 12, scenario 5 on the real k3d tier: `hard-reset --provider k3d` builds the e2e homelab as a
// production cluster with real pods, then a second run on the unchanged cluster (--from namespaces:
// the DAG's delete-cluster would otherwise rebuild it) applies nothing and counts every item unchanged.
// The app's PV shows its pod was not restarted. It runs only where the tier is up; elsewhere it says why.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { E2E_HOMELAB_DIR, k3dTierFromEnv, prepareE2eHomelab } from '../bench/k3d-tier.js';
import { runK3d } from './k3d-tier.js';

const found = k3dTierFromEnv();
if ('skip' in found) console.warn(`\n*** SKIPPING e2e/k3d-second-run.test.ts: ${found.skip} ***\n`);
const storeValues = ['APP_TOKEN', 'EDGE_TOKEN'].map((k) => spawnSync(join(E2E_HOMELAB_DIR, 'secrets', 'e2e-store.sh'), [k], { encoding: 'utf8' }).stdout);
const RUN_TIMEOUT_MS = 900_000;

interface Run {
  status: number | null;
  stderr: string;
  events: Array<Record<string, unknown>>;
  all: string;
}

function hardReset(config: string, stateDir: string, ...extra: string[]): Run {
  const r = runK3d('hard-reset', config, stateDir, extra, RUN_TIMEOUT_MS);
  return { status: r.status, stderr: r.stderr, events: r.events, all: `${r.stdout}${r.stderr}${r.journal}` };
}

const lastStatus = (run: Run, id: string) => run.events.filter((e) => e.t === 'step' && e.id === id).at(-1)?.status;
const docker = (...args: string[]) => spawnSync('docker', args, { encoding: 'utf8' }).stdout.trim();

describe.skipIf('skip' in found)('second hard-reset on an unchanged k3d cluster', () => {
  const cluster = `hdr-e2e2-${process.pid.toString(36)}`;
  let work = '';
  let config = '';
  let first: Run;
  const startsLog = () => readFileSync(join(work, 'pv', 'app-data', 'starts.log'), 'utf8');

  beforeAll(() => {
    if ('skip' in found) return;
    work = mkdtempSync(join(tmpdir(), 'hdr-e2e-second-'));
    config = prepareE2eHomelab(join(work, 'homelab'), found.tier, join(work, 'pv'), { clusterName: cluster });
    first = hardReset(config, join(work, 'state-1'));
  }, RUN_TIMEOUT_MS + 60_000);

  afterAll(() => {
    spawnSync('k3d', ['cluster', 'delete', cluster], { encoding: 'utf8', timeout: 180_000 });
    const left = [docker('ps', '-a', '--filter', `name=k3d-${cluster}`, '--format', '{{.Names}}'), docker('network', 'ls', '--filter', `name=k3d-${cluster}`, '--format', '{{.Name}}'), docker('volume', 'ls', '--filter', `name=k3d-${cluster}`, '--format', '{{.Name}}')];
    if (work) rmSync(work, { recursive: true, force: true });
    expect(left.join('')).toBe('');
  }, 240_000);

  test('the first run builds the cluster green, with the app running on its PV', () => {
    expect(first.status, first.stderr).toBe(0);
    for (const id of ['delete-cluster', 'create-cluster', 'namespaces', 'storage', 'sealed-secrets-controller', 'sealed-secrets-available', 'reseal-secrets', 'apps']) expect(lastStatus(first, id)).toMatch(/^(applied|unchanged)$/);
    expect(startsLog().trim().split('\n')).toHaveLength(1);
  });

  test('the second run (--from namespaces) applies nothing: every step and item unchanged, the app not restarted', () => {
    // The first run made a new sealing key that no backup holds yet, and a run that leaves preflight out
    // is refused until one does (exit 3): preflight alone exports it, touching nothing in the cluster.
    const exported = hardReset(config, join(work, 'state-export'), '--only', 'preflight');
    expect(exported.status, exported.stderr).toBe(0);
    const second = hardReset(config, join(work, 'state-2'), '--from', 'namespaces');
    expect(second.status, second.stderr).toBe(0);
    for (const id of ['namespaces', 'storage', 'sealed-secrets-controller', 'sealed-secrets-available', 'reseal-secrets', 'apps']) expect(lastStatus(second, id)).toBe('unchanged');
    const items = second.events.filter((e) => e.t === 'item');
    expect(items.length).toBeGreaterThan(0);
    expect(items.filter((e) => e.outcome !== 'unchanged')).toEqual([]);
    expect(second.stderr).toMatch(new RegExp(`TOTAL\\s+0\\s+0\\s+${items.length}\\s+0\\s+0\\s+0`));
    expect(startsLog().trim().split('\n')).toHaveLength(1);
    for (const value of storeValues) expect(`${first.all}${second.all}`).not.toContain(value);
  }, RUN_TIMEOUT_MS);
});
