import type { Step, StepLedger } from '../src/engine/types.js';
import type { KubeObject } from '../src/k8s/types.js';
import { keySecretOf, readKeyBackup } from '../src/secrets/key-backup.js';
import { refKey } from '../src/secrets/read-all.js';
import { servedCert } from '../src/secrets/cert-fetch.js';
import { certFingerprint, parseSealingCert } from '../src/secrets/seal.js';
import { errorMessage } from '../src/util/errors.js';
import { healthWaitError, waitForHealth } from '../src/health/wait.js';
import { applyCounted } from './apply-objects.js';
import { providerKind, type RecoveryContext } from './context.js';
import { controllerNotPlanned, isControllerDeployment, keySecret, parseKeyBackup, type KeyPair } from './sealed-secrets-logic.js';
import { storeUses, toolUses } from './uses.js';

function settings(ctx: RecoveryContext) {
  const ss = ctx.config.sealedSecrets!;
  return { namespace: ss.namespace, controllerName: ss.controllerName };
}

/** Where a controller the provider runs as a local process serves its certificate, once started. */
export async function localCertUrl(ctx: RecoveryContext): Promise<string | undefined> {
  return (await ctx.provider()).localSealedSecretsCertUrl?.(ctx.clusterName);
}

async function storedPair(ctx: RecoveryContext): Promise<KeyPair | undefined> {
  const from = ctx.config.sealedSecrets?.keyBackup?.from;
  if (!from) return undefined;
  const { values, missing } = await ctx.inputs.values();
  const value = values.get(refKey(from));
  if (!value) {
    const why = missing.find((m) => m.store === from.store && m.key === from.key)?.reason ?? 'not read';
    throw new Error(`key backup ${from.store}/${from.key}: ${why}`);
  }
  return parseKeyBackup(value, `${from.store}/${from.key}`);
}

interface Restore {
  /** The key Secrets to create before the controller starts, one per distinct key. */
  secrets: KubeObject[];
  fingerprints: Set<string>;
  /** keyBackup.file is set but there is no file yet (no key existed to export, or a drill before any hard-reset). */
  absentFile?: string;
}

/** Every backed-up key: the stored pair (keyBackup.from) and the exported file's keys (keyBackup.file). */
async function keysToRestore(ctx: RecoveryContext): Promise<Restore> {
  const { namespace } = settings(ctx);
  const restore: Restore = { secrets: [], fingerprints: new Set() };
  const pair = await storedPair(ctx);
  if (pair) {
    restore.secrets.push(keySecret(pair, namespace));
    restore.fingerprints.add(certFingerprint(pair.certPem));
  }
  const file = ctx.config.sealedSecrets?.keyBackup?.file;
  const exported = file ? await readKeyBackup(file) : undefined;
  if (file && !exported) restore.absentFile = file;
  for (const key of exported ?? []) {
    if (restore.fingerprints.has(key.fingerprint)) continue;
    restore.secrets.push(keySecretOf(key, namespace));
    restore.fingerprints.add(key.fingerprint);
  }
  return restore;
}

async function startController(ctx: RecoveryContext, ledger: StepLedger): Promise<void> {
  const { namespace, controllerName } = settings(ctx);
  const provider = await ctx.provider();
  if (provider.startLocalSealedSecrets) {
    const local = await provider.startLocalSealedSecrets(ctx.clusterName, { namespace, controllerName });
    if (local.leftoverPid) ledger.record('Process', `sealed-secrets-controller (pid ${local.leftoverPid}, left running by an interrupted run)`, 'deleted');
    ledger.record('Process', `sealed-secrets-controller (pid ${local.pid}, ${local.certUrl})`, 'created');
    return;
  }
  const kube = await ctx.kube();
  const objects = (await ctx.inputs.sealedSecretsController()).map((o) => o.obj);
  for (const obj of objects) await applyCounted(kube, obj, ledger);
  // The manifests' own Deployment (its selector finds its pods); preflight proved the manifests hold it.
  const deployment = objects.find((o) => isControllerDeployment(o, namespace, controllerName));
  if (!deployment) throw new Error(controllerNotPlanned(ctx.config.sealedSecrets!));
  const waited = await waitForHealth(kube, [deployment], { timeoutMs: ctx.config.apps.wait.timeoutMs, signal: ctx.signal });
  const error = healthWaitError(waited);
  if (error) throw error;
}

export const sealedSecretsController: Step<RecoveryContext> = {
  id: 'sealed-secrets-controller',
  title: 'Sealed-secrets controller (key restored first when backed up)',
  needs: ['namespaces'],
  destructive: false,
  uses: async (ctx) => {
    const from = ctx.config.sealedSecrets?.keyBackup?.from;
    // A local controller is the real binary, and helm renders its upstream objects.
    const local = providerKind(ctx).sealedSecretsController === 'local-process';
    return [...toolUses(local ? ['sealed-secrets-controller', 'helm'] : []), ...(from ? await storeUses(ctx, [from.store]) : [])];
  },
  plan: async (ctx) => {
    const ss = ctx.config.sealedSecrets;
    if (!ss) return ['no sealedSecrets section: nothing to do'];
    const lines: string[] = [];
    if (ss.keyBackup?.from) {
      lines.push(`restore the key pair from store ${ss.keyBackup.from.store} (key ${ss.keyBackup.from.key}) into ${ss.namespace} before the controller starts`);
    }
    if (ss.keyBackup?.file) {
      lines.push(`restore every key exported to ${ss.keyBackup.file} into ${ss.namespace} before the controller starts${ctx.mode === 'dr-test' || ctx.mode === 'drill' ? ' (read only: a throwaway run never writes it)' : ''}`);
    }
    if (!ss.keyBackup) {
      lines.push('no key backup: the controller makes a new key pair, and SealedSecrets sealed for the old one will not decrypt');
    }
    // Read for a local controller too: preflight checks these manifests whatever the provider, and a plan names a broken one.
    const objects = await ctx.inputs.sealedSecretsController();
    if (providerKind(ctx).sealedSecretsController === 'local-process') {
      lines.push(`kwok: run the real controller binary as a supervised local process on 127.0.0.1 (the ${objects.length} object(s) of ${ss.controller.manifests ?? '(no manifests)'} are for k3d and existing)`);
    } else {
      lines.push(`apply ${objects.length} object(s) from ${ss.controller.manifests ?? '(no manifests)'} and wait until the controller is Available`);
    }
    lines.push('verify: the controller serves a certificate' + (ss.keyBackup ? ' whose fingerprint is one of the backed-up keys' : ''));
    return lines;
  },
  apply: async (ctx, ledger) => {
    const restore = await keysToRestore(ctx);
    if (restore.absentFile) ledger.record('sealing key', restore.absentFile, 'skipped', `no key backup file yet: nothing restored from it`);
    // The keys go in first: a controller that starts without them makes a new pair, and every
    // SealedSecret in git becomes garbage (the incident's fifth failure).
    for (const secret of restore.secrets) {
      const result = await applyCounted(await ctx.kube(), secret, ledger);
      if (result.outcome === 'failed') return;
    }
    if (ctx.signal.aborted) return;
    await startController(ctx, ledger);
  },
  verify: async (ctx) => {
    const { cert, tried } = await servedCert(await ctx.kube(), { ...settings(ctx), localUrl: await localCertUrl(ctx) });
    if (!cert) return { ok: false, missing: [`the controller serves no certificate (${tried.join('; ')})`] };
    try {
      parseSealingCert(cert.pem);
    } catch (err) {
      return { ok: false, missing: [`the served certificate is unusable: ${errorMessage(err)}`] };
    }
    const { fingerprints } = await keysToRestore(ctx);
    const served = certFingerprint(cert.pem);
    if (fingerprints.size > 0 && !fingerprints.has(served)) {
      const backed = [...fingerprints].map((f) => `${f.slice(0, 16)}…`).join(', ');
      return { ok: false, missing: [`the controller serves key ${served.slice(0, 16)}…, not a backed-up key (${backed}): SealedSecrets sealed for the old key will not decrypt`] };
    }
    return { ok: true, missing: [] };
  },
};
