// Rollback: the state the machine is left in when a run fails at each step, and how to go on. Static
// knowledge of each step of the default DAG, laid out in the order of the run's own step list.

export interface RollbackRow {
  step: string;
  /** What exists and what does not when this step fails. */
  leftIn: string;
}

const LEFT_IN: Record<string, string> = {
  preflight: 'nothing touched: the cluster runs as before',
  'delete-cluster': 'the cluster is partly or wholly deleted: every pod is down, tunnels through it included',
  'create-cluster': 'no working cluster: the old one is gone, the new one absent or not ready',
  namespaces: 'an empty new cluster is up; some namespaces exist, no workloads',
  storage: 'namespaces exist; StorageClass and PVs partly created; no apps',
  'sealed-secrets-controller': 'storage ready; sealing controller absent or not started (a restored key may already be in place); no Secrets, no apps',
  'sealed-secrets-available': 'controller applied but not Available or not serving its certificate; reseal-secrets and apps may have gone on beside it',
  'reseal-secrets': 'controller up; some SealedSecrets applied, some Secrets missing; no apps',
  apps: 'cluster up, apps partially applied (a failed server-side dry-run applies none)',
  firewall: 'cluster as far as its own steps got; host firewall table unchanged or replaced whole (nft -f is atomic)',
  'publish-cert': 'cluster fully restored; the new sealing certificate not published (or written but not pushed)',
};

const UNKNOWN_STEP = 'the steps before it done, this one partly applied';

export function rollbackTable(stepIds: readonly string[]): RollbackRow[] {
  return stepIds.map((step) => ({ step, leftIn: LEFT_IN[step] ?? UNKNOWN_STEP }));
}

/** How to continue after a failure: --resume re-runs from the first step that is not green. */
export function continueCommand(command: string): string {
  return `homelab-dr ${command} --resume`;
}
