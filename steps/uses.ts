// Run-time dependencies of the steps, each classified by the litmus as inside or outside the cluster.
import type { SecretStoreConfig, StoreRef } from '../src/config/types.js';
import type { Use } from '../src/engine/types.js';
import { classifyTarget, clusterFactsOf, type ClusterFacts } from '../src/litmus.js';
import type { RecoveryContext } from './context.js';

/** Programs run on this machine, as `tool NAME` uses: preflight asks each for its version (steps/tool-checks.ts). */
export function toolUses(tools: readonly string[], reason = 'runs on this machine'): Use[] {
  return tools.map((t) => ({ name: `tool ${t}`, target: t, inCluster: false, reason }));
}

/** kwokctl starts the pinned control plane; provider existing runs no program (only its kubeconfig). */
const PROVIDER_TOOLS: Record<string, string[]> = {
  k3d: ['k3d', 'docker'],
  kwok: ['kwokctl', 'kwok', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd', 'kubectl'],
  existing: [],
};

export function providerUses(ctx: RecoveryContext): Use[] {
  return toolUses(PROVIDER_TOOLS[ctx.providerName] ?? []);
}

/** The programs the stores run to decrypt (sops, age); an exec store's program is the config's own. */
export function storeToolUses(ctx: RecoveryContext, storeNames: Iterable<string>): Use[] {
  const types = new Set([...storeNames].map((name) => ctx.config.secretStores[name]?.type));
  return toolUses((['sops', 'age'] as const).filter((t) => types.has(t)), 'decrypts a secret store');
}

/** Where a store lives, for the litmus: its URL, file, or the command it runs (never a value). */
export function storeTarget(store: SecretStoreConfig): string {
  switch (store.type) {
    case 'gitlab':
      return store.url;
    case 'sops':
    case 'age':
    case 'file':
      return store.path;
    case 'env':
      return `environment${store.prefix ? ` ${store.prefix}*` : ''}`;
    case 'exec':
      return store.command.join(' ');
  }
}

/** A URL inside an exec store's command line (`curl https://vault.svc/...`) is what the litmus judges. */
function judgedTarget(store: SecretStoreConfig): string {
  if (store.type !== 'exec') return storeTarget(store);
  return store.command.find((arg) => /^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) ?? storeTarget(store);
}

let factsMemo: WeakMap<RecoveryContext, Promise<ClusterFacts>> = new WeakMap();

/** Hosts the cluster serves, from the rendered apps; an app that fails to render contributes none. */
export function clusterFacts(ctx: RecoveryContext): Promise<ClusterFacts> {
  let facts = factsMemo.get(ctx);
  if (!facts) {
    facts = ctx.inputs
      .apps()
      .catch(() => [])
      .then((apps) => clusterFactsOf(apps.flatMap((a) => a.objects.map((o) => ({ obj: o.obj as unknown as Record<string, unknown>, source: o.source })))));
    factsMemo.set(ctx, facts);
  }
  return facts;
}

export function resetFactsForTest(): void {
  factsMemo = new WeakMap();
}

export async function storeUses(ctx: RecoveryContext, storeNames: Iterable<string>): Promise<Use[]> {
  const facts = await clusterFacts(ctx);
  return [...new Set(storeNames)].sort().map((name) => {
    const store = ctx.config.secretStores[name]!;
    const verdict = classifyTarget(judgedTarget(store), facts);
    return { name: `secret store ${name} (${store.type})`, target: storeTarget(store), ...verdict };
  });
}

/** Git remotes the recovered cluster pulls from (Argo CD repository secrets). */
export async function gitRemoteUses(ctx: RecoveryContext): Promise<Use[]> {
  const facts = await clusterFacts(ctx);
  const uses: Use[] = [];
  for (const s of ctx.config.secrets) {
    if (s.labels['argocd.argoproj.io/secret-type'] !== 'repository') continue;
    const url = s.data['url'];
    if (url && 'value' in url) {
      uses.push({ name: `git remote (${s.namespace}/${s.name})`, target: url.value, ...classifyTarget(url.value, facts) });
    }
  }
  return uses;
}

export function refsOfSecrets(ctx: RecoveryContext): StoreRef[] {
  return ctx.config.secrets.flatMap((s) => Object.values(s.data).filter((v): v is StoreRef => 'store' in v));
}
