// Small statistics and formatting helpers for the benchmark table. Every figure in the table is the
// median of its runs with the spread (min–max) beside it; nothing is averaged away.

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarize(xs: readonly number[]): Summary {
  return { n: xs.length, median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/** Per-round ratios a[i] / b[i] (paired: both measured in the same round, back to back). */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new Error(`paired ratios need equal run counts (${a.length} vs ${b.length})`);
  return a.map((x, i) => x / b[i]!);
}

/** Seconds as ms below 1 s, else s. */
export function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return 'n/a';
  if (s < 0.9995) return `${(s * 1000).toFixed(s < 0.09995 ? 1 : 0)} ms`;
  return `${s.toFixed(s < 10 ? 2 : 1)} s`;
}

export function fmtMb(kb: number): string {
  return Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : 'n/a';
}

export function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return 'n/a';
  return r >= 10 ? `${r.toFixed(0)}×` : r >= 1 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

export function spread(s: Summary, fmt: (x: number) => string): string {
  return `${fmt(s.min)} – ${fmt(s.max)}`;
}

/** Wall-clock seconds of an async or sync function. */
export async function timed<T>(fn: () => Promise<T> | T): Promise<{ seconds: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, value };
}
