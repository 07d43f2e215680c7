// The pinned binaries a kwok cluster and its local controllers run, all from the build cache.
// Nothing is downloaded: a missing binary is an error that says how to build it.
import { accessSync, constants } from 'node:fs';
import { cachedBinary, pinnedVersion, type PinnedComponent } from '../util/binaries.js';
import { InputError } from '../util/errors.js';

const WANTED = {
  kubeApiserver: ['kubernetes', 'kube-apiserver'],
  kubeControllerManager: ['kubernetes', 'kube-controller-manager'],
  kubeScheduler: ['kubernetes', 'kube-scheduler'],
  kubectl: ['kubernetes', 'kubectl'],
  etcd: ['etcd', 'etcd'],
  kwok: ['kwok', 'kwok'],
  kwokctl: ['kwok', 'kwokctl'],
  sealedSecretsController: ['sealed-secrets', 'sealed-secrets-controller'],
  kubeseal: ['sealed-secrets', 'kubeseal'],
  sealedSecretsModuleDir: ['sealed-secrets', 'module-dir'],
  helm: ['helm', 'helm'],
} as const satisfies Record<string, readonly [PinnedComponent, string]>;

export type ControlPlaneBinary = keyof typeof WANTED;
export type ControlPlaneBinaries = Record<ControlPlaneBinary, string>;

export const BUILD_HINT = 'run `bash scripts/control-plane.sh` (or `npm run control-plane`) to build the pinned components into the cache';

/** Paths of the named binaries; throws InputError listing every one that is missing. */
export function controlPlaneBinaries<K extends ControlPlaneBinary>(names: readonly K[], env: NodeJS.ProcessEnv = process.env): Pick<ControlPlaneBinaries, K> {
  const found = {} as Pick<ControlPlaneBinaries, K>;
  const missing: string[] = [];
  for (const name of names) {
    const [component, file] = WANTED[name];
    const path = cachedBinary(component, file, env);
    const mode = file === 'module-dir' ? constants.R_OK : constants.X_OK;
    try {
      accessSync(path, mode);
    } catch {
      missing.push(path);
    }
    found[name] = path;
  }
  if (missing.length > 0) {
    throw new InputError(`the pinned control-plane components are not built: ${BUILD_HINT}`, missing.map((p) => `missing: ${p}`));
  }
  return found;
}

export function kubernetesVersion(): string {
  return pinnedVersion('kubernetes');
}

export function etcdVersion(): string {
  return pinnedVersion('etcd');
}
