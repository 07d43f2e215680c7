// A helper command prints the value (pass, bw, op, vault...). The key replaces `{key}` in the argv,
// or is appended when no argument mentions it. Failures carry the exit status and stderr, never stdout.
import { run } from '../../util/exec.js';
import { errorMessage } from '../../util/errors.js';
import { SecretStoreError, type SecretStore } from './types.js';

export function execArgv(command: readonly string[], key: string): string[] {
  const mentionsKey = command.some((arg) => arg.includes('{key}'));
  return mentionsKey ? command.map((arg) => arg.split('{key}').join(key)) : [...command, key];
}

export function execStore(name: string, command: readonly string[], timeoutMs: number, env: NodeJS.ProcessEnv): SecretStore {
  return {
    name,
    type: 'exec',
    location: command.join(' '),
    async get(key: string): Promise<Buffer> {
      const [file, ...args] = execArgv(command, key);
      if (!file) throw new SecretStoreError(name, key, 'the exec store has an empty command');
      let stdout: Buffer;
      try {
        stdout = (await run(file, args, { timeoutMs, env })).stdoutBytes;
      } catch (e) {
        throw new SecretStoreError(name, key, errorMessage(e));
      }
      return trimOneNewline(stdout);
    },
  };
}

// Helpers print the value and a newline; only that one newline is not part of the value.
function trimOneNewline(bytes: Buffer): Buffer {
  let end = bytes.length;
  if (bytes[end - 1] === 0x0a) end -= 1;
  if (end < bytes.length && bytes[end - 1] === 0x0d) end -= 1;
  return bytes.subarray(0, end);
}
