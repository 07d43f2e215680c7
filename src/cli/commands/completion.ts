// `homelab-dr completion bash|zsh|fish`: print the completion script for that shell.
import { closestMatch } from '../../config/suggest.js';
import { InputError } from '../../util/errors.js';
import type { CliOptions } from '../args.js';
import { SHELLS, completionScript, type Shell } from '../completion.js';

export async function completionCommand(opts: CliOptions): Promise<number> {
  const [shell, ...extra] = opts.positionals;
  if (shell === undefined || extra.length > 0 || !SHELLS.includes(shell as Shell)) {
    const match = shell === undefined ? undefined : closestMatch(shell, SHELLS);
    throw new InputError(`completion takes one shell: ${SHELLS.join(' | ')}${shell === undefined ? '' : `, not "${opts.positionals.join(' ')}"`}${match ? `; did you mean "${match}"?` : ''}`);
  }
  process.stdout.write(completionScript(shell as Shell));
  return 0;
}
