// The k3d RTO benchmark's parts that need no cluster: the shell baseline's step markers, and that its
// steps carry homelab-dr's step ids, so the two breakdowns compare step by step.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { shellSteps } from '../../bench/k3d-rto.js';
import { E2E_HOMELAB_DIR } from '../../bench/k3d-tier.js';
import { loadConfig } from '../../src/config/load.js';
import { buildSteps } from '../../steps/index.js';

describe('k3d RTO benchmark', () => {
  test('step markers become seconds per step; a step that never ended is left out', () => {
    const output = ['@@step delete-cluster start 1000', 'k3d says things', '@@step delete-cluster end 3500', '@@step create-cluster start 3500', '@@step create-cluster end 13500', '@@step apps start 14000'].join('\n');
    expect(shellSteps(output)).toEqual(new Map([['delete-cluster', 2.5], ['create-cluster', 10]]));
  });

  test("the baseline's steps are hard-reset's steps of the e2e homelab, in the DAG's order, preflight aside", async () => {
    const script = readFileSync(new URL('../../bench/k3d-baseline.sh', import.meta.url), 'utf8');
    const marked = [...script.matchAll(/^mark (\S+) start$/gm)].map((m) => m[1]);
    const config = await loadConfig(`${E2E_HOMELAB_DIR}/homelab.yaml`);
    const ids = buildSteps(config, 'hard-reset').map((s) => s.id).filter((id) => id !== 'preflight');
    expect(marked).toEqual(ids);
  });
});
