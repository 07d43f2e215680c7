// Memoised readers of a config's inputs: each file is parsed (and each app rendered) once per run,
// whether plan, preflight or apply asks first.
import type { AppConfig, HomelabConfig, StoreRef } from '../src/config/types.js';
import { loadManifests, parseManifests } from '../src/k8s/manifests.js';
import { readAll, type ReadAllResult } from '../src/secrets/read-all.js';
import { openStores } from '../src/secrets/stores/index.js';
import { registerSecret, registerSecretVariable } from '../src/util/secrets-registry.js';
import type { LoadedObject } from '../src/k8s/types.js';
import { errorMessage } from '../src/util/errors.js';
import { run } from '../src/util/exec.js';
import { locateTool, toolPath, toolSourceOf, type ToolSource } from '../src/util/tools.js';

export interface RenderedApp {
  app: AppConfig;
  how: 'manifests' | 'kustomize' | 'helm';
  objects: LoadedObject[];
}

export interface Inputs {
  namespaces(): Promise<LoadedObject[]>;
  storage(): Promise<LoadedObject[]>;
  sealedSecretsController(): Promise<LoadedObject[]>;
  /** Every app, rendered; a render failure rejects with the app named. */
  apps(): Promise<RenderedApp[]>;
  /** Every value the plan needs, read from its store into memory (registered for scrubbing). */
  values(): Promise<ReadAllResult>;
}

function once<T>(load: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= load());
}

export function appSource(app: AppConfig): { how: RenderedApp['how']; path: string } {
  if ('manifests' in app) return { how: 'manifests', path: app.manifests };
  if ('kustomize' in app) return { how: 'kustomize', path: app.kustomize };
  return { how: 'helm', path: app.helm.chart };
}

/** `tools`: where kubectl (kustomize) and helm come from (src/util/tools.ts); each is version-checked once. */
export async function renderApp(app: AppConfig, tools: ToolSource = { env: process.env }): Promise<RenderedApp> {
  const { how, path } = appSource(app);
  try {
    if ('manifests' in app) return { app, how, objects: await loadManifests(app.manifests) };
    if ('kustomize' in app) {
      const out = await run(await toolPath('kubectl', tools), ['kustomize', app.kustomize]);
      return { app, how, objects: parseManifests(out.stdout, `kustomize ${app.kustomize}`) };
    }
    const args = ['template', app.helm.releaseName ?? app.name, app.helm.chart, '--namespace', app.helm.namespace];
    if (app.helm.values) args.push('--values', app.helm.values);
    const out = await run(await toolPath('helm', tools), args);
    // helm template leaves the release namespace implicit on namespaced objects.
    const objects = parseManifests(out.stdout, `helm ${app.helm.chart}`);
    return { app, how, objects };
  } catch (err) {
    throw new Error(`app ${app.name} (${how} ${path}): ${errorMessage(err)}`);
  }
}

/** The stores' decryptors, found as every tool is; preflight checks their versions (a `tool sops|age` use). */
function storeTools(tools: ToolSource): { age?: string; sops?: string } {
  const age = locateTool('age', tools).path;
  const sops = locateTool('sops', tools).path;
  return { ...(age ? { age } : {}), ...(sops ? { sops } : {}) };
}

export interface InputsOptions {
  /** --insecure-file-perms: accept plaintext secret files (file store, age identity, sops age key) readable by group or others. */
  insecureFilePerms?: boolean;
}

/** The environment variables that hold this config's secrets: env stores' variables, a gitlab store's token. */
export function secretVariables(config: HomelabConfig): string[] {
  const refs = config.secrets.flatMap((s) => Object.values(s.data).filter((v): v is StoreRef => 'store' in v));
  if (config.sealedSecrets?.keyBackup?.from) refs.push(config.sealedSecrets.keyBackup.from);
  const names = refs.flatMap((ref) => {
    const store = config.secretStores[ref.store];
    return store?.type === 'env' ? [`${store.prefix ?? ''}${ref.key}`] : [];
  });
  for (const store of Object.values(config.secretStores)) if (store.type === 'gitlab') names.push(store.tokenEnv);
  return names;
}

export function createInputs(config: HomelabConfig, opts: InputsOptions = {}): Inputs {
  // Before any child process starts (apps render before the stores are read): none inherits these.
  for (const name of secretVariables(config)) registerSecretVariable(name);
  // Read when an app renders or a store opens, not before: a config without either needs no tool.
  const tools = (): ToolSource => toolSourceOf(config);
  return {
    namespaces: once(async () => (config.namespaces ? loadManifests(config.namespaces.file) : [])),
    storage: once(async () => (config.storage ? loadManifests(config.storage.file) : [])),
    sealedSecretsController: once(async () =>
      config.sealedSecrets?.controller.manifests ? loadManifests(config.sealedSecrets.controller.manifests) : [],
    ),
    apps: once(() => Promise.all(config.apps.items.map((app) => renderApp(app, tools())))),
    values: once(async () => {
      const refs = config.secrets.flatMap((s) => Object.values(s.data).filter((v) => 'store' in v));
      if (config.sealedSecrets?.keyBackup?.from) refs.push(config.sealedSecrets.keyBackup.from);
      const result = await readAll(openStores(config.secretStores, { tools: storeTools(tools()), insecureFilePerms: opts.insecureFilePerms ?? false }), refs);
      for (const value of result.values.values()) registerSecret(value);
      return result;
    }),
  };
}
