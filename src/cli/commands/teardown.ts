// `homelab-dr teardown NAME | --all-throwaway`: removes throwaway clusters left behind (--keep, a
// SIGKILL, a power loss), on kwok with their local sealed-secrets controller. Only this config's
// throwaways; the production name is refused (exit 3) and a cluster a live run holds is left to it.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, newRunId, runsDir } from '../../engine/journal.js';
import { listThrowaways, removeThrowaway, type Outcome } from '../../safety/teardown.js';
import { InputError, RefusedError } from '../../util/errors.js';
import type { CliOptions } from '../args.js';
import { loadForCommand, stateDirOf } from '../context.js';

/** Clusters that dr-test or drill runs of this state directory used (a --name among them). */
function recordedThrowaways(stateDir: string): string[] {
  let files: string[];
  try {
    files = readdirSync(runsDir(stateDir)).filter((f) => f.endsWith('.jsonl'));
  } catch {
    return [];
  }
  const names = new Set<string>();
  for (const f of files) {
    try {
      const { header } = Journal.read(join(runsDir(stateDir), f));
      if ((header.command === 'dr-test' || header.command === 'drill') && header.cluster) names.add(header.cluster);
    } catch {
      /* a journal that does not read names nothing */
    }
  }
  return [...names];
}

export async function teardownCommand(opts: CliOptions): Promise<number> {
  const [name, ...extra] = opts.positionals;
  if (extra.length > 0) throw new InputError(`teardown takes one cluster name, not ${opts.positionals.length}: ${opts.positionals.join(' ')}`);
  if ((name === undefined) === !opts.allThrowaway) {
    throw new InputError('teardown needs a cluster NAME or --all-throwaway (one of them); homelab-dr teardown --help');
  }
  const { config, ctx } = await loadForCommand(opts, 'verify');
  const provider = await ctx.provider();
  const production = config.cluster.name;
  const holder = { pid: process.pid, command: 'teardown', runId: newRunId(), startedAt: new Date().toISOString() };
  const outcomes: Outcome[] = [];
  if (name !== undefined) {
    const outcome = await removeThrowaway(provider, production, name, holder, recordedThrowaways(stateDirOf(opts)));
    if (outcome.outcome === 'skipped') throw new RefusedError(outcome.message.replace(/^skipped [^:]*: /, ''));
    outcomes.push(outcome);
  } else {
    if (!provider.list) throw new RefusedError(`provider ${provider.name} makes no throwaway clusters; nothing to tear down`);
    for (const t of await listThrowaways(provider, production)) outcomes.push(await removeThrowaway(provider, production, t.name, holder));
  }
  for (const o of outcomes) process.stdout.write(`teardown: ${o.message}\n`);
  const count = (k: Outcome['outcome']) => outcomes.filter((o) => o.outcome === k).length;
  process.stdout.write(`${count('deleted')} deleted, ${count('skipped')} in use (left to their run), ${count('unchanged')} already gone, ${count('failed')} failed; production cluster ${production} untouched\n`);
  return count('failed') > 0 ? 1 : 0;
}
