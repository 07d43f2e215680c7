// `homelab-dr lint`: the offline checks of the plan, exit 1 when the plan names a problem: the config
// (exit 2, with the provider's own checks), every manifest, and what preflight checks without a cluster
// (object names and duplicates, declared namespaces, PodSecurity, PV labels and claims), which steps put
// in their plan as problems. It never contacts a cluster or a secret store.
import { problemSentence, type ProblemRecord } from '../../report/problems.js';
import type { CliOptions } from '../args.js';
import type { Loaded } from '../context.js';
import { envelope, writeEnvelope } from '../output.js';
import { buildPlanReport, planProblems, type PlanReport } from './plan.js';

/** Each problem as a record, with the line lint prints for it. */
function lintProblems(report: PlanReport): Array<{ record: ProblemRecord; text: string }> {
  const fromPlans = planProblems(report).map((record) => ({ record, text: `${record.step}: ${problemSentence(record)}` }));
  const circular = report.circular.map((r) => {
    const message = `${r.name} (${r.target}) is circular: ${r.reason}`;
    return { record: { step: r.step, check: 'litmus', object: r.name, message }, text: `litmus: ${message}` };
  });
  const incomplete = report.litmusIncomplete
    ? [{ record: { check: 'litmus', message: `litmus incomplete: ${report.litmusIncomplete}` }, text: `litmus incomplete: ${report.litmusIncomplete}` }]
    : [];
  return [...fromPlans, ...circular, ...incomplete];
}

/** `loaded`: a load made already (a test's steps); lint loads the config itself otherwise. */
export async function lintCommand(opts: CliOptions, loaded?: Loaded): Promise<number> {
  const report = await buildPlanReport(opts, 'plan', loaded);
  const all = lintProblems(report);
  if (opts.output) {
    const body = { config: report.config, ok: all.length === 0, steps: report.steps.length, warnings: report.warnings, problems: all.map((p) => p.record) };
    writeEnvelope(envelope('LintResult', 'lint', body), opts.output);
  } else {
    for (const w of report.warnings) process.stdout.write(`warning: ${w}\n`);
    for (const p of all) process.stdout.write(`problem: ${p.text}\n`);
    process.stdout.write(all.length === 0 ? `lint: ${report.config}: no problems found in ${report.steps.length} steps\n` : `lint: ${all.length} problem(s)\n`);
  }
  return all.length === 0 ? 0 : 1;
}
