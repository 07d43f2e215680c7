import type { Step, StepLedger } from '../src/engine/types.js';
import type { KubeObject } from '../src/k8s/types.js';
import { keySecretOf, readKeyBackup } from '../src/secrets/key-backup.js';
import { refKey } from '../src/secrets/read-all.js';
import { servedCert } from '../src/secrets/cert-fetch.js';
import { certFingerprint, parseSealingCert } from '../src/secrets/seal.js';
import { errorMessage } from '../src/util/errors.js';
import { healthWaitError, waitForHealth } from '../src/health/wait.js';
import { healthOf } from '../src/health/rules.js';
import { sleep } from '../src/util/helpers.js';
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

/**
 * The controller's Deployment among its manifests (preflight proved they hold it), for a provider that
 * runs the controller in the cluster; undefined for a local process.
 */
export async function controllerDeployment(ctx: RecoveryContext): Promise<KubeObject | undefined> {
  if (providerKind(ctx).sealedSecretsController !== 'in-cluster') return undefined;
  const { namespace, controllerName } = settings(ctx);
  const objects = (await ctx.inputs.sealedSecretsController()).map((o) => o.obj);
  const deployment = objects.find((o) => isControllerDeployment(o, namespace, controllerName));
  if (!deployment) throw new Error(controllerNotPlanned(ctx.config.sealedSecrets!));
  return deployment;
}

/**
 * A local controller is started and confirmed serving. In the cluster, the manifests are applied and the
 * SealedSecret CRD waited for, not the Deployment: its pod's first readiness probe can come up to a
 * kubelet period (10 s) after it listens, and nothing reseal-secrets or apps do needs that. The
 * sealed-secrets-available step waits for it beside them.
 */
async function startController(ctx: RecoveryContext, ledger: StepLedger): Promise<void> {
  const { namespace, controllerName } = settings(ctx);
  const provider = await ctx.provider();
  if (provider.startLocalSealedSecrets) {
    const local = await provider.startLocalSealedSecrets(ctx.clusterName, { namespace, controllerName });
    if (local.leftoverPid) ledger.record('Process', `sealed-secrets-controller (pid ${local.leftoverPid}, left running by an interrupted run)`, 'deleted');
    ledger.record('Process', `sealed-secrets-controller (pid ${local.pid}, ${local.certUrl})`, 'created');
    return;
  }
  await controllerDeployment(ctx);
  const kube = await ctx.kube();
  const objects = (await ctx.inputs.sealedSecretsController()).map((o) => o.obj);
  for (const obj of objects) await applyCounted(kube, obj, ledger);
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
  const error = healthWaitError(await waitForHealth(kube, crds, { timeoutMs: ctx.config.apps.wait.timeoutMs, signal: ctx.signal }));
  if (error) throw error;
}

/** The controller serves a certificate, and (with a key backup) one of the backed-up keys'. */
async function servesBackedUpKey(ctx: RecoveryContext): Promise<{ ok: boolean; missing: string[] }> {
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
}

/** In the cluster: every backed-up key restored as it was, every manifest object present, the CRD Established. */
async function inClusterInPlace(ctx: RecoveryContext): Promise<{ ok: boolean; missing: string[]; checked: Array<{ kind: string; name: string }> }> {
  const kube = await ctx.kube();
  const missing: string[] = [];
  const checked: Array<{ kind: string; name: string }> = [];
  const name = (o: KubeObject) => `${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
  for (const key of (await keysToRestore(ctx)).secrets) {
    checked.push({ kind: 'sealing key', name: name(key) });
    const live = await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace: key.metadata.namespace, name: key.metadata.name });
    const want = (key['data'] as Record<string, string>)['tls.crt'];
    if (!live) missing.push(`the backed-up sealing key Secret ${name(key)} is not restored`);
    else if ((live['data'] as Record<string, string> | undefined)?.['tls.crt'] !== want) missing.push(`the sealing key Secret ${name(key)} holds another certificate than the backed-up key`);
  }
  for (const obj of (await ctx.inputs.sealedSecretsController()).map((o) => o.obj)) {
    checked.push({ kind: obj.kind, name: name(obj) });
    const live = await kube.get({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
    if (!live) missing.push(`${obj.kind} ${name(obj)} does not exist`);
    else if (obj.kind === 'CustomResourceDefinition' && healthOf(live).status !== 'Current') missing.push(`CustomResourceDefinition ${name(obj)} is not Established: ${healthOf(live).message}`);
  }
  return { ok: missing.length === 0, missing, checked };
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
      lines.push('verify: the controller serves a certificate' + (ss.keyBackup ? ' whose fingerprint is one of the backed-up keys' : ''));
    } else {
      lines.push(`apply ${objects.length} object(s) from ${ss.controller.manifests ?? '(no manifests)'} and wait until the SealedSecret CRD is Established`);
      lines.push('verify: every backed-up key restored, every object of the manifests present, the SealedSecret CRD Established (sealed-secrets-available waits for the controller)');
    }
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
  verify: async (ctx) => (providerKind(ctx).sealedSecretsController === 'local-process' ? servesBackedUpKey(ctx) : inClusterInPlace(ctx)),
};

/** How often sealed-secrets-available asks for the served certificate once the controller is Available. */
const SERVED_POLL_MS = 300;

export const sealedSecretsAvailable: Step<RecoveryContext> = {
  id: 'sealed-secrets-available',
  title: 'Sealed-secrets controller available, serving a backed-up key',
  needs: ['sealed-secrets-controller'],
  destructive: false,
  uses: async () => [],
  plan: async (ctx) => {
    const ss = ctx.config.sealedSecrets!;
    const lines = providerKind(ctx).sealedSecretsController === 'local-process'
      ? ['the local controller started by sealed-secrets-controller keeps serving its certificate']
      : [`wait until Deployment ${ss.namespace}/${ss.controllerName} is Available and its Service serves the certificate (reseal-secrets and apps go on meanwhile)`];
    lines.push('verify: the controller serves a certificate' + (ss.keyBackup ? ' whose fingerprint is one of the backed-up keys' : ''));
    return lines;
  },
  // Waits, then asks until the certificate is served: the Service's endpoints follow the pod's readiness
  // a moment later (kubeseal right after a rollout got "no endpoints available").
  apply: async (ctx) => {
    const timeoutMs = ctx.config.apps.wait.timeoutMs;
    const deadline = Date.now() + timeoutMs;
    const deployment = await controllerDeployment(ctx);
    if (deployment) {
      const error = healthWaitError(await waitForHealth(await ctx.kube(), [deployment], { timeoutMs, signal: ctx.signal }));
      if (error) throw error;
    }
    while (!ctx.signal.aborted && Date.now() < deadline) {
      const { cert } = await servedCert(await ctx.kube(), { ...settings(ctx), localUrl: await localCertUrl(ctx) });
      if (cert) return;
      await sleep(SERVED_POLL_MS);
    }
  },
  verify: servesBackedUpKey,
};
