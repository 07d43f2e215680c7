// The names of throwaway clusters: `<prefix>-dt-<UTC yymmddhhmm>-<pid>`. Unique per run (two runs in
// one minute are two live processes, and the pid, in base 36 on 5 characters, tells them apart: pid_max
// is at most 2^22), at most 32 characters (k3d's limit) for any production name, a DNS-1123 label, and
// recognisable as this config's (teardown, the drill's sweep).
import { createHash } from 'node:crypto';

export const MAX_CLUSTER_NAME = 32;
const SUFFIX_LENGTH = '-dt-'.length + 10 + 1 + 5;
const MAX_PREFIX = MAX_CLUSTER_NAME - SUFFIX_LENGTH;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 4);
}

/** The production name as it fits before the suffix: whole when short, else cut and made unique by a hash. */
export function throwawayPrefix(production: string): string {
  const name = production.trim().toLowerCase();
  if (name.length <= MAX_PREFIX) return name;
  const cut = name.slice(0, MAX_PREFIX - 5).replace(/-+$/, '');
  return `${cut}-${shortHash(name)}`;
}

function stamp(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(2, 12);
}

function runPart(pid: number): string {
  return pid.toString(36).padStart(5, '0');
}

export function throwawayName(production: string, opts: { now?: Date; pid?: number } = {}): string {
  return `${throwawayPrefix(production)}-dt-${stamp(opts.now ?? new Date())}-${runPart(opts.pid ?? process.pid)}`;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * When `name` is a throwaway cluster of this production name, the time its name records (to the
 * minute); names of earlier versions (`<name>-drtest-<yymmddhhmm>`) count too, so their leftovers go.
 */
export function throwawayCreatedAt(production: string, name: string): Date | undefined {
  const prod = production.trim().toLowerCase();
  const current = new RegExp(`^${escape(throwawayPrefix(prod))}-dt-(\\d{10})-[0-9a-z]{5}$`).exec(name);
  const legacy = new RegExp(`^${escape(prod.slice(0, 44))}-drtest-(\\d{10})$`).exec(name);
  const digits = (current ?? legacy)?.[1];
  if (!digits) return undefined;
  const [yy, mo, dd, hh, mi] = [0, 2, 4, 6, 8].map((i) => Number(digits.slice(i, i + 2)));
  const at = new Date(Date.UTC(2000 + yy!, mo! - 1, dd!, hh!, mi!));
  return Number.isNaN(at.getTime()) ? undefined : at;
}
