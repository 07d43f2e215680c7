// Small text helpers shared by the report's renderings, so a duration reads the same everywhere.
import type { DrillResult } from './summary.js';

/** "0.4 s", "12.3 s", "2 min 05 s". */
export function formatSeconds(total: number): string {
  if (total < 60) return `${total.toFixed(1)} s`;
  const whole = Math.round(total);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
}

/** A step's duration: a millisecond reads "< 0.1 s" rather than a misleading "0.0 s". */
export function formatDuration(total: number): string {
  return total < 0.05 ? '< 0.1 s' : formatSeconds(total);
}

/** "2026-11-25 19:28:03 UTC": unambiguous for a reader in any time zone. */
export function formatUtc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

export const RESULT_WORD: Record<DrillResult, string> = {
  green: 'GREEN',
  red: 'RED',
  interrupted: 'INTERRUPTED',
  incomplete: 'INCOMPLETE',
};

/**
 * The drill's time as a reader should take it: only a green drill has an RTO; a red one only tells
 * how long it ran before it stopped, which is no recovery time at all.
 */
export function timeLabel(result: DrillResult, seconds: number): string {
  const t = formatSeconds(seconds);
  if (result === 'green') return `RTO ${t}`;
  if (result === 'red') return `failed after ${t}`;
  if (result === 'interrupted') return `interrupted after ${t}`;
  return `incomplete after ${t}`;
}
