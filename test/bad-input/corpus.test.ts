// The bad-input corpus (issue 8): every case directory holds a broken homelab (laid over the bundled
// example) and the exit code and message fragments DESIGN.md promises for it. Cases run the compiled
// CLI as a child process. A case marked knownGap states the correct behaviour and runs as an expected
// failure (it.fails) until the tool is fixed; then it fails loudly, and the mark must go.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { readCase, type BadInputCase } from './case-spec.js';
import { createProductionCluster, type ProductionCluster } from './production-cluster.js';
import { REPO, caseRoot, fill, prepareCase, runCli } from './workspace.js';

const HERE = join(REPO, 'test/bad-input');
const cases = readdirSync(HERE)
  .filter((name) => /^\d{2,3}-/.test(name) && statSync(join(HERE, name)).isDirectory())
  .sort()
  .map((name) => readCase(HERE, name));

/** Names of the kwok clusters in a state dir (their workdirs live under `kwok/clusters`). */
function kwokClusters(stateDir: string): string[] {
  const dir = join(stateDir, 'kwok', 'clusters');
  return existsSync(dir) ? readdirSync(dir) : [];
}

async function runCase(spec: BadInputCase, stateHome: string): Promise<string> {
  const root = caseRoot();
  try {
    const dir = prepareCase(spec, root);
    const state = join(stateHome, 'homelab-dr');
    const { code, output } = await runCli(spec, dir, stateHome);
    expect(code, `exit code; output was:\n${output}`).toBe(spec.exit);
    for (const fragment of spec.message) expect(output).toContain(fill(fragment, dir, state));
    for (const fragment of spec.absent) expect(output).not.toContain(fill(fragment, dir, state));
    return state;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function title(spec: BadInputCase): string {
  return spec.knownGap ? `${spec.name} [known gap: ${spec.knownGap}]` : spec.name;
}

describe('bad-input corpus', () => {
  it('holds at least 40 cases with distinct numbers', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    const numbers = cases.map((c) => c.name.split('-')[0]);
    expect(new Set(numbers).size).toBe(numbers.length);
  });

  describe('without a cluster: nothing is created', () => {
    for (const spec of cases.filter((c) => !c.needsCluster)) {
      (spec.knownGap ? it.fails : it)(title(spec), async () => {
        const stateHome = caseRoot();
        try {
          const state = await runCase(spec, stateHome);
          expect(kwokClusters(state), 'a kwok cluster was left in the state dir').toEqual([]);
        } finally {
          rmSync(stateHome, { recursive: true, force: true });
        }
      });
    }
  });

  describe('hard-reset against a kwok "production" cluster: it and its marker survive', () => {
    let production: ProductionCluster | undefined;
    let clusterName = '';
    const teardownOnExit = (): void => production?.destroyNow();

    beforeAll(async () => {
      const example = await loadConfig(join(REPO, 'config/example/homelab.yaml'));
      clusterName = example.cluster.name;
      process.once('exit', teardownOnExit);
      production = await createProductionCluster(clusterName, example.cluster.nodeName ?? `${clusterName}-server-0`);
    }, 180_000);

    afterAll(async () => {
      process.off('exit', teardownOnExit);
      await production?.destroy();
    }, 120_000);

    for (const spec of cases.filter((c) => c.needsCluster)) {
      (spec.knownGap ? it.fails : it)(title(spec), async () => {
        const state = await runCase(spec, production!.stateHome);
        const after = await production!.intact();
        expect(after.clusterExists, `cluster ${clusterName} is gone`).toBe(true);
        expect(after.markerUid, 'the marker ConfigMap is gone or was recreated').toBe(after.expectedUid);
        expect(kwokClusters(state)).toEqual([clusterName]);
      });
    }
  });
});
