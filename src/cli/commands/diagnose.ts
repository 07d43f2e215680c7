// `homelab-dr diagnose [-n NAMESPACE]`: walk the diagnosis ladder on the live cluster (read-only).
// On a cluster the provider owns, also what the node runs against what the config gives only at
// creation. Exit 0 when it names nothing, 1 when it found problems.
import { configDriftFindings } from '../../diagnose/declared-drift.js';
import { formatFinding } from '../../diagnose/findings.js';
import { loadView } from '../../diagnose/diagnose.js';
import { diagnoseView } from '../../diagnose/view.js';
import { InputError } from '../../util/errors.js';
import type { CliOptions } from '../args.js';
import { assertTargetIsProviderCluster, loadForCommand } from '../context.js';
import { envelope, writeEnvelope } from '../output.js';

export async function diagnoseCommand(opts: CliOptions): Promise<number> {
  // -n NAMESPACE, as kubectl; a lone positional namespace is still read, for scripts written before -n.
  if (opts.positionals.length > 1 || (opts.positionals.length === 1 && opts.namespace !== undefined)) {
    throw new InputError(`diagnose takes one namespace (-n NAMESPACE), not ${[...(opts.namespace !== undefined ? [opts.namespace] : []), ...opts.positionals].join(' ')}`);
  }
  const namespace = opts.namespace ?? opts.positionals[0];
  const { ctx } = await loadForCommand(opts, 'verify');
  await assertTargetIsProviderCluster(ctx);
  const kube = await ctx.kube();
  try {
    // The storage file's PVs tell a PV made by hand (without the config's labels) from the config's own.
    const declared = ctx.config.storage
      ? (await ctx.inputs.storage()).map((o) => o.obj).filter((o) => o.kind === 'PersistentVolume')
      : undefined;
    // The namespaces file tells a PodSecurity label changed on the cluster from a workload the config got wrong.
    const declaredNamespaces = ctx.config.namespaces
      ? (await ctx.inputs.namespaces()).map((o) => o.obj).filter((o) => o.kind === 'Namespace')
      : undefined;
    const view = await loadView(kube, namespace, declared, declaredNamespaces);
    // Cluster-wide, so only when no namespace narrows the question: settings given only at creation
    // (registries.yaml) that the node no longer runs.
    const drift = namespace === undefined ? ((await (await ctx.provider()).configDrift?.(ctx.clusterName, ctx.config.cluster)) ?? []) : [];
    const findings = [...configDriftFindings(ctx.clusterName, drift), ...diagnoseView(view)];
    const scope = namespace ? `namespace ${namespace}` : 'all namespaces';
    if (opts.output) {
      const problems = findings.map((f) => ({ step: 'diagnose', object: f.object, message: f.problem, ...(f.fix.length ? { fix: f.fix.join('; ') } : {}) }));
      writeEnvelope(envelope('Diagnosis', 'diagnose', { cluster: ctx.clusterName, namespace: namespace ?? null, ok: findings.length === 0, findings, problems }), opts.output);
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
