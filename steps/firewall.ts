// The host firewall: one nftables table of our own, replaced in one transaction and read back.
//
// Where the rules go is decided by the mode and one environment variable, HOMELAB_DR_FIREWALL_NETNS:
// - set: every mode acts inside that network namespace (tests, or a rehearsal host that keeps a
//   namespace for it). The host's rules are never read or written.
// - unset, hard-reset (and verify): the host's own rules, behind the self-lockout guard.
// - unset, dr-test and drill: the host's rules are never changed. verify rehearses instead: it applies
//   the ruleset in a private network namespace that lives for one command, reads it back and compares
//   it, and runs the lockout guard. apply records every rule as skipped.
// An environment variable rather than a config key: the namespace is a property of the machine a test
// or rehearsal runs on, not of the homelab being recovered, and the same config must serve both.
import type { Step, StepLedger } from '../src/engine/types.js';
import { formatCidr } from '../src/firewall/address.js';
import { tableChanges, tableDifferences, type ItemChange } from '../src/firewall/compare.js';
import { assertAccessRoutesKept, assertNoSelfLockout } from '../src/firewall/lockout.js';
import type { Table } from '../src/firewall/model.js';
import { applyScript, describeTarget, readTable, rehearseInPrivateNamespace, type NftTarget } from '../src/firewall/nft.js';
import { publishedPorts, type PublishedPorts } from '../src/firewall/published-ports.js';
import { desiredTable, renderScript } from '../src/firewall/ruleset.js';
import { accessRoutes } from '../src/safety/access-path.js';
import { throwawayNameDiffers } from '../src/safety/guards.js';
import { RefusedError, errorMessage } from '../src/util/errors.js';
import { providerKind, type Mode, type RecoveryContext } from './context.js';

export const FIREWALL_NETNS_ENV = 'HOMELAB_DR_FIREWALL_NETNS';

export type FirewallTarget = { kind: 'apply'; nft: NftTarget } | { kind: 'rehearse' };

export function firewallTarget(mode: Mode, env: NodeJS.ProcessEnv): FirewallTarget {
  const netns = env[FIREWALL_NETNS_ENV]?.trim();
  if (netns) return { kind: 'apply', nft: { netns } };
  return mode === 'dr-test' || mode === 'drill' ? { kind: 'rehearse' } : { kind: 'apply', nft: {} };
}

/** The host ports the provider publishes for this config (k3d: every `ports:` entry; kwok and existing: none of ours). */
function clusterPorts(ctx: RecoveryContext): PublishedPorts {
  const published = new Set(providerKind(ctx).hostExposure(ctx.config.cluster).ports);
  return publishedPorts(ctx.config.cluster.ports.filter((p) => published.has(p.port)));
}

export function desiredFirewall(ctx: RecoveryContext): Table {
  return desiredTable(ctx.config.firewall!, clusterPorts(ctx).ports);
}

/**
 * The self-lockout guard, for the run's guard phase: it must refuse before anything is destroyed, not
 * after the cluster is gone. A namespace of our own carries no SSH session, so it is exempt.
 */
export function firewallGuard(ctx: RecoveryContext, env: NodeJS.ProcessEnv = process.env): void {
  if (!ctx.config.firewall) return;
  const target = firewallTarget(ctx.mode, env);
  if (target.kind === 'apply' && target.nft.netns) return;
  assertKeepsAccess(ctx, desiredFirewall(ctx), env);
}

/** This SSH session's next connection, and every configured access path (judged from the console too). */
function assertKeepsAccess(ctx: RecoveryContext, desired: Table, env: NodeJS.ProcessEnv): void {
  assertNoSelfLockout(desired, env.SSH_CONNECTION);
  assertAccessRoutesKept(desired, accessRoutes(ctx.config.access));
}

function recordAll(ledger: StepLedger, changes: ItemChange[], error?: string): void {
  for (const c of changes) {
    // The transaction is all or nothing: on failure, what was already in place stays, the rest failed.
    if (error !== undefined && c.outcome !== 'unchanged') ledger.record(c.kind, c.name, 'failed', error);
    else ledger.record(c.kind, c.name, c.outcome);
  }
}

async function rehearsalProblems(ctx: RecoveryContext, desired: Table, env: NodeJS.ProcessEnv): Promise<string[]> {
  const problems: string[] = [];
  try {
    firewallGuard(ctx, env);
  } catch (err) {
    problems.push(err instanceof RefusedError ? [err.message, ...err.details].join('; ') : errorMessage(err));
  }
  try {
    const live = await rehearseInPrivateNamespace(renderScript(desired), desired.family, desired.name, ctx.signal);
    problems.push(...tableDifferences(desired, live).map((line) => `rehearsal in a private network namespace: ${line}`));
  } catch (err) {
    problems.push(`could not rehearse the ruleset in a private network namespace (the host's rules are never changed in ${ctx.mode}; set ${FIREWALL_NETNS_ENV} to use a namespace of your own): ${errorMessage(err)}`);
  }
  return problems;
}

function whereLine(mode: Mode, target: FirewallTarget): string {
  if (target.kind === 'rehearse') return `${mode}: the host's rules stay untouched; the ruleset is rehearsed in a private network namespace`;
  return target.nft.netns ? `in network namespace ${target.nft.netns} (${FIREWALL_NETNS_ENV}), not the host` : 'on the host, refused if it would lock out this SSH session';
}

function routesLine(ctx: RecoveryContext): string {
  const routes = accessRoutes(ctx.config.access);
  if (routes.length === 0) return 'access paths judged by the guard: this SSH session only (set access.tunnel.from and access.alternate[].from to judge the others)';
  return `access paths judged by the guard, from the console too: ${routes.map((r) => `${r.name} from ${formatCidr(r.from)} to port ${r.port}/tcp`).join('; ')}`;
}

export function firewallStep(env: NodeJS.ProcessEnv = process.env): Step<RecoveryContext> {
  return {
    id: 'firewall',
    title: 'Host firewall (nftables)',
    needs: ['create-cluster'],
    destructive: false,
    uses: async (ctx) => {
      const target = firewallTarget(ctx.mode, env);
      const tools = target.kind === 'rehearse' ? ['nft', 'unshare'] : target.nft.netns ? ['nft', 'ip'] : ['nft'];
      return tools.map((t) => ({ name: `tool ${t}`, target: t, inCluster: false, reason: 'host binary' }));
    },
    plan: async (ctx) => {
      const fw = ctx.config.firewall;
      if (!fw) return ['no firewall configured: nothing to do'];
      const rules = fw.allow.map((r) => `${r.proto}/${r.port}${r.from ? ` from ${r.from}` : ''}`);
      return [
        `replace table inet ${fw.table} atomically: default input ${fw.defaultInput}; allow ${rules.join(', ') || 'nothing'}`,
        'verify by reading the rules back',
        routesLine(ctx),
        whereLine(ctx.mode, firewallTarget(ctx.mode, env)),
      ];
    },
    apply: async (ctx, ledger) => {
      if (!ctx.config.firewall) return;
      const target = firewallTarget(ctx.mode, env);
      const desired = desiredFirewall(ctx);
      for (const note of clusterPorts(ctx).notes) ctx.log.warn({ step: 'firewall' }, note);
      if (target.kind === 'rehearse') {
        const reason = `${ctx.mode} never changes the host's rules (set ${FIREWALL_NETNS_ENV} to apply in a namespace)`;
        for (const c of tableChanges(desired, null)) ledger.record(c.kind, c.name, 'skipped', reason);
        return;
      }
      if (!target.nft.netns) assertKeepsAccess(ctx, desired, env);
      const changes = tableChanges(desired, await readTable(target.nft, desired.family, desired.name, ctx.signal));
      if (changes.every((c) => c.outcome === 'unchanged')) return recordAll(ledger, changes);
      try {
        await applyScript(target.nft, renderScript(desired), ctx.signal);
      } catch (err) {
        return recordAll(ledger, changes, errorMessage(err));
      }
      ctx.log.info({ step: 'firewall' }, `table inet ${desired.name} replaced in ${describeTarget(target.nft)}`);
      recordAll(ledger, changes);
    },
    verify: async (ctx) => {
      if (!ctx.config.firewall) return { ok: true, missing: [] };
      const target = firewallTarget(ctx.mode, env);
      // `verify --name <throwaway>`: dr-test never applies host rules, so the host's table says nothing
      // about the throwaway cluster. A namespace of the operator's own (the env variable) is judged.
      if (target.kind === 'apply' && !target.nft.netns && throwawayNameDiffers(ctx.config.cluster.name, ctx.clusterName)) {
        return { ok: false, missing: [], stepNotJudged: `not judged: the host's rules belong to production (cluster ${ctx.config.cluster.name}), not to ${ctx.clusterName}` };
      }
      const desired = desiredFirewall(ctx);
      const missing = target.kind === 'rehearse'
        ? await rehearsalProblems(ctx, desired, env)
        : tableDifferences(desired, await readTable(target.nft, desired.family, desired.name, ctx.signal));
      return { ok: missing.length === 0, missing };
    },
  };
}

export const firewall = firewallStep();
