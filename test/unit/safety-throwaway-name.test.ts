import { describe, expect, it } from 'vitest';
import { MAX_CLUSTER_NAME, throwawayCreatedAt, throwawayName, throwawayPrefix } from '../../src/safety/throwaway-name.js';
import { targetClusterName } from '../../steps/context.js';
import type { HomelabConfig } from '../../src/config/types.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const at = new Date('2026-12-02T11:38:59Z');

describe('throwaway cluster names', () => {
  it('fit k3d (32 characters) and stay DNS labels for every production name up to 63 characters', () => {
    for (let n = 1; n <= 63; n++) {
      for (const prod of ['a'.repeat(n), `${'ab-'.repeat(21)}`.slice(0, n).replace(/-$/, 'x')]) {
        const name = throwawayName(prod, { now: at });
        expect(name.length, name).toBeLessThanOrEqual(MAX_CLUSTER_NAME);
        expect(name, name).toMatch(DNS_LABEL);
        expect(throwawayCreatedAt(prod, name), `${prod} → ${name}`).toEqual(new Date('2026-12-02T11:38:00Z'));
      }
    }
  });

  it('keeps a short production name whole, and tells two long names with one beginning apart', () => {
    expect(throwawayName('homelab', { now: at, pid: 4194304 })).toBe('homelab-dt-2612021138-2hwcg');
    const a = throwawayPrefix('my-very-long-homelab-production-a');
    const b = throwawayPrefix('my-very-long-homelab-production-b');
    expect(a).not.toBe(b);
    expect(a.startsWith('my-very-')).toBe(true);
  });

  it('differs between two runs in the same minute (the bug: two drills got one name)', () => {
    const pids = [1, 2, 35, 36, 4194304, process.pid];
    const names = new Set(pids.map((pid) => throwawayName('homelab', { now: at, pid })));
    expect(names.size).toBe(pids.length);
    expect(throwawayName('homelab', { now: at })).toBe(throwawayName('homelab', { now: at, pid: process.pid }));
  });

  it("recognises only this config's throwaways, old-style names included, never the production name", () => {
    expect(throwawayCreatedAt('homelab', 'homelab')).toBeUndefined();
    expect(throwawayCreatedAt('homelab', 'homelab2-dt-2612021138-x7k2a')).toBeUndefined();
    expect(throwawayCreatedAt('home', 'homelab-dt-2612021138-x7k2a')).toBeUndefined();
    expect(throwawayCreatedAt('homelab', 'homelab-dt-2612021138-X7K2A')).toBeUndefined();
    expect(throwawayCreatedAt('homelab', 'homelab-drtest-2501010203')).toEqual(new Date('2025-01-01T02:03:00Z'));
  });

  it('dr-test and drill get a throwaway name, a resumed run the recorded one, hard-reset production', () => {
    const config = { cluster: { name: 'a-production-cluster-name-of-forty-chars' } } as HomelabConfig;
    expect(targetClusterName(config, 'hard-reset')).toBe(config.cluster.name);
    expect(targetClusterName(config, 'drill', { recorded: 'x-dt-2612021138-abcde' })).toBe('x-dt-2612021138-abcde');
    const name = targetClusterName(config, 'dr-test', { now: at });
    expect(name.length).toBeLessThanOrEqual(32);
    expect(throwawayCreatedAt(config.cluster.name, name)).toBeDefined();
  });
});
