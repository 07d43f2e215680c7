// What the sealed-secrets controller needs in the cluster (its CRD, ServiceAccount and RBAC), read at
// run time from the upstream module in the Go module cache, so no upstream file is copied into the repo.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifests } from '../k8s/manifests.js';
import type { KubeObject } from '../kube/types.js';
import { InputError } from '../util/errors.js';
import { run } from '../util/exec.js';
import { BUILD_HINT } from './control-plane-binaries.js';

/** The chart templates that carry the controller's identity and permissions, and nothing else. */
const RBAC_TEMPLATES = [
  'templates/service-account.yaml',
  'templates/cluster-role.yaml',
  'templates/cluster-role-binding.yaml',
  'templates/role.yaml',
  'templates/role-binding.yaml',
];

export function chartDir(moduleDir: string): string {
  return join(moduleDir, 'helm', 'sealed-secrets');
}

export async function readModuleDir(moduleDirFile: string): Promise<string> {
  const dir = (await readFile(moduleDirFile, 'utf8')).trim();
  if (!dir) throw new InputError(`${moduleDirFile} is empty: ${BUILD_HINT}`);
  return dir;
}

export async function sealedSecretsCrd(moduleDir: string): Promise<KubeObject> {
  const file = join(chartDir(moduleDir), 'crds', 'bitnami.com_sealedsecrets.yaml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new InputError(`the SealedSecret CRD is not in the module cache (${file}): ${BUILD_HINT}`);
  }
  const [crd] = parseManifests(text, file).map((o) => o.obj);
  if (!crd) throw new InputError(`${file} holds no object`);
  return crd;
}

/** ServiceAccount, ClusterRole/Role and their bindings, rendered by helm with the controller's name. */
export async function sealedSecretsRbac(helm: string, moduleDir: string, namespace: string, controllerName: string): Promise<KubeObject[]> {
  const args = ['template', controllerName, chartDir(moduleDir), '--namespace', namespace];
  args.push('--set', `fullnameOverride=${controllerName}`, '--set', 'rbac.serviceProxier.create=false');
  for (const template of RBAC_TEMPLATES) args.push('--show-only', template);
  const rendered = await run(helm, args, { timeoutMs: 60_000 });
  return parseManifests(rendered.stdout, `helm template ${chartDir(moduleDir)}`).map((o) => o.obj);
}
