import type { Step } from '../src/engine/types.js';
import type { RecoveryContext } from './context.js';
import { storeUses } from './uses.js';

export const sealedSecretsController: Step<RecoveryContext> = {
  id: 'sealed-secrets-controller',
  title: 'Sealed-secrets controller (key restored first when backed up)',
  needs: ['namespaces'],
  destructive: false,
  uses: async (ctx) => {
    const backup = ctx.config.sealedSecrets?.keyBackup;
    return backup ? storeUses(ctx, [backup.from.store]) : [];
  },
  plan: async (ctx) => {
    const ss = ctx.config.sealedSecrets;
    if (!ss) return ['no sealedSecrets section: nothing to do'];
    const lines: string[] = [];
    if (ss.keyBackup) {
      lines.push(`restore the key pair from store ${ss.keyBackup.from.store} (key ${ss.keyBackup.from.key}) into ${ss.namespace} before the controller starts`);
    } else {
      lines.push('no key backup: the controller makes a new key pair, and SealedSecrets sealed for the old one will not decrypt');
    }
    if (ctx.providerName === 'kwok') {
      lines.push('kwok: run the real controller binary as a supervised local process on 127.0.0.1');
    } else {
      const objects = await ctx.inputs.sealedSecretsController();
      lines.push(`apply ${objects.length} object(s) from ${ss.controller.manifests ?? '(no manifests)'} and wait until the controller is Available`);
    }
    lines.push('verify: the controller serves a certificate' + (ss.keyBackup ? " whose fingerprint equals the backup's" : ''));
    return lines;
  },
};
