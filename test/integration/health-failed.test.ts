// Issue 13's false green, on the real control plane and the real sealed-secrets controller: an app
// holding a SealedSecret sealed for a key the controller does not have, and a workload whose pod turns
// CrashLoopBackOff, each end the apps wait at once, red, naming the object and the cause. The apps
// wait is 10 minutes and the run is killed after 4: a run that waits it out fails these tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CRASHY_DEPLOYMENT, crashThePod, exampleWithExtraApp, startDrTest } from '../../bench/crashloop.js';
import { sealSecret } from '../../src/secrets/seal.js';
import { makeSealingKey } from '../fixtures/secrets/sealing-keys.js';

const REPO = resolve(import.meta.dirname, '../..');
const CLI = join(REPO, 'bin/homelab-dr.js');
const work = mkdtempSync(join(tmpdir(), 'hdr-it-health-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the apps wait ends at the first Failed', () => {
  it('a SealedSecret sealed for a key the controller does not have: exit 1, naming it and "no key could decrypt"', async () => {
    const lostKey = makeSealingKey();
    const sealed = sealSecret({ name: 'legacy-token', namespace: 'apps', data: { token: Buffer.from('sealed-for-a-lost-key') } }, lostKey.certPem);
    const dir = exampleWithExtraApp(REPO, work, 'sealed', [sealed]);
    const run = await startDrTest(CLI, dir, `hdr-health-ss-${process.pid}`);
    expect(run.status, run.out).toBe(1);
    expect(run.out).toMatch(/SealedSecret apps\/legacy-token is Failed: Synced=False: no key could decrypt secret/);
    expect(run.out).not.toContain('sealed-for-a-lost-key');
  }, 300_000);

  it('a pod of an app turned CrashLoopBackOff on the apiserver: exit 1, naming the Deployment, the pod and the reason', async () => {
    const cluster = `hdr-health-crash-${process.pid}`;
    const dir = exampleWithExtraApp(REPO, work, 'crash', [CRASHY_DEPLOYMENT]);
    const running = startDrTest(CLI, dir, cluster);
    await crashThePod(dir, cluster, running);
    const run = await running;
    expect(run.status, run.out).toBe(1);
    expect(run.out).toMatch(/Deployment apps\/crashy is Failed: pod apps\/crashy-[a-z0-9-]+: container app: CrashLoopBackOff: back-off 5m0s restarting failed container/);
  }, 300_000);
});
