// `homelab-dr verify`: every step's own verify, read-only, against the live cluster: "could I recover
// right now, and is the cluster as declared?" Exit 1 when any step does not hold.
import { topologicalOrder } from '../../engine/dag.js';
import { selectSteps } from '../../engine/runner.js';
import { InputError } from '../../util/errors.js';
import { errorMessage } from '../../util/errors.js';
import type { CliOptions } from '../args.js';
import { loadForCommand } from '../context.js';

interface StepVerdict {
  step: string;
  ok: boolean;
  missing: string[];
}

export async function verifyCommand(opts: CliOptions): Promise<number> {
  const { steps, ctx } = await loadForCommand(opts, 'verify');
  // A typo in --only/--from is exit 2 with a did-you-mean, never "0/0 steps verify" and exit 0.
  const selected = selectSteps(steps, opts.only, opts.from);
  const verdicts: StepVerdict[] = [];
  for (const step of topologicalOrder(steps)) {
    // delete-cluster holds only while the cluster is gone; on a live cluster it says nothing useful.
    if (step.destructive || !step.verify) continue;
    if (!selected.has(step.id)) continue;
    try {
      const v = await step.verify(ctx);
      verdicts.push({ step: step.id, ok: v.ok, missing: v.missing });
    } catch (err) {
      verdicts.push({ step: step.id, ok: false, missing: [`verify failed: ${errorMessage(err)}`] });
    }
  }
  (await ctx.kube().catch(() => undefined))?.close();
  if (verdicts.length === 0) {
    throw new InputError(`nothing to verify: ${[...selected].join(', ')} ha${selected.size === 1 ? 's' : 've'} no verify of a live cluster (delete-cluster holds only while the cluster is gone)`);
  }
  const bad = verdicts.filter((v) => !v.ok);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ cluster: ctx.clusterName, ok: bad.length === 0, steps: verdicts }, null, 2)}\n`);
  } else {
    for (const v of verdicts) {
      process.stdout.write(`${v.ok ? 'ok  ' : 'FAIL'} ${v.step}\n`);
      for (const m of v.missing) process.stdout.write(`       ${m}\n`);
    }
    process.stdout.write(`${verdicts.length - bad.length}/${verdicts.length} steps verify on cluster ${ctx.clusterName}\n`);
  }
  return bad.length === 0 ? 0 : 1;
}
