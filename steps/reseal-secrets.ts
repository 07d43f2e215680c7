import { createHash } from 'node:crypto';
import type { SecretConfig } from '../src/config/types.js';
import type { Step, StepLedger } from '../src/engine/types.js';
import { healthOf, type Health } from '../src/health/rules.js';
import { describeRef, healthWaitError, waitForHealth } from '../src/health/wait.js';
import type { KubeObject } from '../src/kube/types.js';
import { refKey } from '../src/secrets/read-all.js';
import { checkedSealingCert, findSealingCert, servedCert, type FetchedCert } from '../src/secrets/cert-fetch.js';
import type { KubeClient } from '../src/kube/client.js';
import { sleep } from '../src/util/helpers.js';
import { sealSecret } from '../src/secrets/seal.js';
import { errorMessage } from '../src/util/errors.js';
import { applyCounted } from './apply-objects.js';
import type { RecoveryContext } from './context.js';
import { controllerDeployment, localCertUrl } from './sealed-secrets-controller.js';
import { refsOfSecrets, storeUses } from './uses.js';

type Values = Awaited<ReturnType<RecoveryContext['inputs']['values']>>;

/** The plaintext data of one configured secret, in memory; or why it cannot be built (never a value). */
function secretData(secret: SecretConfig, values: Values): { data?: Record<string, Buffer>; problem?: string } {
  const data: Record<string, Buffer> = {};
  const problems: string[] = [];
  for (const [key, source] of Object.entries(secret.data)) {
    if ('value' in source) {
      data[key] = Buffer.from(source.value, 'utf8');
      continue;
    }
    const value = values.values.get(refKey(source));
    if (value) data[key] = value;
    else {
      const why = values.missing.find((m) => m.store === source.store && m.key === source.key)?.reason ?? 'not read';
      problems.push(`data.${key} from store ${source.store} key ${source.key}: ${why}`);
    }
  }
  return problems.length > 0 ? { problem: problems.join('; ') } : { data };
}

/** The rule table's verdict on a SealedSecret (Synced=True Current, Synced=False Failed), in words. */
function sealedHealth(ss: KubeObject | undefined): Health {
  return ss ? healthOf(ss) : { status: 'InProgress', message: 'SealedSecret not found' };
}

const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** How often the certificate is asked for while a controller with no restored key makes its own. */
const CERT_POLL_MS = 500;

/**
 * The certificate to seal with. The controller may not be Available yet (sealed-secrets-available waits
 * for that beside this step): a restored key's Secret serves at once; with none restored, this waits
 * until the starting controller has made its key, and stops at once if its Deployment is Failed.
 */
async function certToSealWith(ctx: RecoveryContext, kube: KubeClient, deployment: KubeObject | undefined): Promise<FetchedCert> {
  const ss = ctx.config.sealedSecrets!;
  const deadline = Date.now() + ctx.config.apps.wait.timeoutMs;
  for (;;) {
    // A certificate that is there but unusable (not RSA, expired) is an error at once, never waited on.
    const { cert, why } = await findSealingCert(kube, { namespace: ss.namespace, controllerName: ss.controllerName, localUrl: await localCertUrl(ctx) });
    if (cert) return checkedSealingCert(cert);
    const live = deployment && (await kube.get({ apiVersion: deployment.apiVersion, kind: deployment.kind, namespace: deployment.metadata.namespace, name: deployment.metadata.name }));
    const health = live ? healthOf(live) : undefined;
    if (health?.status === 'Failed') throw new Error(`${describeRef(deployment!)} is Failed: ${health.message}; ${why}`);
    if (!deployment || ctx.signal.aborted || Date.now() >= deadline) throw new Error(why);
    await sleep(CERT_POLL_MS);
  }
}

async function applySealed(ctx: RecoveryContext, ledger: StepLedger): Promise<void> {
  const kube = await ctx.kube();
  const deployment = await controllerDeployment(ctx);
  const cert = await certToSealWith(ctx, kube, deployment);
  const values = await ctx.inputs.values();
  const applied: SecretConfig[] = [];
  for (const secret of ctx.config.secrets) {
    const name = `${secret.namespace}/${secret.name}`;
    if (ctx.signal.aborted) {
      ledger.record('SealedSecret', name, 'skipped', 'interrupted before it was sealed');
      continue;
    }
    const { data, problem } = secretData(secret, values);
    if (!data) {
      ledger.record('SealedSecret', name, 'failed', problem);
      continue;
    }
    try {
      const sealed = sealSecret({ name: secret.name, namespace: secret.namespace, type: secret.type, labels: secret.labels, annotations: secret.annotations, scope: secret.scope, data }, cert.pem);
      const result = await applyCounted(kube, sealed, ledger);
      if (result.outcome !== 'failed') applied.push(secret);
    } catch (err) {
      ledger.record('SealedSecret', name, 'failed', errorMessage(err));
    }
  }
  // Watches until the controller has unsealed each one, ending at the first it cannot; verify then compares the data.
  const sealedRefs = applied.map((s) => ({ apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', metadata: { namespace: s.namespace, name: s.name } }));
  const waited = await waitForHealth(kube, sealedRefs, { timeoutMs: ctx.config.apps.wait.timeoutMs, signal: ctx.signal, ...(deployment ? { alsoFailOn: [deployment] } : {}) });
  if (waited.failed) throw healthWaitError(waited);
}

export const resealSecrets: Step<RecoveryContext> = {
  id: 'reseal-secrets',
  title: 'Re-seal secrets locally from the external stores',
  needs: ['sealed-secrets-controller'],
  destructive: false,
  uses: async (ctx) => storeUses(ctx, refsOfSecrets(ctx).map((r) => r.store)),
  plan: async (ctx) => {
    const secrets = ctx.config.secrets;
    const byStore = new Map<string, string[]>();
    for (const ref of refsOfSecrets(ctx)) byStore.set(ref.store, [...(byStore.get(ref.store) ?? []), ref.key]);
    const literal = secrets.flatMap((s) => Object.values(s.data)).filter((v) => 'value' in v).length;
    const lines = [`${secrets.length} secret(s) sealed in memory with the new controller certificate, then applied`];
    for (const [store, keys] of [...byStore].sort()) {
      lines.push(`${keys.length} value(s) from store ${store}: keys ${[...new Set(keys)].join(', ')}`);
    }
    if (literal > 0) lines.push(`${literal} literal value(s) from the config`);
    for (const s of secrets) lines.push(`${s.namespace}/${s.name} (${s.type}, ${s.scope}): keys ${Object.keys(s.data).join(', ')}`);
    lines.push('verify: every SealedSecret Synced, every Secret present with exactly the expected keys and equal data (by hash)');
    return lines;
  },
  apply: applySealed,
  // Compared by hash in memory; no value is ever printed, only the key whose data differs.
  verify: async (ctx) => {
    const kube = await ctx.kube();
    const values = await ctx.inputs.values();
    const missing: string[] = [];
    const checked = ctx.config.secrets.map((secret) => ({ kind: 'SealedSecret', name: `${secret.namespace}/${secret.name}` }));
    for (const secret of ctx.config.secrets) {
      const name = `${secret.namespace}/${secret.name}`;
      const sealed = await kube.get({ apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', namespace: secret.namespace, name: secret.name });
      const health = sealedHealth(sealed);
      if (health.status !== 'Current') {
        missing.push(`SealedSecret ${name}: ${health.message}`);
        continue;
      }
      const live = await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace: secret.namespace, name: secret.name });
      if (!live) {
        missing.push(`Secret ${name} does not exist`);
        continue;
      }
      const { data, problem } = secretData(secret, values);
      if (!data) {
        missing.push(`Secret ${name}: cannot compare: ${problem}`);
        continue;
      }
      const liveData = (live['data'] ?? {}) as Record<string, string>;
      const want = Object.keys(data).sort();
      const have = Object.keys(liveData).sort();
      if (want.join(',') !== have.join(',')) missing.push(`Secret ${name} has keys [${have.join(', ')}], expected [${want.join(', ')}]`);
      for (const key of want) {
        if (liveData[key] !== undefined && digest(Buffer.from(liveData[key], 'base64')) !== digest(data[key]!)) {
          missing.push(`Secret ${name}: data.${key} differs from the store's value`);
        }
      }
    }
    // A SealedSecret that never syncs is most often a controller that is not there: say so, not only "not Synced".
    if (missing.some((m) => m.startsWith('SealedSecret '))) {
      const ss = ctx.config.sealedSecrets!;
      const { cert, tried } = await servedCert(kube, { namespace: ss.namespace, controllerName: ss.controllerName, localUrl: await localCertUrl(ctx) });
      if (!cert) missing.push(`the sealed-secrets controller does not answer, so nothing unseals them: it serves no certificate (${tried.join('; ')})`);
    }
    return { ok: missing.length === 0, missing, checked };
  },
};
