// nft, run through run(): on the host, or inside a network namespace (`ip netns exec NS nft ...`) so
// that tests and rehearsals exercise the real kernel without touching the host's rules.
import { ExecError, run, type ExecResult } from '../util/exec.js';
import { InputError } from '../util/errors.js';
import type { Table } from './model.js';
import { parseNftTable } from './parse.js';

export interface NftTarget {
  /** A network namespace to act in; absent means the host's own rules. */
  netns?: string;
}

const NETNS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const TIMEOUT_MS = 30_000;

export function describeTarget(target: NftTarget): string {
  return target.netns ? `network namespace ${target.netns}` : 'the host';
}

function command(target: NftTarget, args: string[]): [string, string[]] {
  if (target.netns === undefined) return ['nft', args];
  if (!NETNS_NAME.test(target.netns)) throw new InputError(`network namespace name "${target.netns}" is not valid (letters, digits, '_', '.', '-')`);
  return ['ip', ['netns', 'exec', target.netns, 'nft', ...args]];
}

function nft(target: NftTarget, args: string[], opts: { input?: string; signal?: AbortSignal; allowFailure?: boolean } = {}): Promise<ExecResult> {
  const [file, argv] = command(target, args);
  return run(file, argv, { ...opts, timeoutMs: TIMEOUT_MS });
}

/** The live table in semantic form, or null when it does not exist. */
export async function readTable(target: NftTarget, family: 'inet', name: string, signal?: AbortSignal): Promise<Table | null> {
  const result = await nft(target, ['-j', 'list', 'table', family, name], { signal, allowFailure: true });
  // nft's own "no such table" (ENOENT), as opposed to ip's "Cannot open network namespace ...: No such file".
  if (result.code !== 0 && /^Error: No such file or directory/m.test(result.stderr)) return null;
  if (result.code !== 0) throw new ExecError(`${result.command}: exit ${result.code ?? result.signal}\n${result.stderr.trim()}`, result);
  return parseNftTable(result.stdout, family, name);
}

/** Runs the script as one transaction (`nft -f -`): all of it is committed, or none. */
export async function applyScript(target: NftTarget, script: string, signal?: AbortSignal): Promise<void> {
  await nft(target, ['-f', '-'], { input: script, signal });
}

/**
 * Applies the script in a network namespace that exists only for this command and reads the table
 * back: the kernel's own verdict on the ruleset, with the host's rules out of reach. A non-root user
 * gets the privilege for it from a user namespace of its own.
 */
export async function rehearseInPrivateNamespace(script: string, family: 'inet', name: string, signal?: AbortSignal): Promise<Table | null> {
  const isolate = process.getuid?.() === 0 ? ['--net'] : ['--user', '--map-root-user', '--net'];
  const result = await run('unshare', [...isolate, 'sh', '-c', 'nft -f - && nft -j list table "$1" "$2"', 'sh', family, name], {
    input: script,
    signal,
    timeoutMs: TIMEOUT_MS,
  });
  return parseNftTable(result.stdout, family, name);
}
