// `homelab-dr status`: the last run (or --resume RUN) as its journal recorded it.
import { Journal } from '../../engine/journal.js';
import { InputError } from '../../util/errors.js';
import type { CliOptions } from '../args.js';
import { stateDirOf } from '../context.js';
import { summaryTable } from '../summary.js';

export async function statusCommand(opts: CliOptions): Promise<number> {
  const stateDir = stateDirOf(opts);
  const path = Journal.find(stateDir, opts.resume || opts.positionals[0]);
  if (!path) throw new InputError(`no run journal in ${stateDir}/runs${opts.resume ? ` named ${opts.resume}` : ''}`);
  const data = Journal.read(path);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ...data, steps: [...data.steps.values()] }, null, 2)}\n`);
    return 0;
  }
  const ended = data.exitCode === undefined ? 'did not finish (crashed or still running)' : `ended with exit ${data.exitCode}`;
  process.stdout.write(`run ${data.header.runId} (${data.header.command}, ${data.header.startedAt}): ${ended}${data.torn ? '; last journal line torn' : ''}\n`);
  process.stdout.write(summaryTable(data.header.steps, data.steps, data.items));
  return 0;
}
