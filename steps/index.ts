// The default recovery DAG (DESIGN.md "The DAG"). Optional steps appear only when configured.
import type { HomelabConfig } from '../src/config/types.js';
import type { Step } from '../src/engine/types.js';
import { apps } from './apps.js';
import type { Mode, RecoveryContext } from './context.js';
import { createCluster } from './create-cluster.js';
import { deleteCluster } from './delete-cluster.js';
import { firewall } from './firewall.js';
import { namespaces } from './namespaces.js';
import { preflight } from './preflight.js';
import { publishCert } from './publish-cert.js';
import { resealSecrets } from './reseal-secrets.js';
import { sealedSecretsController } from './sealed-secrets-controller.js';
import { storage } from './storage.js';

/** dr-test and drill never publish: a throwaway cluster's certificate must not replace production's. */
export function buildSteps(config: HomelabConfig, mode?: Mode): Step<RecoveryContext>[] {
  // provider existing never deletes or creates: its cluster step only proves the cluster answers.
  const steps: Step<RecoveryContext>[] =
    config.cluster.provider === 'existing'
      ? [preflight, { ...createCluster, needs: ['preflight'] }, namespaces, storage]
      : [preflight, deleteCluster, createCluster, namespaces, storage];
  if (config.sealedSecrets) steps.push(sealedSecretsController, resealSecrets);
  steps.push(config.sealedSecrets ? apps : { ...apps, needs: ['storage'] });
  if (config.firewall) steps.push(firewall);
  if (config.sealedSecrets?.certOut && mode !== 'dr-test' && mode !== 'drill') steps.push(publishCert);
  return steps;
}
