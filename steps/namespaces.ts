import type { Step } from '../src/engine/types.js';
import { checkDeclared, namespacesNeeded } from '../src/k8s/namespaces.js';
import type { KubeObject } from '../src/k8s/types.js';
import type { RecoveryContext } from './context.js';
import { applyCounted } from './apply-objects.js';
import { appObjects } from './preflight-checks.js';

const PSA_PREFIX = 'pod-security.kubernetes.io/';

function psaLabels(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => k.startsWith(PSA_PREFIX)));
}

/** Declared namespaces, plus (with createMissing) a bare one for each namespace an object needs. */
export async function desiredNamespaces(ctx: RecoveryContext): Promise<KubeObject[]> {
  const declared = (await ctx.inputs.namespaces()).map((o) => o.obj).filter((o) => o.kind === 'Namespace');
  if (!ctx.config.namespaces?.createMissing) return declared;
  const needed = [
    ...namespacesNeeded(appObjects(await ctx.inputs.apps())),
    ...ctx.config.secrets.map((s) => ({ namespace: s.namespace, object: `Secret ${s.namespace}/${s.name}`, source: { file: ctx.config.source, line: 0 } })),
  ];
  const missing = checkDeclared(declared.map((n) => n.metadata.name ?? ''), needed).map((u) => u.namespace);
  return [...declared, ...missing.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }))];
}

export const namespaces: Step<RecoveryContext> = {
  id: 'namespaces',
  title: 'Namespaces with their PodSecurity labels',
  needs: ['create-cluster'],
  destructive: false,
  uses: async () => [],
  plan: async (ctx) => {
    const desired = await desiredNamespaces(ctx);
    const described = desired.map((obj) => {
      const psa = Object.entries(psaLabels(obj.metadata.labels))
        .filter(([k]) => !k.endsWith('-version'))
        .map(([k, v]) => `${k.slice(PSA_PREFIX.length)}=${v}`);
      return psa.length > 0 ? `${obj.metadata.name}: ${psa.join(' ')}` : `${obj.metadata.name}`;
    });
    return [`${desired.length} namespaces (${described.join('; ')}), server-side apply, field manager homelab-dr`];
  },
  apply: async (ctx, ledger) => {
    const kube = await ctx.kube();
    for (const ns of await desiredNamespaces(ctx)) {
      if (ctx.signal.aborted) {
        ledger.record('Namespace', ns.metadata.name ?? '', 'skipped', 'interrupted before it was applied');
        continue;
      }
      await applyCounted(kube, ns, ledger);
    }
  },
  // Exactly the declared PodSecurity labels: an extra enforce label is the time bomb of the incident.
  verify: async (ctx) => {
    const kube = await ctx.kube();
    const missing: string[] = [];
    const checked: Array<{ kind: string; name: string }> = [];
    for (const ns of await desiredNamespaces(ctx)) {
      const name = ns.metadata.name ?? '';
      checked.push({ kind: 'Namespace', name });
      const live = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name });
      if (!live) {
        missing.push(`namespace ${name} does not exist`);
        continue;
      }
      const phase = (live['status'] as { phase?: string } | undefined)?.phase;
      if (phase !== 'Active') missing.push(`namespace ${name} is ${phase ?? 'without a phase'}, not Active`);
      const want = psaLabels(ns.metadata.labels);
      const have = psaLabels(live.metadata.labels);
      for (const key of new Set([...Object.keys(want), ...Object.keys(have)])) {
        if (want[key] === have[key]) continue;
        if (want[key] === undefined) missing.push(`namespace ${name} carries undeclared label ${key}=${have[key]}`);
        else if (have[key] === undefined) missing.push(`namespace ${name} lacks label ${key}=${want[key]}`);
        else missing.push(`namespace ${name} has ${key}=${have[key]}, declared ${want[key]}`);
      }
    }
    return { ok: missing.length === 0, missing, checked };
  },
};
