// plan honours --only and --from: it shows exactly the steps a run would execute, and which unselected
// ones must already verify (the same list the runner checks before it refuses with exit 3).
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCli } from '../../src/cli/args.js';
import { buildPlanReport, renderPlan } from '../../src/cli/commands/plan.js';

const example = resolve('config/example/homelab.yaml');

describe('plan --only/--from', { timeout: 60_000 }, () => {
  it('--only create-cluster: one step, and delete-cluster must already verify (item 8: exit 3 otherwise)', async () => {
    const report = await buildPlanReport(parseCli(['plan', '-c', example, '--only', 'create-cluster']));
    expect(report.steps.map((s) => s.id)).toEqual(['create-cluster']);
    expect(report.groups).toEqual([['create-cluster']]);
    expect(report.selection).toEqual({ steps: ['create-cluster'], mustVerify: ['preflight', 'delete-cluster'] });
    expect(report.blastRadius).toBeUndefined();
    expect(renderPlan(report)).toContain('must already verify (else the run is refused, exit 3): preflight, delete-cluster');
  });

  it('--from storage: that step and every later one; a destructive step only unselected steps need is not a condition', async () => {
    const report = await buildPlanReport(parseCli(['plan', '-c', example, '--from', 'storage']));
    expect(report.groups).toEqual([['storage', 'sealed-secrets-controller'], ['sealed-secrets-available', 'reseal-secrets'], ['apps']]);
    expect(report.selection?.mustVerify).toEqual(['preflight', 'create-cluster', 'namespaces']);
    expect(report.litmus.every((row) => report.selection!.steps.includes(row.step))).toBe(true);
  });

  it('without a selection: every step, the blast radius, and no selection block', async () => {
    const report = await buildPlanReport(parseCli(['plan', '-c', example]));
    expect(report.steps).toHaveLength(9);
    expect(report.selection).toBeUndefined();
    expect(report.blastRadius).toBeDefined();
  });
});
