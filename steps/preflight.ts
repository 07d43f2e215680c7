import type { Step, StepLedger, VerifyResult } from '../src/engine/types.js';
import { errorMessage } from '../src/util/errors.js';
import { providerKind, type RecoveryContext } from './context.js';
import { healthProblems } from './preflight-health.js';
import { exportKeyBackup, sealingKeyProblems } from './key-backup.js';
import { keptClusterProblems } from './preflight-live.js';
import { namespaceProblems, objectProblems, podSecurityProblems, recordOf, sealedSecretsCrdProblems, storageProblems, type Problem } from './preflight-checks.js';
import { problemSentence } from '../src/report/problems.js';
import { toolProblems } from './tool-checks.js';
import { gitRemoteUses, providerUses, refsOfSecrets, storeToolUses, storeUses } from './uses.js';

/**
 * The checks preflight makes from the files alone, without a cluster, a tool or a store: names and
 * duplicates, namespaces, PV labels and claims, PodSecurity. A manifest that does not load is one
 * 'inputs' problem (the checks need every manifest).
 */
export async function offlineProblems(ctx: RecoveryContext): Promise<Problem[]> {
  let loaded;
  try {
    loaded = await Promise.all([ctx.inputs.namespaces(), ctx.inputs.storage(), ctx.inputs.apps(), ctx.inputs.sealedSecretsController()]);
  } catch (err) {
    return [{ check: 'inputs', subject: 'manifests', message: errorMessage(err) }];
  }
  const [namespaces, storage, apps, sealedSecretsController] = loaded;
  const inputs = { config: ctx.config, namespaces, storage, apps, sealedSecretsController };
  const secretsNeed = ctx.config.secrets.map((s) => ({ namespace: s.namespace, object: `Secret ${s.namespace}/${s.name}` }));
  return [
    ...objectProblems(inputs),
    ...namespaceProblems(inputs, secretsNeed),
    ...storageProblems(inputs),
    ...podSecurityProblems(inputs),
    // A controller run as a local process (kwok) applies no Deployment to wait for.
    ...healthProblems(inputs, providerKind(ctx).sealedSecretsController === 'local-process'),
    // A cluster that is kept (existing) already serves what it serves: the live checks judge it.
    ...sealedSecretsCrdProblems(inputs, providerKind(ctx).sealedSecretsController === 'in-cluster' && providerKind(ctx).ownsCluster),
  ];
}

/**
 * Checks whose problems another step's plan already names, so plan and lint say them once: storage's
 * plan checks PV labels and claims, and an input that does not load fails the plan of the step that
 * reads it (namespaces, storage, sealed-secrets-controller, apps).
 */
const REPORTED_BY_OTHER_PLANS: ReadonlySet<Problem['check']> = new Set(['inputs', 'pv-labels', 'pv-claims']);

/** Every preflight check; read-only, and complete (one failure does not hide the others). */
export async function preflightProblems(ctx: RecoveryContext): Promise<Problem[]> {
  const problems: Problem[] = [...(await toolProblems(ctx)), ...(await offlineProblems(ctx)), ...(await keptClusterProblems(ctx))];
  const { missing } = await ctx.inputs.values();
  for (const m of missing) problems.push({ check: 'values', subject: `value ${m.store}/${m.key}`, message: m.reason });
  if (ctx.mode === 'hard-reset' || ctx.mode === 'drill') {
    for (const use of await preflight.uses(ctx)) {
      if (use.inCluster) problems.push({ check: 'litmus', subject: use.name, message: `${use.name} (${use.target}) is circular: ${use.reason}` });
    }
  }
  problems.push(...(await sealingKeyProblems(ctx)));
  return problems;
}

export const preflight: Step<RecoveryContext> = {
  id: 'preflight',
  title: 'Preflight (read-only; gates all destruction)',
  needs: [],
  destructive: false,
  uses: async (ctx) => {
    const stores = refsOfSecrets(ctx).map((r) => r.store);
    const backup = ctx.config.sealedSecrets?.keyBackup?.from?.store;
    const all = backup ? [...stores, backup] : stores;
    return [
      ...providerUses(ctx),
      ...storeToolUses(ctx, all),
      ...(await storeUses(ctx, all)),
      ...(await gitRemoteUses(ctx)),
    ];
  },
  plan: async (ctx) => {
    const refs = refsOfSecrets(ctx);
    const backup = ctx.config.sealedSecrets?.keyBackup?.from ? 1 : 0;
    const keyFile = ctx.config.sealedSecrets?.keyBackup?.file;
    return [
      'validate the config and parse every manifest (done for this plan)',
      'prove every tool the selected steps run exists and answers its version command',
      ...(ctx.mode === 'hard-reset' && keyFile && providerKind(ctx).ownsCluster
        ? [`export every sealing key Secret of the live cluster to ${keyFile} (mode 0600) and prove each pair with a probe`]
        : []),
      'check every object has a name and is declared once, and every namespace an object needs is declared (offline)',
      `prove every external store holds every value the plan needs: ${refs.length + backup} value(s), read into memory only`,
      'check every PV carries the required labels and every selecting PVC has a PV (offline)',
      'evaluate every pod template against its namespace\'s PodSecurity level (offline)',
      'check every app renders objects, and every Secret, ConfigMap, PVC and ServiceAccount a pod template references is produced by the plan (offline)',
      'refuse if a run-time dependency lives inside the cluster being rebuilt (litmus)',
      ...(ctx.config.access.alternate.length > 0
        ? [`check the alternate access path: ${ctx.config.access.alternate.map((a) => a.name).join(', ')}`]
        : ['no alternate access path is configured: a session through the cluster would drop with it']),
      // What preflight would find from the files alone, so that plan and lint show it before a run.
      ...(await offlineProblems(ctx)).filter((p) => !REPORTED_BY_OTHER_PLANS.has(p.check)).map((p) => ({ problem: recordOf('preflight', p) })),
    ];
  },
  verify: async (ctx): Promise<VerifyResult> => {
    const problems = await preflightProblems(ctx);
    return { ok: problems.length === 0, missing: problems.map((p) => `${p.check}: ${problemSentence(p)}`) };
  },
  // Preflight changes nothing in the cluster. "apply" writes the key backup (hard-reset only), then
  // records each problem left in the ledger, so the summary counts them.
  apply: async (ctx, ledger: StepLedger) => {
    await exportKeyBackup(ctx, ledger);
    for (const p of await preflightProblems(ctx)) ledger.record(p.check, p.subject, 'failed', problemSentence(p));
  },
};
