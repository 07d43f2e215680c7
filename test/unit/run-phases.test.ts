// The run loads its config once: the litmus phase reads the plan report from the run's own load, so
// helm and kustomize render once per run, not once for the run and again for its plan report.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, vi } from 'vitest';
import { parseCli } from '../../src/cli/args.js';
import { runCommand } from '../../src/cli/commands/run.js';
import { loadConfig } from '../../src/config/load.js';
import { RefusedError } from '../../src/util/errors.js';
import { readCase } from '../bad-input/case-spec.js';
import { caseRoot, prepareCase, REPO } from '../bad-input/workspace.js';

vi.mock('../../src/config/load.js', async (original) => {
  const actual = await original<typeof import('../../src/config/load.js')>();
  return { ...actual, loadConfig: vi.fn(actual.loadConfig) };
});

test('hard-reset loads the config once, through to its litmus refusal', async () => {
  // A homelab whose exec store runs kubectl on the cluster being rebuilt: the litmus phase refuses (exit 3).
  const root = caseRoot();
  try {
    const dir = prepareCase(readCase(join(REPO, 'test/bad-input'), '221-drill-exec-store-runs-kubectl'), root);
    const opts = parseCli(['hard-reset', '-c', join(dir, 'homelab.yaml'), '--provider', 'kwok', '--state-dir', join(root, 'state'), '--yes']);
    const refused = await runCommand('hard-reset', opts).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(RefusedError);
    expect((refused as RefusedError).message).toMatch(/^hard-reset refuses: \d+ run-time dependencies live inside the cluster being rebuilt/);
    expect(vi.mocked(loadConfig)).toHaveBeenCalledTimes(1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('verifyAll (runner needs, dr-test proof, verify command) scrubs a secret from a verify that throws', async () => {
  const { verifyAll } = await import('../../src/engine/runner.js');
  const { registerSecret } = await import('../../src/util/secrets-registry.js');
  registerSecret('s3cr3t-token-value');
  const step = (id: string, verify: () => Promise<{ ok: boolean; missing: string[] }>) =>
    ({ id, title: id, needs: [], destructive: false, uses: async () => [], plan: async () => [], apply: async () => {}, verify });
  const verdicts = await verifyAll(
    [step('a', async () => ({ ok: true, missing: [] })), step('b', async () => { throw new Error('bad token s3cr3t-token-value'); })],
    { signal: new AbortController().signal },
  );
  expect(verdicts.map((v) => [v.step.id, v.result.ok])).toEqual([['a', true], ['b', false]]);
  expect(verdicts[1]!.result.missing.join('\n')).not.toContain('s3cr3t-token-value');
  expect(verdicts[1]!.result.missing[0]).toMatch(/^verify failed: bad token /);
});
