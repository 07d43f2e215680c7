// How a run answers signals. Ctrl-C (or SIGTERM) once: finish the current item, then stop. On a
// throwaway cluster a second one still tears it down, and only a third abandons it, naming what is
// left and the command that removes it. SIGHUP (the SSH session dropping) never stops a run.
import type { Logger } from '../util/log.js';

export interface InterruptOptions {
  abort: AbortController;
  /** dr-test and drill: a cluster to tear down whatever happens. */
  throwaway: boolean;
  cluster: string;
  /** The command that removes the cluster when teardown is abandoned. */
  teardownCommand: string;
  /** Records the abandoned run's end (journal) before the process exits. */
  onAbandon: () => void;
  write?: (text: string) => void;
  exit?: (code: number) => void;
}

export interface Interrupts {
  /** The teardown has begun: say so on the next Ctrl-C. */
  tearingDown(): void;
  remove(): void;
}

export function interruptHandler(opts: InterruptOptions): Interrupts {
  const write = opts.write ?? ((text: string) => void process.stderr.write(text));
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let count = 0;
  let inTeardown = false;
  const abandon = (): void => {
    write(opts.throwaway
      ? `\ninterrupt: abandoned; cluster ${opts.cluster} is LEFT BEHIND (kwok: with its local controller). Remove it with:\n  ${opts.teardownCommand}\n`
      : '\ninterrupt: abandoned the current item\n');
    opts.onAbandon();
    exit(130);
  };
  const onSignal = (): void => {
    count += 1;
    if (count === 1) {
      write(opts.throwaway
        ? `\ninterrupt: finishing the current item, then tearing down ${opts.cluster} (Ctrl-C twice more to abandon the teardown)\n`
        : '\ninterrupt: finishing the current item, then stopping (Ctrl-C again to abandon it)\n');
      opts.abort.abort();
    } else if (!opts.throwaway || count >= 3) {
      abandon();
    } else {
      write(`\ninterrupt: ${inTeardown ? 'tearing down' : 'the teardown of'} ${opts.cluster} still happens${inTeardown ? '' : ' after the current item'}; Ctrl-C once more to abandon it and leave the cluster\n`);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    tearingDown: () => {
      inTeardown = true;
    },
    remove: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/**
 * Keeps the run alive when its terminal goes away: SIGHUP is logged, and writes to the vanished
 * terminal (EIO, EPIPE) are dropped instead of crashing the run. Returns the undo.
 */
export function survivesHangup(logger: Logger): () => void {
  let hungUp = false;
  const onHangup = (): void => {
    hungUp = true;
    logger.warn('SIGHUP: the terminal went away; the run goes on (progress in this log and the journal)');
  };
  const onWriteError = (err: Error): void => {
    if (!hungUp) logger.warn({ err: err.message }, 'cannot write to the terminal; the run goes on');
  };
  process.on('SIGHUP', onHangup);
  process.stdout.on('error', onWriteError);
  process.stderr.on('error', onWriteError);
  return () => {
    process.off('SIGHUP', onHangup);
    // After a hangup the terminal stays gone: the last lines of the run must not crash it either.
    if (hungUp) return;
    process.stdout.off('error', onWriteError);
    process.stderr.off('error', onWriteError);
  };
}
