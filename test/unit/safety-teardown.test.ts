// Teardown and the drill's sweep against a provider fake behind ClusterProvider, with real locks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterProvider } from '../../src/cluster/provider.js';
import { acquireLock, clusterLockPath } from '../../src/safety/run-lock.js';
import { listThrowaways, removeThrowaway, sweepOldThrowaways } from '../../src/safety/teardown.js';

const home = mkdtempSync(join(tmpdir(), 'hdr-teardown-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const holder = { pid: process.pid, command: 'teardown', runId: 'run-t', startedAt: 'T' };

function provider(names: string[]): ClusterProvider & { deleted: string[] } {
  const clusters = new Set(names);
  const deleted: string[] = [];
  return {
    name: 'kwok',
    clusterHome: home,
    deleted,
    list: async () => [...clusters],
    exists: async (n) => clusters.has(n),
    create: async () => {},
    delete: async (n) => {
      deleted.push(n);
      clusters.delete(n);
    },
    kubeconfig: async () => '',
    nodeNames: async () => [],
  };
}

const OLD = 'homelab-dt-2611010000-00001';
const NEW = 'homelab-dt-2612021100-00002';

describe('teardown', () => {
  it("lists only this config's throwaways, oldest first", async () => {
    const p = provider(['homelab', NEW, 'other-dt-2611010000-00003', OLD, 'homelab-drtest-2501010203']);
    expect((await listThrowaways(p, 'homelab')).map((t) => t.name)).toEqual(['homelab-drtest-2501010203', OLD, NEW]);
  });

  it('refuses the production name and a cluster that is not a throwaway of this config (exit 3), touching nothing', async () => {
    const p = provider(['homelab', 'other-dt-2611010000-00003', 'custom-name']);
    await expect(removeThrowaway(p, 'homelab', 'homelab', holder)).rejects.toMatchObject({ exitCode: 3 });
    await expect(removeThrowaway(p, 'homelab', ' HOMELAB ', holder)).rejects.toMatchObject({ exitCode: 3 });
    await expect(removeThrowaway(p, 'homelab', 'other-dt-2611010000-00003', holder)).rejects.toMatchObject({ exitCode: 3 });
    await expect(removeThrowaway(p, 'homelab', 'custom-name', holder)).rejects.toMatchObject({ exitCode: 3 });
    expect(p.deleted).toEqual([]);
    // A --name a dr-test of this state directory used is known, so it may go.
    expect(await removeThrowaway(p, 'homelab', 'custom-name', holder, ['custom-name'])).toMatchObject({ outcome: 'deleted' });
  });

  it('leaves a cluster that a live run holds to that run, naming it', async () => {
    const p = provider([OLD]);
    const live = acquireLock(clusterLockPath(OLD, home), { what: `cluster ${OLD}`, holder: { pid: 4242, command: 'dr-test', runId: 'run-live', startedAt: 'T1' } });
    try {
      const outcome = await removeThrowaway(p, 'homelab', OLD, holder);
      expect(outcome.outcome).toBe('skipped');
      expect(outcome.message).toContain('pid 4242 (homelab-dr dr-test, run run-live, started T1)');
      expect(p.deleted).toEqual([]);
    } finally {
      live.release();
    }
  });

  it("the drill's sweep removes throwaways older than the limit, keeps younger ones and its own", async () => {
    const p = provider(['homelab', OLD, NEW]);
    const now = new Date('2026-12-02T12:00:00Z');
    const swept = await sweepOldThrowaways({ provider: p, production: 'homelab', maxAgeMs: 24 * 3_600_000, current: 'homelab-dt-2612021200-00009', holder, now });
    expect(swept.outcomes.map((o) => `${o.name} ${o.outcome}`)).toEqual([`${OLD} deleted`]);
    expect(swept.kept).toBe(1);
    expect(p.deleted).toEqual([OLD]);
    const none = await sweepOldThrowaways({ provider: p, production: 'homelab', maxAgeMs: 0, current: NEW, holder, now });
    expect(none.outcomes).toEqual([]);
    expect(p.deleted).toEqual([OLD]);
  });
});
