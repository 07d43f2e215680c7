// `homelab-dr verify`: every step's own verify, read-only, against the live cluster: "could I recover
// right now, and is the cluster as declared?" Exit 1 when any step does not hold.
import { topologicalOrder } from '../../engine/dag.js';
import { selectSteps, verifyAll } from '../../engine/runner.js';
import { InputError } from '../../util/errors.js';
import { nodesSection, readNodeRows } from '../../safety/node-pvs.js';
import { providerKind } from '../../../steps/context.js';
import type { CliOptions } from '../args.js';
import { assertTargetIsProviderCluster, loadForCommand } from '../context.js';
import { envelope, writeEnvelope } from '../output.js';

interface StepVerdict {
  step: string;
  ok: boolean;
  missing: string[];
  /** Why the step was not judged on this cluster; such a step is neither a pass nor a failure. */
  stepNotJudged?: string;
}

export async function verifyCommand(opts: CliOptions): Promise<number> {
  const { steps, ctx } = await loadForCommand(opts, 'verify');
  // A typo in --only/--from is exit 2 with a did-you-mean, never "0/0 steps verify" and exit 0.
  const selected = selectSteps(steps, opts.only, opts.from);
  // A verify of another cluster than the provider's would call it green or red for the wrong one.
  await assertTargetIsProviderCluster(ctx);
  // delete-cluster holds only while the cluster is gone; on a live cluster it says nothing useful.
  const verifiable = topologicalOrder(steps).filter((s) => !s.destructive && selected.has(s.id));
  const verdicts: StepVerdict[] = (await verifyAll(verifiable, ctx)).map(({ step, result: { ok, missing, stepNotJudged } }) =>
    ({ step: step.id, ok, missing, ...(stepNotJudged !== undefined ? { stepNotJudged } : {}) }));
  // Provider existing: no layout says what the cluster has, so verify counts its nodes and says which hold which PVs.
  const nodes = providerKind(ctx).ownsCluster ? undefined : await nodesSection(async () => readNodeRows(await ctx.kube()));
  (await ctx.kube().catch(() => undefined))?.close();
  if (verdicts.length === 0) {
    throw new InputError(`nothing to verify: ${[...selected].join(', ')} ha${selected.size === 1 ? 's' : 've'} no verify of a live cluster (delete-cluster holds only while the cluster is gone)`);
  }
  const notJudgedSteps = verdicts.filter((v) => v.stepNotJudged !== undefined);
  const judged = verdicts.filter((v) => v.stepNotJudged === undefined);
  const bad = judged.filter((v) => !v.ok);
  if (opts.output) {
    const problems = bad.flatMap((v) => v.missing.map((message) => ({ step: v.step, message })));
    writeEnvelope(envelope('VerifyResult', 'verify', { cluster: ctx.clusterName, ok: bad.length === 0, steps: verdicts, problems, ...nodes?.data }), opts.output);
  } else {
    for (const v of verdicts) {
      process.stdout.write(`${v.stepNotJudged !== undefined ? 'n/j ' : v.ok ? 'ok  ' : 'FAIL'} ${v.step}\n`);
      for (const m of v.stepNotJudged !== undefined ? [v.stepNotJudged] : v.missing) process.stdout.write(`       ${m}\n`);
    }
    for (const line of nodes?.lines ?? []) process.stdout.write(`${line}\n`);
    const skipped = notJudgedSteps.length > 0 ? `; ${notJudgedSteps.length} not judged (${notJudgedSteps.map((v) => v.step).join(', ')})` : '';
    process.stdout.write(`${judged.length - bad.length}/${judged.length} judged steps verify on cluster ${ctx.clusterName}${skipped}\n`);
  }
  return bad.length === 0 ? 0 : 1;
}
