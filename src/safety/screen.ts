// The blast-radius screen as hard-reset prints it before the typed confirmation, and plan shows it
// too: what the deletion takes with it, counted from the live cluster when it answers (read-only).
import type { HomelabConfig } from '../config/types.js';
import type { BlastRadius } from './blast-radius.js';
import type { KubeClient } from '../kube/client.js';
import type { RecoveryContext } from '../../steps/context.js';
import { liveSealingKeys } from '../secrets/key-backup.js';
import { errorMessage } from '../util/errors.js';
import { renderSealingKeys, type ScreenKeys } from './key-screen.js';

/** The sealing keys as data: by name and fingerprint only, never the key itself. */
export type ScreenKeyData = { namespace: string; keys: Array<{ name: string; status: string; fingerprint: string }> } | { namespace: string; unreadable: string };

export interface Screen {
  text: string;
  throughCluster: boolean;
  /** What the text says, as data (-o json|yaml). */
  data: BlastRadius & { sealingKeys?: ScreenKeyData };
}

function keyData(namespace: string, live: ScreenKeys): ScreenKeyData {
  if ('unreadable' in live) return { namespace, unreadable: live.unreadable };
  return { namespace, keys: live.keys.map(({ name, status, fingerprint }) => ({ name, status, fingerprint })) };
}

async function screenKeys(kube: KubeClient, config: HomelabConfig): Promise<ScreenKeys | undefined> {
  if (!config.sealedSecrets) return undefined;
  try {
    return { keys: await liveSealingKeys(kube, config.sealedSecrets.namespace) };
  } catch (err) {
    return { unreadable: errorMessage(err) };
  }
}

export async function blastRadiusScreen(ctx: RecoveryContext, config: HomelabConfig, stepIds: readonly string[], command: string): Promise<Screen> {
  const { blastRadius, renderBlastRadius } = await import('./blast-radius.js');
  let kube: KubeClient | undefined;
  let absent = false;
  try {
    const provider = await ctx.provider();
    absent = !(await provider.exists(ctx.clusterName));
    if (!absent) {
      const { KubeClient } = await import('../kube/client.js');
      kube = await KubeClient.fromKubeconfig(await provider.kubeconfig(ctx.clusterName));
    }
  } catch {
    kube = undefined; // the screen then says the cluster cannot be counted
  }
  try {
    const br = await blastRadius(kube, config, { stepIds, command, clusterName: ctx.clusterName });
    if (absent) br.live = { reachable: false, reason: `cluster "${ctx.clusterName}" does not exist (provider ${ctx.providerName}): there is nothing to destroy` };
    const live = kube ? await screenKeys(kube, config) : undefined;
    const keys = renderSealingKeys(config.sealedSecrets, live);
    const sealingKeys = config.sealedSecrets && live ? { sealingKeys: keyData(config.sealedSecrets.namespace, live) } : {};
    return { text: `${renderBlastRadius(br)}${keys.length ? `\n${keys.join('\n')}\n` : ''}`, throughCluster: br.access.throughCluster, data: { ...br, ...sealingKeys } };
  } finally {
    kube?.close();
  }
}
