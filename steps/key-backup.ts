// The sealing key's safety before hard-reset destroys the cluster that holds it (the incident's fifth
// failure). Preflight exports every key Secret of the live cluster to sealedSecrets.keyBackup.file and
// proves each pair; with no backup while the live cluster holds a key, hard-reset refuses unless the
// config says a new key is acceptable. Only hard-reset on a cluster homelab-dr deletes: dr-test and drill
// never write the file (their cluster is a throwaway), and provider existing never deletes a key.
import type { StepLedger } from '../src/engine/types.js';
import { refKey } from '../src/secrets/read-all.js';
import {
  liveSealingKeys,
  loosePermissions,
  mergeKeys,
  probeKeyPair,
  readKeyBackup,
  shortFingerprint,
  writeKeyBackup,
  type SealingKey,
} from '../src/secrets/key-backup.js';
import { certFingerprint } from '../src/secrets/seal.js';
import { errorMessage, RefusedError } from '../src/util/errors.js';
import { providerKind, type RecoveryContext } from './context.js';
import type { Problem } from './preflight-checks.js';
import { parseKeyBackup as parseStoredPair } from './sealed-secrets-logic.js';

/** Whether this run can destroy a sealing key: hard-reset of a cluster homelab-dr deletes. */
export function keyAtStake(ctx: RecoveryContext): boolean {
  return ctx.mode === 'hard-reset' && providerKind(ctx).ownsCluster && ctx.config.sealedSecrets !== undefined;
}

export type LiveKeys = { keys: SealingKey[]; unreadable?: undefined } | { keys?: undefined; unreadable: string };

/**
 * The live cluster's keys: none when the cluster does not exist, `unreadable` when it does not answer.
 * Read first, and the provider asked whether the cluster exists only when the read fails: preflight
 * reads the keys up to four times, and each existence check was a `k3d cluster list` on the RTO.
 */
export async function readLiveKeys(ctx: RecoveryContext): Promise<LiveKeys> {
  try {
    return { keys: await liveSealingKeys(await ctx.kube(), ctx.config.sealedSecrets!.namespace) };
  } catch (err) {
    const absent = await (await ctx.provider()).exists(ctx.clusterName).then((exists) => !exists, () => false);
    if (absent) return { keys: [] };
    return { unreadable: `cannot read the sealing keys of cluster ${ctx.clusterName}: ${errorMessage(err)}` };
  }
}

/** Fingerprint of the keyBackup.from pair, when configured and readable. */
async function storedPairFingerprint(ctx: RecoveryContext): Promise<string | undefined> {
  const from = ctx.config.sealedSecrets?.keyBackup?.from;
  if (!from) return undefined;
  const value = (await ctx.inputs.values()).values.get(refKey(from));
  if (!value) return undefined; // preflight's value check names the missing value
  try {
    return certFingerprint(parseStoredPair(value, `${from.store}/${from.key}`).certPem);
  } catch {
    return undefined; // the controller step names a malformed backup; here it simply keeps no key
  }
}

const problem = (message: string): Problem => ({ check: 'sealing-key', subject: 'sealing key backup', message });

const describeKeys = (keys: readonly SealingKey[]): string => keys.map((k) => `${k.name} (${shortFingerprint(k.fingerprint)})`).join(', ');

/** Without keyBackup.file: refused unless every live key is in keyBackup.from, or a new key is acceptable. */
async function noFileProblems(ctx: RecoveryContext, live: LiveKeys): Promise<Problem[]> {
  const ss = ctx.config.sealedSecrets!;
  if (ss.newKeyAcceptable) return [];
  const fix = 'set sealedSecrets.keyBackup.file: PATH (preflight exports the keys there before anything is destroyed), or sealedSecrets.newKeyAcceptable: true to accept a new key';
  const stored = await storedPairFingerprint(ctx);
  if (live.unreadable !== undefined) {
    return stored ? [] : [problem(`${live.unreadable}; with no key backup, hard-reset cannot know what it would destroy: ${fix}`)];
  }
  const lost = live.keys.filter((k) => k.fingerprint !== stored);
  if (lost.length === 0) return [];
  return [problem(`cluster ${ctx.clusterName} holds ${lost.length} sealing key(s) that no backup keeps: ${describeKeys(lost)}; hard-reset would destroy them, and every SealedSecret in git sealed for them would stop decrypting: ${fix}`)];
}

/** With keyBackup.file: the file must hold every live key, each pair must open its own probe, and only its owner may read it. */
async function fileProblems(file: string, live: LiveKeys): Promise<Problem[]> {
  let saved: SealingKey[] | undefined;
  try {
    saved = await readKeyBackup(file);
  } catch (err) {
    return [problem(errorMessage(err))];
  }
  const problems: Problem[] = [];
  if (live.unreadable !== undefined && !saved?.length) problems.push(problem(`${live.unreadable}, and the key backup ${file} holds no key yet`));
  const have = new Set((saved ?? []).map((k) => k.fingerprint));
  const missing = (live.keys ?? []).filter((k) => !have.has(k.fingerprint));
  if (missing.length > 0) problems.push(problem(`the key backup ${file} lacks ${missing.length} live sealing key(s): ${describeKeys(missing)} (preflight exports them)`));
  for (const key of saved ?? []) {
    const failed = probeKeyPair(key);
    if (failed) problems.push(problem(`${file}: ${failed}`));
  }
  if (saved) {
    const loose = await loosePermissions(file);
    if (loose) problems.push(problem(loose));
  }
  return problems;
}

/** What stands between this hard-reset and a lost sealing key; empty when nothing is at stake. */
export async function sealingKeyProblems(ctx: RecoveryContext, live?: LiveKeys): Promise<Problem[]> {
  if (!keyAtStake(ctx)) return [];
  const current = live ?? (await readLiveKeys(ctx));
  const file = ctx.config.sealedSecrets!.keyBackup?.file;
  return file ? fileProblems(file, current) : noFileProblems(ctx, current);
}

/**
 * The guard phase's refusal (exit 3, before the screen and the confirmation) when the live key has no
 * backup destination. With a destination, preflight exports and checks it; nothing to refuse here.
 */
export async function assertSealingKeyKept(ctx: RecoveryContext): Promise<void> {
  if (!keyAtStake(ctx) || ctx.config.sealedSecrets!.keyBackup?.file) return;
  const problems = await sealingKeyProblems(ctx);
  if (problems.length === 0) return;
  throw new RefusedError('hard-reset refuses: it would destroy the only copy of the sealing key; nothing was touched', problems.map((p) => p.message));
}

/**
 * Preflight's export: every live key goes into the file (merged with what it already holds, so a key
 * once backed up is never dropped), written atomically with mode 0600, each pair proven by a probe.
 */
export async function exportKeyBackup(ctx: RecoveryContext, ledger: StepLedger): Promise<void> {
  const file = ctx.config.sealedSecrets?.keyBackup?.file;
  if (!keyAtStake(ctx) || !file) return;
  const live = await readLiveKeys(ctx);
  if (live.unreadable !== undefined) return; // sealingKeyProblems says so, unless the file already holds keys
  const saved = await readKeyBackup(file); // a file that is not a key backup is never overwritten
  const merged = mergeKeys(saved ?? [], live.keys);
  const added = merged.slice(saved?.length ?? 0);
  for (const key of live.keys) {
    const name = `${ctx.config.sealedSecrets!.namespace}/${key.name} (${shortFingerprint(key.fingerprint)}) → ${file}`;
    const failed = probeKeyPair(key);
    if (failed) ledger.record('sealing key', name, 'failed', failed);
    else ledger.record('sealing key', name, added.includes(key) ? 'created' : 'unchanged');
  }
  // A rewrite also repairs loose permissions: the new file is created 0600.
  if (added.length > 0 || (saved && (await loosePermissions(file)))) await writeKeyBackup(file, merged, ctx.config.sealedSecrets!.namespace);
}
