import type { Step } from '../src/engine/types.js';
import type { RecoveryContext } from './context.js';
import { appSource } from './inputs.js';
import { gitRemoteUses } from './uses.js';

function kindSummary(kinds: string[]): string {
  const counts = new Map<string, number>();
  for (const k of kinds) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}

export const apps: Step<RecoveryContext> = {
  id: 'apps',
  title: 'Apps: render, dry-run all, apply, wait for health',
  needs: ['storage', 'reseal-secrets'],
  destructive: false,
  uses: async (ctx) => [
    ...ctx.config.apps.items.map((app) => {
      const { how } = appSource(app);
      const tool = how === 'helm' ? 'helm' : 'kubectl';
      return { name: `tool ${tool} (${app.name})`, target: tool, inCluster: false, reason: 'built into the local cache' };
    }),
    ...(await gitRemoteUses(ctx)),
  ],
  plan: async (ctx) => {
    const rendered = await ctx.inputs.apps();
    const total = rendered.reduce((n, r) => n + r.objects.length, 0);
    return [
      `${rendered.length} app(s), ${total} object(s): server-side dry-run of all of them before the first real apply`,
      ...rendered.map((r) => `${r.app.name} (${r.how} ${appSource(r.app).path}): ${kindSummary(r.objects.map((o) => o.obj.kind))}`),
      `wait for health with watches, up to ${Math.round(ctx.config.apps.wait.timeoutMs / 1000)} s`,
    ];
  },
};
