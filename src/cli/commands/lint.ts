// `homelab-dr lint`: the offline checks of the plan, exit 1 when the plan names a problem: the config
// (exit 2, with the provider's own checks), every manifest, and what preflight checks without a cluster
// (object names and duplicates, declared namespaces, PodSecurity, PV labels and claims), which steps put
// in their plan as PROBLEM lines. It never contacts a cluster or a secret store.
import type { CliOptions } from '../args.js';
import { buildPlanReport } from './plan.js';

export async function lintCommand(opts: CliOptions): Promise<number> {
  const report = await buildPlanReport(opts);
  const problems = report.steps.flatMap((s) => s.plan.filter((l) => l.startsWith('PROBLEM:')).map((l) => `${s.id}: ${l.slice(9).trim()}`));
  const circular = report.circular.map((r) => `litmus: ${r.name} (${r.target}) is circular: ${r.reason}`);
  const incomplete = report.litmusIncomplete ? [`litmus incomplete: ${report.litmusIncomplete}`] : [];
  const all = [...problems, ...circular, ...incomplete];
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ config: report.config, warnings: report.warnings, problems: all }, null, 2)}\n`);
  } else {
    for (const w of report.warnings) process.stdout.write(`warning: ${w}\n`);
    for (const p of all) process.stdout.write(`problem: ${p}\n`);
    process.stdout.write(all.length === 0 ? `lint: ${report.config}: no problems found in ${report.steps.length} steps\n` : `lint: ${all.length} problem(s)\n`);
  }
  return all.length === 0 ? 0 : 1;
}
