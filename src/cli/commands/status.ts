// `homelab-dr status`: the last run (or --resume RUN) as its journal recorded it.
import { Journal, type JournalData } from '../../engine/journal.js';
import { InputError } from '../../util/errors.js';
import { sleep } from '../../util/helpers.js';
import type { CliOptions } from '../args.js';
import { stateDirOf } from '../context.js';
import { envelope, writeEnvelope } from '../output.js';
import { summaryTable } from '../summary.js';

/** Prints each step change as the journal records it, until the run's end line (or a signal). */
async function follow(path: string, out: NodeJS.WritableStream): Promise<JournalData> {
  const printed = new Map<string, string>();
  for (;;) {
    const data = Journal.read(path);
    for (const [id, st] of data.steps) {
      if (printed.get(id) === st.status) continue;
      printed.set(id, st.status);
      out.write(`${new Date().toISOString().slice(11, 19)} ${id}: ${st.status}${st.blockedBy ? ` (blocked by ${st.blockedBy})` : ''}\n`);
    }
    if (data.exitCode !== undefined) return data;
    await sleep(500);
  }
}

/** A detached run may not have written its journal yet when the operator reconnects: wait a while for it. */
async function awaitJournal(stateDir: string, runId: string, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let said = false;
  for (;;) {
    const path = Journal.find(stateDir, runId);
    if (path || Date.now() >= deadline) return path;
    if (!said) process.stderr.write(`waiting up to ${Math.round(timeoutMs / 1000)} s for run ${runId} to start its journal in ${stateDir}/runs\n`);
    said = true;
    await sleep(500);
  }
}

export async function statusCommand(opts: CliOptions): Promise<number> {
  const stateDir = stateDirOf(opts);
  const named = opts.resume || opts.positionals[0];
  const path = opts.follow && named ? await awaitJournal(stateDir, named, 120_000) : Journal.find(stateDir, named);
  if (!path) throw new InputError(`no run journal in ${stateDir}/runs${named ? ` named ${named}` : ''}`);
  // With -o the progress goes to stderr: stdout holds the one envelope.
  const data = opts.follow ? await follow(path, opts.output ? process.stderr : process.stdout) : Journal.read(path);
  if (opts.output) {
    writeEnvelope(envelope('Status', 'status', { ...data, steps: [...data.steps.values()] }), opts.output);
    return opts.follow ? (data.exitCode ?? 1) : 0;
  }
  const ended = data.exitCode === undefined ? 'did not finish (crashed or still running)' : `ended with exit ${data.exitCode}`;
  process.stdout.write(`run ${data.header.runId} (${data.header.command}, ${data.header.startedAt}): ${ended}${data.torn ? '; last journal line torn' : ''}\n`);
  process.stdout.write(summaryTable(data.header.steps, data.steps, data.items));
  // Following a run answers with the run's own exit code, so a script can wait on it.
  return opts.follow ? (data.exitCode ?? 1) : 0;
}
