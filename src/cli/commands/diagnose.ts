// `homelab-dr diagnose [NAMESPACE]`: walk the diagnosis ladder on the live cluster (read-only).
// Exit 0 when it names nothing, 1 when it found problems.
import { formatFinding } from '../../diagnose/findings.js';
import { loadView } from '../../diagnose/diagnose.js';
import { diagnoseView } from '../../diagnose/view.js';
import { InputError } from '../../util/errors.js';
import type { CliOptions } from '../args.js';
import { assertTargetIsProviderCluster, loadForCommand } from '../context.js';

export async function diagnoseCommand(opts: CliOptions): Promise<number> {
  if (opts.positionals.length > 1) throw new InputError(`diagnose takes at most one namespace, not ${opts.positionals.join(' ')}`);
  const namespace = opts.positionals[0];
  const { ctx } = await loadForCommand(opts, 'verify');
  await assertTargetIsProviderCluster(ctx);
  const kube = await ctx.kube();
  try {
    // The storage file's PVs tell a PV made by hand (without the config's labels) from the config's own.
    const declared = ctx.config.storage
      ? (await ctx.inputs.storage()).map((o) => o.obj).filter((o) => o.kind === 'PersistentVolume')
      : undefined;
    const view = await loadView(kube, namespace, declared);
    const findings = diagnoseView(view);
    const scope = namespace ? `namespace ${namespace}` : 'all namespaces';
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ cluster: ctx.clusterName, namespace: namespace ?? null, ok: findings.length === 0, findings }, null, 2)}\n`);
    } else {
      for (const finding of findings) process.stdout.write(`${formatFinding(finding).join('\n')}\n\n`);
      const examined = `${view.workloads.length} workload(s), ${view.pods.length} pod(s), ${view.pvcs.length} PVC(s)`;
      const verdict = findings.length === 0 ? 'no problems found' : `${findings.length} problem(s) found`;
      process.stdout.write(`${verdict} in ${scope} on cluster ${ctx.clusterName} (examined ${examined})\n`);
    }
    return findings.length === 0 ? 0 : 1;
  } finally {
    kube.close();
  }
}
