// The k3d RTO benchmark's parts that need no cluster: the shell baseline's step markers, and that its
// steps carry homelab-dr's step ids, so the two breakdowns compare step by step.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { homelabDrPhases, shellNodeStart, shellSteps } from '../../bench/k3d-rto.js';
import type { JournalData } from '../../src/engine/journal.js';
import { E2E_HOMELAB_DIR } from '../../bench/k3d-tier.js';
import { loadConfig } from '../../src/config/load.js';
import { buildSteps } from '../../steps/index.js';

describe('k3d RTO benchmark', () => {
  test('step markers become seconds per step; a step that never ended is left out', () => {
    const output = ['@@step delete-cluster start 1000', 'k3d says things', '@@step delete-cluster end 3500', '@@step create-cluster start 3500', '@@step create-cluster end 13500', '@@step apps start 14000'].join('\n');
    expect(shellSteps(output)).toEqual(new Map([['delete-cluster', 2.5], ['create-cluster', 10]]));
  });

  test("node start is the script's marks around `k3d cluster create`; without its end it is not a number", () => {
    expect(shellNodeStart('@@step create-cluster start 1000\n@@node-start start 1200\nINFO k3d\n@@node-start end 16700\n')).toBe(15.5);
    expect(shellNodeStart('@@node-start start 1200\n')).toBeNaN();
  });

  test("homelab-dr's node start runs from its create-cluster step to its Cluster item; before/after are the process's edges around its steps", () => {
    const journal: JournalData = {
      path: 'runs/x.jsonl',
      header: { runId: 'x', command: 'hard-reset', config: 'homelab.yaml', startedAt: '2026-01-01T00:00:02.000Z', steps: [], cluster: 'c' },
      steps: new Map([
        ['preflight', { id: 'preflight', status: 'unchanged', startedAt: '2026-01-01T00:00:03.000Z', endedAt: '2026-01-01T00:00:04.000Z' }],
        ['create-cluster', { id: 'create-cluster', status: 'applied', startedAt: '2026-01-01T00:00:05.000Z', endedAt: '2026-01-01T00:00:21.000Z' }],
        ['apps', { id: 'apps', status: 'applied', startedAt: '2026-01-01T00:00:22.000Z', endedAt: '2026-01-01T00:00:30.500Z' }],
      ]),
      items: [
        { step: 'create-cluster', kind: 'Node', name: 'n', outcome: 'created', at: '2026-01-01T00:00:20.500Z' },
        { step: 'create-cluster', kind: 'Cluster', name: 'c', outcome: 'created', at: '2026-01-01T00:00:19.000Z' },
      ],
      torn: false,
    };
    const t0 = Date.parse('2026-01-01T00:00:00.000Z');
    expect(homelabDrPhases(journal, { startedMs: t0, endedMs: t0 + 31_000 })).toEqual({ nodeStart: 14, beforeSteps: 3, afterSteps: 0.5 });
  });

  test("the baseline's steps are hard-reset's steps of the e2e homelab, in the DAG's order, preflight aside", async () => {
    const script = readFileSync(new URL('../../bench/k3d-baseline.sh', import.meta.url), 'utf8');
    const marked = [...script.matchAll(/^mark (\S+) start$/gm)].map((m) => m[1]);
    const config = await loadConfig(`${E2E_HOMELAB_DIR}/homelab.yaml`);
    // The script waits for the controller's rollout inside its sealed-secrets-controller step, in its
    // fixed order; homelab-dr waits for it in sealed-secrets-available, beside reseal-secrets and apps.
    const ids = buildSteps(config, 'hard-reset').map((s) => s.id).filter((id) => id !== 'preflight' && id !== 'sealed-secrets-available');
    expect(marked).toEqual(ids);
  });

  // The baseline's sleep-polling checks, against a kubectl that prints what the test gives it: each must
  // hold only when every field kubectl's own wait reads says so.
  describe('the baseline\'s poll checks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hdr-baseline-waits-'));
    writeFileSync(join(dir, 'kubectl'), '#!/bin/sh\nprintf "%s" "$FAKE_KUBECTL_OUT"\nexit "${FAKE_KUBECTL_RC:-0}"\n');
    chmodSync(join(dir, 'kubectl'), 0o755);
    const waits = new URL('../../bench/k3d-baseline-waits.sh', import.meta.url).pathname;
    const check = (fn: string, out: string, rc = 0): number =>
      spawnSync('bash', ['-c', `waits=poll; source "${waits}"; ${fn}`], { env: { PATH: `${dir}:/usr/bin:/bin`, FAKE_KUBECTL_OUT: out, FAKE_KUBECTL_RC: String(rc) } }).status ?? -1;

    test.each([
      ['1|1|1|1|1|1', 0, 'rolled out'],
      ['2|1|1|1|1|1', 1, 'a newer generation not yet observed'],
      ['1|1|1|1||', 1, 'no replica updated or available yet'],
      ['1|1|1|1|1|', 1, 'updated but not available'],
      ['1|1|1|2|1|1', 1, 'an old replica still there'],
      ['1|1|2|2|2|1', 1, 'one of two available'],
    ])('deployment_ready on %s exits %i (%s)', (fields, want) => {
      expect(check('deployment_ready ns app', fields)).toBe(want);
    });

    test('deployment_ready fails when kubectl does (no such Deployment yet)', () => {
      expect(check('deployment_ready ns app', '', 1)).toBe(1);
    });

    test.each([
      ['True\n', 0],
      ['True\nTrue\n', 0],
      ['True\nFalse\n', 1],
      ['Unknown\n', 1],
      ['', 1],
    ])('nodes_ready on %j exits %i', (statuses, want) => {
      expect(check('nodes_ready', statuses)).toBe(want);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
  });
});
