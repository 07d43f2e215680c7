import type { Step } from '../src/engine/types.js';
import type { RecoveryContext } from './context.js';

export const publishCert: Step<RecoveryContext> = {
  id: 'publish-cert',
  title: 'Publish the new sealing certificate',
  needs: ['sealed-secrets-controller'],
  destructive: false,
  uses: async () => [],
  plan: async (ctx) => [`write the controller's certificate to ${ctx.config.sealedSecrets?.certOut ?? '(certOut unset)'}`],
};
