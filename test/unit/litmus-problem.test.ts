// A step whose run-time dependencies cannot be listed is a litmus problem as a record, never a row that
// reads "no" (not circular): plan shows it as UNKNOWN, -o json carries the record, and lint exits 1.
import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseCli } from '../../src/cli/args.js';
import { lintCommand } from '../../src/cli/commands/lint.js';
import { buildPlanReport, planBody, planProblems, renderPlan } from '../../src/cli/commands/plan.js';
import { loadForCommand, type Loaded } from '../../src/cli/context.js';

const example = resolve('config/example/homelab.yaml');
const RECORD = { step: 'reseal-secrets', check: 'litmus', message: 'cannot list the run-time dependencies of step reseal-secrets: resolver exploded' };

/** The example's steps, with reseal-secrets unable to say what it uses (e.g. this host's interfaces unreadable). */
async function brokenLoad(command: string): Promise<Loaded> {
  const loaded = await loadForCommand(parseCli([command, '-c', example]), 'plan');
  const steps = loaded.steps.map((s) => (s.id === 'reseal-secrets' ? { ...s, uses: () => Promise.reject(new Error('resolver exploded')) } : s));
  return { ...loaded, steps };
}

function captureStdout(): () => string {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  return () => out;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a litmus row that could not be judged', { timeout: 60_000 }, () => {
  it('is a problem record of its step in the plan and its -o json body, shown as UNKNOWN, never as "no"', async () => {
    const report = await buildPlanReport(parseCli(['plan', '-c', example]), 'plan', await brokenLoad('plan'));
    const row = report.litmus.find((r) => r.step === 'reseal-secrets')!;
    expect(row.problem).toEqual(RECORD);
    expect(report.circular).toEqual([]);
    expect(planProblems(report)).toEqual([RECORD]);
    const body = JSON.parse(JSON.stringify(planBody(report))) as { steps: Array<{ id: string; problems: unknown[] }>; litmus: Array<{ problem?: unknown }> };
    expect(body.steps.find((s) => s.id === 'reseal-secrets')!.problems).toEqual([RECORD]);
    expect(body.litmus.filter((r) => r.problem)).toEqual([expect.objectContaining({ step: 'reseal-secrets', problem: RECORD })]);
    const text = renderPlan(report);
    expect(text).toMatch(/reseal-secrets\s+run-time dependencies\s+\?\s+UNKNOWN\s+PROBLEM: cannot list the run-time dependencies of step reseal-secrets: resolver exploded/);
    expect(text).toContain('Litmus INCOMPLETE: the run-time dependencies of reseal-secrets are unknown');
    expect(text).not.toContain('No run-time dependency lives inside the cluster being rebuilt.');
  });

  it('makes lint exit 1, counting it in text and in -o json', async () => {
    const text = captureStdout();
    expect(await lintCommand(parseCli(['lint', '-c', example]), await brokenLoad('lint'))).toBe(1);
    expect(text()).toContain('problem: reseal-secrets: cannot list the run-time dependencies of step reseal-secrets: resolver exploded\n');
    expect(text()).toContain('lint: 1 problem(s)\n');
    vi.restoreAllMocks();
    const json = captureStdout();
    expect(await lintCommand(parseCli(['lint', '-c', example, '-o', 'json']), await brokenLoad('lint'))).toBe(1);
    expect(JSON.parse(json())).toMatchObject({ kind: 'LintResult', ok: false, problems: [RECORD] });
  });

  it('the example as it is has no such row, and lint stays 0', async () => {
    const report = await buildPlanReport(parseCli(['plan', '-c', example]));
    expect(report.litmus.filter((r) => r.problem)).toEqual([]);
    const out = captureStdout();
    expect(await lintCommand(parseCli(['lint', '-c', example]))).toBe(0);
    expect(out()).toContain('no problems found');
  });
});
