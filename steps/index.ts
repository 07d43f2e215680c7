// The default recovery DAG (DESIGN.md "The DAG"). Optional steps appear only when configured.
import { PROVIDER_KINDS } from '../src/cluster/kinds.js';
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
import { sealedSecretsAvailable, sealedSecretsController } from './sealed-secrets-controller.js';
import { storage } from './storage.js';

/** dr-test and drill never publish: a throwaway cluster's certificate must not replace production's. */
export function buildSteps(config: HomelabConfig, mode?: Mode): Step<RecoveryContext>[] {
  const steps = withoutSteps([preflight, deleteCluster, createCluster, namespaces, storage], PROVIDER_KINDS[config.cluster.provider].unsupportedSteps);
  if (config.sealedSecrets) steps.push(sealedSecretsController, sealedSecretsAvailable, resealSecrets);
  steps.push(config.sealedSecrets ? apps : { ...apps, needs: ['storage'] });
  if (config.firewall) steps.push(firewall);
  if (config.sealedSecrets?.certOut && mode !== 'dr-test' && mode !== 'drill') steps.push(publishCert);
  return steps;
}

/** Drops the steps a provider cannot run; a step that needed one needs that step's needs instead. */
function withoutSteps(steps: Step<RecoveryContext>[], dropped: readonly string[]): Step<RecoveryContext>[] {
  const needsOf = new Map(steps.map((s) => [s.id, s.needs]));
  const rewire = (needs: readonly string[]): string[] => [...new Set(needs.flatMap((n) => (dropped.includes(n) ? rewire(needsOf.get(n) ?? []) : [n])))];
  return steps.filter((s) => !dropped.includes(s.id)).map((s) => (s.needs.some((n) => dropped.includes(n)) ? { ...s, needs: rewire(s.needs) } : s));
}
