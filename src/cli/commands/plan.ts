// `homelab-dr plan`: the steps in order with their parallel groups, what each would do, the litmus
// table, and the blast radius of a hard-reset. Read-only: it reads the live production cluster only
// to count what a hard-reset would destroy, and changes nothing.
import { parallelGroups, topologicalOrder } from '../../engine/dag.js';
import { mustAlreadyVerify, selectSteps } from '../../engine/runner.js';
import type { Step, Use } from '../../engine/types.js';
import { fidelityOfConfig, type Fidelity } from '../../fidelity.js';
import { errorMessage } from '../../util/errors.js';
import { isPlanProblem, planLineText, type PlanLine, type ProblemRecord } from '../../report/problems.js';
import { alignColumns } from '../../util/helpers.js';
import { providerKind, type RecoveryContext } from '../../../steps/context.js';
import type { CliOptions } from '../args.js';
import { loadForCommand, type Loaded } from '../context.js';
import { envelope, writeEnvelope } from '../output.js';
import { scalarDifferenceWarnings } from '../scalar-warnings.js';
import { nodesSection, readNodeRows, type NodeRow, type NodesSection } from '../../safety/node-pvs.js';

export interface LitmusRow extends Use {
  step: string;
  /** The step's dependencies could not be listed: the litmus did not judge them (never a "no"). */
  problem?: ProblemRecord;
}

export interface PlanReport {
  config: string;
  provider: string;
  cluster: string;
  mode: string;
  warnings: string[];
  groups: string[][];
  steps: Array<{ id: string; title: string; needs: string[]; destructive: boolean; plan: PlanLine[] }>;
  litmus: LitmusRow[];
  circular: LitmusRow[];
  /** Why the litmus could not see every host the cluster serves (an app that did not render). */
  litmusIncomplete?: string;
  /** What the litmus read of the live cluster, when it could not (it does not exist, or did not answer). */
  litmusLive?: string;
  /** --only/--from: the steps that would run, and the unselected needs that must already verify (else exit 3). */
  selection?: { steps: string[]; mustVerify: string[] };
  /** plan only: the screen hard-reset shows before its confirmation, as text and as data. */
  blastRadius?: { text: string; data: unknown };
  /** What a kwok rehearsal runs against what production runs (src/fidelity.ts). */
  fidelity: Fidelity;
  /** plan, provider existing: no layout describes its cluster, so its live nodes by role and the PVs each holds. */
  liveNodes?: NodesSection;
}

async function planOf(step: Step<RecoveryContext>, ctx: RecoveryContext): Promise<PlanLine[]> {
  try {
    return await step.plan(ctx);
  } catch (err) {
    return [{ problem: { step: step.id, message: `cannot plan: ${errorMessage(err)}` } }];
  }
}

/** The problems steps' plans already see, and the litmus rows it could not judge, each with its step. */
export function planProblems(report: PlanReport): ProblemRecord[] {
  return report.steps.flatMap((s) => [
    ...s.plan.filter(isPlanProblem).map((l) => ({ step: s.id, ...l.problem })),
    ...report.litmus.flatMap((r) => (r.step === s.id && r.problem ? [r.problem] : [])),
  ]);
}

/** The report as -o json|yaml carries it: plan lines as text, problems as records, the blast radius as data. */
export function planBody(report: PlanReport): Record<string, unknown> {
  return {
    ...report,
    steps: report.steps.map((s) => ({ ...s, plan: s.plan.filter((l): l is string => !isPlanProblem(l)), problems: planProblems({ ...report, steps: [s] }) })),
    ...(report.blastRadius ? { blastRadius: report.blastRadius.data } : {}),
    ...(report.liveNodes ? { liveNodes: report.liveNodes.data } : {}),
  };
}

async function usesOf(step: Step<RecoveryContext>, ctx: RecoveryContext): Promise<LitmusRow[]> {
  try {
    return (await step.uses(ctx)).map((u) => ({ step: step.id, ...u }));
  } catch (err) {
    const problem = { step: step.id, check: 'litmus', message: `cannot list the run-time dependencies of step ${step.id}: ${errorMessage(err)}` };
    return [{ step: step.id, name: 'run-time dependencies', target: '?', inCluster: false, reason: 'not judged', problem }];
  }
}

/** The steps whose run-time dependencies the litmus could not list, so could not judge. */
function unjudgedSteps(report: Pick<PlanReport, 'litmus'>): string[] {
  return [...new Set(report.litmus.filter((r) => r.problem).map((r) => r.step))];
}

/** `loaded`: a run's own load, so the config is read and the apps rendered once per run. */
export async function buildPlanReport(opts: CliOptions, mode: 'plan' | 'hard-reset' | 'dr-test' | 'drill' = 'plan', loaded?: Loaded): Promise<PlanReport> {
  loaded ??= await loadForCommand(opts, mode);
  const { config, warnings, ctx } = loaded;
  // --only/--from: the plan of exactly what would run (a typo is exit 2 with a did-you-mean).
  const selected = selectSteps(loaded.steps, opts.only, opts.from);
  const steps = loaded.steps.filter((s) => selected.has(s.id));
  const mustVerify = mustAlreadyVerify(loaded.steps, selected);
  const plans = await Promise.all(steps.map((s) => planOf(s, ctx)));
  const litmus = (await Promise.all(steps.map((s) => usesOf(s, ctx)))).flat();
  const litmusIncomplete = await ctx.inputs.apps().then(
    () => undefined,
    (err: unknown) => errorMessage(err),
  );
  const { clusterFacts } = await import('../../../steps/uses.js');
  const litmusLive = (await clusterFacts(ctx)).liveNote;
  return {
    config: config.source,
    provider: ctx.providerName,
    cluster: ctx.clusterName,
    mode,
    warnings: [...warnings, ...(await scalarDifferenceWarnings(ctx.inputs))],
    groups: parallelGroups(loaded.steps).map((g) => g.filter((s) => selected.has(s.id)).map((s) => s.id)).filter((g) => g.length > 0),
    steps: steps.map((s, i) => ({
      id: s.id,
      title: s.title,
      needs: s.needs,
      destructive: s.destructive,
      plan: plans[i]!,
    })),
    litmus,
    circular: litmus.filter((row) => row.inCluster),
    ...(litmusIncomplete ? { litmusIncomplete } : {}),
    ...(litmusLive ? { litmusLive } : {}),
    ...(selected.size < loaded.steps.length ? { selection: { steps: steps.map((s) => s.id), mustVerify } } : {}),
    ...(mode === 'plan' && steps.some((s) => s.destructive) ? { blastRadius: await planBlastRadius(ctx, config, loaded.steps) } : {}),
    fidelity: await planFidelity(ctx),
    ...(mode === 'plan' && !providerKind(ctx).ownsCluster ? { liveNodes: await nodesSection(() => liveNodeRows(ctx)) } : {}),
  };
}

/** The rehearsal pins against the config's k3s image and sealed-secrets controller manifests. */
async function planFidelity(ctx: RecoveryContext): Promise<Fidelity> {
  // A controller manifest that does not load is reported by the sealed-secrets step's own plan.
  const objects = await ctx.inputs.sealedSecretsController().catch(() => []);
  return fidelityOfConfig(ctx.config.cluster.image, objects.map((o) => o.obj));
}

/** The provider's cluster as it runs now (read-only), on a client of its own that is closed after. */
async function liveNodeRows(ctx: RecoveryContext): Promise<NodeRow[]> {
  const { KubeClient } = await import('../../kube/client.js');
  const kube = await KubeClient.fromKubeconfig(await (await ctx.provider()).kubeconfig(ctx.clusterName));
  try {
    return await readNodeRows(kube);
  } finally {
    kube.close();
  }
}

async function planBlastRadius(ctx: RecoveryContext, config: RecoveryContext['config'], steps: readonly Step<RecoveryContext>[]): Promise<{ text: string; data: unknown }> {
  const kind = providerKind(ctx);
  if (!kind.ownsCluster) {
    const note = `provider ${kind.name}: hard-reset never deletes this cluster (only --only/--from runs restore into it)`;
    return { text: `${note}\n`, data: { command: 'hard-reset', cluster: ctx.clusterName, provider: kind.name, deletes: false, note } };
  }
  const { blastRadiusScreen } = await import('../../safety/screen.js');
  const screen = await blastRadiusScreen(ctx, config, topologicalOrder(steps).map((s) => s.id), 'hard-reset');
  return { text: screen.text, data: screen.data };
}

export function renderPlan(report: PlanReport): string {
  const out: string[] = [];
  out.push(`homelab-dr plan: ${report.config}`);
  out.push(`provider ${report.provider}, cluster "${report.cluster}"`);
  for (const w of report.warnings) out.push(`warning: ${w}`);
  if (report.selection) {
    out.push(`selected (--only/--from): ${report.selection.steps.join(', ')}`);
    if (report.selection.mustVerify.length > 0) out.push(`must already verify (else the run is refused, exit 3): ${report.selection.mustVerify.join(', ')}`);
  }
  out.push('', 'Order (steps on one line run at the same time):');
  report.groups.forEach((g, i) => {
    const names = g.map((id) => {
      const s = report.steps.find((x) => x.id === id)!;
      return `${id}${s.destructive ? ' [destructive]' : ''}`;
    });
    out.push(`  ${i + 1}. ${names.join(' | ')}`);
  });
  for (const s of report.steps) {
    out.push('', `${s.id}: ${s.title}${s.needs.length ? ` (needs ${s.needs.join(', ')})` : ''}`);
    for (const line of s.plan) out.push(`  - ${planLineText(line)}`);
  }
  out.push('', `Rehearsal fidelity (--provider kwok runs the pinned control plane)${report.fidelity.exact ? ': exact' : ''}:`);
  for (const line of report.fidelity.lines) out.push(`  ${line}`);
  out.push('', 'Litmus: can the cluster be rebuilt from zero without itself?');
  const rows = [['STEP', 'DEPENDENCY', 'WHERE', 'IN CLUSTER', 'WHY']];
  for (const r of report.litmus) {
    if (r.problem) rows.push([r.step, r.name, r.target, 'UNKNOWN', planLineText({ problem: r.problem })]);
    else rows.push([r.step, r.name, r.target, r.inCluster ? 'YES: CIRCULAR' : 'no', r.reason]);
  }
  out.push(...alignColumns(rows, '  '));
  if (report.litmusLive) out.push(`  (live: ${report.litmusLive})`);
  if (report.circular.length > 0) {
    out.push('', `${report.circular.length} circular dependenc${report.circular.length === 1 ? 'y' : 'ies'}: hard-reset and drill refuse to run with ${report.circular.length === 1 ? 'it' : 'them'}.`);
  } else if (report.litmusIncomplete) {
    out.push('', `Litmus INCOMPLETE: the hosts the cluster serves are unknown, because ${report.litmusIncomplete}`);
  } else if (unjudgedSteps(report).length > 0) {
    out.push('', `Litmus INCOMPLETE: the run-time dependencies of ${unjudgedSteps(report).join(', ')} are unknown (UNKNOWN above): hard-reset and drill refuse to run without them.`);
  } else {
    out.push('', 'No run-time dependency lives inside the cluster being rebuilt.');
  }
  if (report.liveNodes) out.push('', 'The live cluster a restore runs into (provider existing):', ...report.liveNodes.lines.map((l) => `  ${l}`));
  if (report.blastRadius) out.push('', 'If hard-reset ran now:', ...report.blastRadius.text.trimEnd().split('\n').map((l) => (l ? `  ${l}` : '')));
  return `${out.join('\n')}\n`;
}

export async function planCommand(opts: CliOptions): Promise<number> {
  const report = await buildPlanReport(opts);
  if (opts.output) writeEnvelope(envelope('Plan', 'plan', planBody(report)), opts.output);
  else process.stdout.write(renderPlan(report));
  return 0;
}
