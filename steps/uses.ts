// Run-time dependencies of the steps, each classified by the litmus as inside or outside the cluster.
import { readFileSync, statSync } from 'node:fs';
import type { HomelabConfig, SecretStoreConfig, StoreRef } from '../src/config/types.js';
import type { Use } from '../src/engine/types.js';
import { podTemplateOf } from '../src/k8s/podsecurity.js';
import type { KubeObject } from '../src/kube/types.js';
import { clusterFactsOf, emptyFacts, judgeTarget, kubeCallsOf, registryOf, type ClusterFacts, type Resolve } from '../src/litmus.js';
import { localAddresses, systemResolver } from '../src/litmus-resolve.js';
import { errorMessage } from '../src/util/errors.js';
import { providerKind, type RecoveryContext } from './context.js';

/** Programs run on this machine, as `tool NAME` uses: preflight asks each for its version (steps/tool-checks.ts). */
export function toolUses(tools: readonly string[], reason = 'runs on this machine'): Use[] {
  return tools.map((t) => ({ name: `tool ${t}`, target: t, inCluster: false, reason }));
}

export function providerUses(ctx: RecoveryContext): Use[] {
  return toolUses(providerKind(ctx).tools);
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

/** What the litmus knows of the cluster: from the rendered apps, the config, and the live cluster. */
export interface LitmusFacts extends ClusterFacts {
  resolve: Resolve;
  /** Why the live cluster added nothing (it does not exist, or did not answer); said in the plan. */
  liveNote?: string;
}

let factsMemo: WeakMap<RecoveryContext, Promise<LitmusFacts>> = new WeakMap();
/** The hosts file and DNS; HOMELAB_DR_HOSTS_FILE names another hosts file (a split-horizon one, a test's). */
let resolver: Resolve | undefined;

export function useResolver(resolve: Resolve | undefined): void {
  resolver = resolve;
}

function mergeInto(into: ClusterFacts, from: ClusterFacts, tag: string): void {
  for (const [k, v] of from.ingressHosts) if (!into.ingressHosts.has(k)) into.ingressHosts.set(k, `${v} ${tag}`);
  for (const [k, v] of from.loadBalancerAddresses) if (!into.loadBalancerAddresses.has(k)) into.loadBalancerAddresses.set(k, `${v} ${tag}`);
  for (const [k, v] of from.nodeAddresses) into.nodeAddresses.set(k, `${v} ${tag}`);
  into.deployers.push(...from.deployers.map((d) => ({ ...d, who: `${d.who} ${tag}` })));
}

/** Host ports of `cluster.ports` ("8443:443", "127.0.0.1:8080:80/tcp"): the cluster answers on them here. */
export function publishedPortsOf(config: HomelabConfig): Map<number, string> {
  const ports = new Map<number, string>();
  for (const { port } of config.cluster.ports) {
    const m = /^(?:[^:]+:)?(\d+):\d+(?:\/\w+)?$/.exec(port.trim());
    if (m) ports.set(Number(m[1]), `cluster.ports "${port}" (config)`);
  }
  return ports;
}

const LIVE_KINDS = [
  { apiVersion: 'v1', kind: 'Node' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' },
  { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization' },
  { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease' },
] as const;

/**
 * The production cluster as it runs now (read-only): its nodes' and load balancers' addresses, and the
 * Ingresses and Argo CD / Flux objects something else deployed (the incident's GitLab came by Argo CD).
 * A kind the cluster does not serve (no Argo CD CRD) adds nothing; a cluster that is down adds nothing.
 */
async function liveFacts(ctx: RecoveryContext): Promise<{ facts?: ClusterFacts; note?: string }> {
  const name = ctx.config.cluster.name;
  let kube;
  const unread = (err: unknown) => ({ note: `cluster "${name}" could not be read (${errorMessage(err)}): judged from the config and the manifests only` });
  let provider;
  try {
    provider = await ctx.provider();
  } catch (err) {
    return unread(err);
  }
  try {
    // The client module loads while k3d copies the kubeconfig out; whether the cluster exists is asked
    // only when that fails (k3d has no kubeconfig for a cluster it does not list), so the guards that
    // wait for this read pay for one k3d call, not two in a row.
    const [{ KubeClient }, kubeconfig] = await Promise.all([import('../src/kube/client.js'), provider.kubeconfig(name)]);
    kube = await KubeClient.fromKubeconfig(kubeconfig);
  } catch (err) {
    const absent = await provider.exists(name).then((exists) => !exists, () => false);
    if (absent) return { note: `cluster "${name}" does not exist now: judged from the config and the manifests only` };
    return unread(err);
  }
  try {
    // At once: each read is independent, and the guards that wait for them gate the whole run.
    const objects: KubeObject[] = (await Promise.all(LIVE_KINDS.map((query) => kube!.list(query).catch(() => [])))).flat();
    return { facts: clusterFactsOf(objects.map((obj) => ({ obj }))) };
  } finally {
    kube.close();
  }
}

async function gatherFacts(ctx: RecoveryContext): Promise<LitmusFacts> {
  const apps = await ctx.inputs.apps().catch(() => []);
  const facts: LitmusFacts = {
    ...emptyFacts(),
    resolve: resolver ?? systemResolver(process.env.HOMELAB_DR_HOSTS_FILE ? { hostsFile: process.env.HOMELAB_DR_HOSTS_FILE } : {}),
  };
  mergeInto(facts, clusterFactsOf(apps.flatMap((a) => a.objects.map((o) => ({ obj: o.obj, source: o.source })))), '(manifests)');
  facts.publishedPorts = publishedPortsOf(ctx.config);
  facts.localAddresses = localAddresses();
  const live = await liveFacts(ctx);
  if (live.facts) mergeInto(facts, live.facts, '(live)');
  if (live.note) facts.liveNote = live.note;
  return facts;
}

/** What the cluster serves, from the rendered apps, the config and the live cluster; an app that fails to render contributes none. */
export function clusterFacts(ctx: RecoveryContext): Promise<LitmusFacts> {
  let facts = factsMemo.get(ctx);
  if (!facts) {
    facts = gatherFacts(ctx);
    factsMemo.set(ctx, facts);
  }
  return facts;
}

export function resetFactsForTest(): void {
  factsMemo = new WeakMap();
}

/** An exec store's command line and, when its program is a script, the script's text. */
function execText(command: readonly string[]): string {
  const program = command[0] ?? '';
  try {
    if (statSync(program).size < 256 * 1024) {
      const text = readFileSync(program, 'utf8');
      if (!text.includes('\u0000')) return `${command.join(' ')}\n${text}`;
    }
  } catch {
    /* not a readable file: the argv alone is judged */
  }
  return command.join(' ');
}

function clusterContexts(config: HomelabConfig): string[] {
  return [config.cluster.context, config.cluster.name, `k3d-${config.cluster.name}`].filter((c): c is string => !!c);
}

async function judgeStore(store: SecretStoreConfig, facts: LitmusFacts, config: HomelabConfig): Promise<{ inCluster: boolean; reason: string }> {
  if (store.type === 'exec') {
    const calls = kubeCallsOf(execText(store.command), clusterContexts(config));
    if (calls.length > 0) return { inCluster: true, reason: `its command runs ${calls.join('; ')}` };
  }
  return judgeTarget(judgedTarget(store), facts, facts.resolve);
}

export async function storeUses(ctx: RecoveryContext, storeNames: Iterable<string>): Promise<Use[]> {
  const facts = await clusterFacts(ctx);
  return Promise.all(
    [...new Set(storeNames)].sort().map(async (name) => {
      const store = ctx.config.secretStores[name]!;
      return { name: `secret store ${name} (${store.type})`, target: storeTarget(store), ...(await judgeStore(store, facts, ctx.config)) };
    }),
  );
}

/** Registries the apps' images come from (Docker Hub's short names aside): one in the cluster is circular. */
export async function registryUses(ctx: RecoveryContext): Promise<Use[]> {
  const apps = await ctx.inputs.apps().catch(() => []);
  const images = new Map<string, Set<string>>();
  for (const { obj } of apps.flatMap((a) => a.objects)) {
    const spec = podTemplateOf(obj)?.spec as { containers?: { image?: string }[]; initContainers?: { image?: string }[] } | undefined;
    for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
      const registry = c.image ? registryOf(c.image) : undefined;
      if (registry) images.set(registry, (images.get(registry) ?? new Set()).add(c.image!));
    }
  }
  const facts = await clusterFacts(ctx);
  return Promise.all(
    [...images].sort(([a], [b]) => a.localeCompare(b)).map(async ([registry, used]) => {
      const verdict = await judgeTarget(`https://${registry}`, facts, facts.resolve);
      const shown = [...used].slice(0, 2).join(', ') + (used.size > 2 ? `, +${used.size - 2} more` : '');
      return { name: `image registry ${registry}`, target: registry, inCluster: verdict.inCluster, reason: `${verdict.reason} (images: ${shown})` };
    }),
  );
}

/** Git remotes the recovered cluster pulls from (Argo CD repository secrets). */
export async function gitRemoteUses(ctx: RecoveryContext): Promise<Use[]> {
  const facts = await clusterFacts(ctx);
  const uses: Use[] = [];
  for (const s of ctx.config.secrets) {
    if (s.labels['argocd.argoproj.io/secret-type'] !== 'repository') continue;
    const url = s.data['url'];
    if (url && 'value' in url) {
      uses.push({ name: `git remote (${s.namespace}/${s.name})`, target: url.value, ...(await judgeTarget(url.value, facts, facts.resolve)) });
    }
  }
  return uses;
}

export function refsOfSecrets(ctx: RecoveryContext): StoreRef[] {
  return ctx.config.secrets.flatMap((s) => Object.values(s.data).filter((v): v is StoreRef => 'store' in v));
}
