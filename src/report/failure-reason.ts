// Why a drill is not green, as one value of a fixed set: the metrics' `reason` label must have bounded
// cardinality, so a reason never carries free text (an error message would make a new series a month).

/** Every step id the recovery DAG can hold (steps/index.ts), plus the two checks after the DAG. */
export const STEP_REASONS = [
  'preflight',
  'delete-cluster',
  'create-cluster',
  'namespaces',
  'storage',
  'sealed-secrets-controller',
  'sealed-secrets-available',
  'reseal-secrets',
  'apps',
  'firewall',
  'publish-cert',
  'proof',
  'teardown',
] as const;

/** Refused before the journal started: what stopped it. */
export const REFUSAL_REASONS = ['config', 'litmus', 'lock', 'tool', 'guard'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export type FailureReason = RefusalReason | 'preflight' | `step:${string}` | 'interrupted' | 'internal';

/** Every value the label can take: what the docs' alerts and a test enumerate. */
export function allFailureReasons(): FailureReason[] {
  return [
    ...REFUSAL_REASONS,
    'preflight',
    ...STEP_REASONS.filter((s) => s !== 'preflight').map((s) => `step:${s}` as const),
    'interrupted',
    'internal',
  ];
}

/** The first red step of a journaled run, as a reason; a step id outside the fixed list is "internal". */
export function stepFailureReason(step: string): FailureReason {
  if (step === 'preflight') return 'preflight';
  return (STEP_REASONS as readonly string[]).includes(step) ? `step:${step}` : 'internal';
}

/**
 * What a refusal was about, from the typed error: exit 2 is bad config or input (InputError), a refusal
 * (RefusedError, exit 3) is sorted by what its message names, and anything else is internal.
 */
export function refusalReasonOf(err: { exitCode?: number; message?: string; kind?: string }): RefusalReason | 'internal' {
  if (err.exitCode === 3 && (err.kind === 'lock' || err.kind === 'litmus')) return err.kind;
  const text = err.message ?? '';
  // A missing tool is reported as bad input by some adapters (k3d: "k3d is not installed"): check it first.
  if ((err.exitCode === 2 || err.exitCode === 3) && /is not installed|not on PATH|command not found/i.test(text)) return 'tool';
  if (err.exitCode === 2) return 'config';
  if (err.exitCode !== 3) return 'internal';
  if (/litmus|inside the cluster being rebuilt|circular/i.test(text)) return 'litmus';
  if (/\block(ed)?\b|held by|another run/i.test(text)) return 'lock';
  return 'guard';
}
