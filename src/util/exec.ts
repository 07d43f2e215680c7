// The one way homelab-dr runs an external command (k3d, kubectl, helm, nft, sops, kwokctl...).
// It captures output and throws with the command line (secret values redacted) and stderr.
import { spawn, type SpawnOptions } from 'node:child_process';
import { diag } from './diag-log.js';
import { childEnv } from './secrets-registry.js';

export interface ExecOptions {
  input?: string | Buffer;
  /** The child's whole environment; default: homelab-dr's own without its secret variables (childEnv). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** Values that must never appear in an error message (redacted from argv, stdout and stderr). */
  secrets?: string[];
  signal?: AbortSignal;
  /** Do not throw on a non-zero exit; the caller reads `code`. */
  allowFailure?: boolean;
  /** Called with the child's output (stdout and stderr, as they arrive) as it grows, to act on a line before the child ends. */
  onOutput?: (soFar: string) => void;
}

export interface ExecResult {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

export class ExecError extends Error {
  constructor(message: string, readonly result: ExecResult) {
    super(message);
    this.name = 'ExecError';
  }
}

export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('[REDACTED]');
  return out;
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

const SYSTEM_BASH = '/bin/bash';

export async function run(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const secrets = opts.secrets ?? [];
  const command = redact([file, ...args].map(quote).join(' '), secrets);
  // -v: the command as it runs, redacted like an error's; its registered secret values are scrubbed too.
  diag().debug({ cmd: command, ...(opts.cwd ? { cwd: opts.cwd } : {}) }, 'exec');
  const started = Date.now();
  // zx is loaded on first use so that `--help` and `plan` do not pay for it.
  const { $, quote: bashQuote } = await import('zx/core');
  // A child that exits without reading all of its input (a failed `nft -f -`, a wrong tool) makes the
  // write to its stdin fail with EPIPE; zx attaches no listener there, so the error would be unhandled and
  // end homelab-dr. It is recorded instead, and the child's exit decides (an exit 0 without the input is a failure).
  let stdinError: Error | undefined;
  const spawnRecordingStdin: typeof spawn = ((cmd: string, argv: readonly string[], spawnOpts: SpawnOptions) => {
    const child = spawn(cmd, argv, spawnOpts);
    child.stdin?.on('error', (e) => (stdinError = e));
    return child;
  }) as typeof spawn;
  const shell = $({
    spawn: spawnRecordingStdin,
    // zx runs the argv through bash, found on PATH when zx loads; a PATH of the operator's tools only
    // (node, kubectl, helm) has none, and the system's own bash is not a tool the operator brings.
    ...(typeof $.shell === 'string' ? {} : { shell: SYSTEM_BASH, prefix: 'set -euo pipefail;', quote: bashQuote }),
    cwd: opts.cwd,
    // A child inherits no secret held in homelab-dr's environment unless a caller passes env on purpose.
    env: opts.env ?? childEnv(),
    input: opts.input ?? '',
    signal: opts.signal,
    timeout: opts.timeoutMs,
    timeoutSignal: 'SIGKILL',
    // A session of its own: Ctrl-C at the terminal and the SSH drop (SIGHUP to the job) reach homelab-dr
    // alone, which decides; they must not kill the kwokctl delete of a teardown or a step's kubectl.
    detached: true,
    nothrow: true,
    quiet: true,
    verbose: false,
  });
  // zx's timeout kills the process tree child-first, so a shell script can outlive its killed `sleep`,
  // run its next line and exit 0. The deadline is therefore kept here too: past it, the run failed.
  let timedOut = false;
  const deadline = opts.timeoutMs ? setTimeout(() => (timedOut = true), opts.timeoutMs) : undefined;
  let output;
  try {
    const child = shell`${file} ${args}`;
    if (opts.onOutput) {
      const onOutput = opts.onOutput;
      let soFar = '';
      const grow = (chunk: Buffer | string): void => {
        soFar += chunk.toString();
        onOutput(soFar);
      };
      child.stdout.on('data', grow);
      child.stderr.on('data', grow);
    }
    output = await child;
  } catch (e) {
    throw new ExecError(`${command}: ${redact(e instanceof Error ? e.message : String(e), secrets)}`, emptyResult(command));
  } finally {
    clearTimeout(deadline);
  }
  diag().debug({ cmd: command, exitCode: output.exitCode, signal: output.signal ?? undefined, ms: Date.now() - started }, 'exec done');
  const stdoutBytes = output.buffer();
  const result: ExecResult = {
    command,
    code: output.exitCode,
    signal: output.signal,
    stdout: stdoutBytes.toString('utf8'),
    stderr: output.stderr,
    stdoutBytes,
  };
  if (output.exitCode === 127 && /command not found|No such file/.test(output.stderr)) {
    throw new ExecError(`${command}: ${file}: command not found`, result);
  }
  if (opts.timeoutMs && (timedOut || result.signal === 'SIGKILL')) {
    throw new ExecError(`${command}: timed out after ${opts.timeoutMs} ms`, result);
  }
  if (result.code === 0 && stdinError) {
    throw new ExecError(`${command}: exited 0 without reading all of its input (${stdinError.message})`, result);
  }
  if (result.code !== 0 && !opts.allowFailure) {
    const tail = redact(result.stderr.trim().split('\n').slice(-15).join('\n'), secrets);
    throw new ExecError(`${command}: exit ${result.code ?? result.signal}${tail ? `\n${tail}` : ''}`, result);
  }
  return result;
}

function emptyResult(command: string): ExecResult {
  return { command, code: null, signal: null, stdout: '', stderr: '', stdoutBytes: Buffer.alloc(0) };
}
