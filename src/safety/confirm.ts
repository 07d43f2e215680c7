// The typed confirmation before production is destroyed. Every way out of the prompt is an answer the
// person can read: the right name goes on; a wrong one or end of input is refused (exit 3); Ctrl-C is
// an interruption (exit 130). Nothing has been changed at that point, and each message says so.
import { createInterface } from 'node:readline';
import { InterruptedError, RefusedError, type ShownData } from '../util/errors.js';

type Answer = { kind: 'line'; text: string } | { kind: 'eof' } | { kind: 'interrupt' };

export interface ConfirmStreams {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
}

function ask(prompt: string, streams: ConfirmStreams): Promise<Answer> {
  // The callback form of readline: the promise form turns Ctrl-C into an AbortError with a stack.
  const rl = createInterface({ input: streams.input, output: streams.output, terminal: true });
  return new Promise<Answer>((resolve) => {
    let answered = false;
    const settle = (answer: Answer): void => {
      if (answered) return;
      answered = true;
      resolve(answer);
      rl.close();
    };
    rl.on('SIGINT', () => settle({ kind: 'interrupt' }));
    rl.on('close', () => settle({ kind: 'eof' }));
    rl.question(prompt, (text) => settle({ kind: 'line', text }));
  });
}

/** `shown`: what the screen before the prompt showed, carried by every refusal's -o json|yaml envelope. */
export async function confirmDestruction(cluster: string, opts: { yes: boolean; streams?: ConfirmStreams; shown?: ShownData }): Promise<void> {
  if (opts.yes) return;
  const streams = opts.streams ?? { input: process.stdin, output: process.stderr };
  const refuse = (message: string): RefusedError => new RefusedError(message, [], undefined, opts.shown);
  if (!streams.input.isTTY) {
    throw refuse(`destroying cluster "${cluster}" needs a typed confirmation on a terminal, or --yes; nothing was changed`);
  }
  const answer = await ask(`Type the cluster name (${cluster}) to destroy it: `, streams);
  if (answer.kind === 'interrupt') {
    streams.output.write('\n');
    throw new InterruptedError(`Ctrl-C at the confirmation: nothing was changed, cluster "${cluster}" is untouched`, [], opts.shown);
  }
  if (answer.kind === 'eof') {
    throw refuse(`no answer (end of input) at the confirmation: nothing was changed, cluster "${cluster}" is untouched`);
  }
  if (answer.text.trim() !== cluster) {
    throw refuse(`confirmation did not match "${cluster}": nothing was changed, cluster "${cluster}" is untouched`);
  }
}
