// The default recovery DAG (DESIGN.md "The DAG"). Optional steps appear only when configured.
import type { HomelabConfig } from '../src/config/types.js';
import type { Step } from '../src/engine/types.js';
import { apps } from './apps.js';
import type { RecoveryContext } from './context.js';
import { createCluster } from './create-cluster.js';
import { deleteCluster } from './delete-cluster.js';
import { firewall } from './firewall.js';
import { namespaces } from './namespaces.js';
import { preflight } from './preflight.js';
import { publishCert } from './publish-cert.js';
import { resealSecrets } from './reseal-secrets.js';
import { sealedSecretsController } from './sealed-secrets-controller.js';
import { storage } from './storage.js';

export function buildSteps(config: HomelabConfig): Step<RecoveryContext>[] {
  // provider existing never deletes or creates: its cluster step only proves the cluster answers.
  const steps: Step<RecoveryContext>[] =
    config.cluster.provider === 'existing'
      ? [preflight, { ...createCluster, needs: ['preflight'] }, namespaces, storage]
      : [preflight, deleteCluster, createCluster, namespaces, storage];
  if (config.sealedSecrets) steps.push(sealedSecretsController, resealSecrets);
  steps.push(config.sealedSecrets ? apps : { ...apps, needs: ['storage'] });
  if (config.firewall) steps.push(firewall);
  if (config.sealedSecrets?.certOut) steps.push(publishCert);
  return steps;
}

/** Steps whose apply or verify is not built yet: a run refuses to start while any is in its plan. */
export function unimplementedSteps(steps: readonly Step<RecoveryContext>[]): string[] {
  return steps.filter((s) => !s.apply || !s.verify).map((s) => s.id);
}
