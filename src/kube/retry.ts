// Bounded retries for faults that go away on their own (a restarting apiserver, an etcd leader change,
// throttling). A 4xx is the caller's mistake or a real verdict, and is never retried.
import pRetry from 'p-retry';
import { diag } from '../util/diag-log.js';
import { KubeApiError } from './errors.js';
import { sleep } from '../util/helpers.js';

const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

export function isTransientKubeError(err: unknown): boolean {
  if (err instanceof KubeApiError) return TRANSIENT_STATUS.has(err.status);
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  return err instanceof Error && /socket hang up/i.test(err.message);
}

export interface RetryPolicy {
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 5, minTimeoutMs: 200, maxTimeoutMs: 3000 };

/** A Retry-After longer than this is not waited for in full (the retry budget still bounds the attempts). */
const MAX_RETRY_AFTER_MS = 10_000;

export function withRetry<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
  shouldRetry: (error: unknown) => boolean = isTransientKubeError,
): Promise<T> {
  let attempts = 0;
  const started = Date.now();
  return pRetry(() => {
    attempts += 1;
    return attempt();
  }, {
    retries: policy.retries,
    minTimeout: policy.minTimeoutMs,
    maxTimeout: policy.maxTimeoutMs,
    shouldRetry: ({ error }) => shouldRetry(error),
    // A throttled or unavailable apiserver says how long to wait (429/503 Retry-After); asking sooner only
    // spends the budget on more refusals. p-retry awaits this before its own backoff, so wait the difference.
    onFailedAttempt: async ({ error, attemptNumber, retriesLeft, retriesConsumed }) => {
      if (retriesLeft > 0 && shouldRetry(error)) diag().warn({ attempt: attemptNumber, retriesLeft, err: error.message }, 'retry');
      if (!(error instanceof KubeApiError) || error.retryAfterSeconds === undefined || retriesLeft <= 0 || !shouldRetry(error)) return;
      const backoff = Math.min(policy.minTimeoutMs * 2 ** retriesConsumed, policy.maxTimeoutMs);
      const extra = Math.min(error.retryAfterSeconds * 1000, MAX_RETRY_AFTER_MS) - backoff;
      if (extra > 0) await sleep(extra);
    },
  }).catch((err: unknown) => {
    // Say that the bound was spent, so "connect ECONNREFUSED" reads as an outage outlasting the retries.
    if (attempts > 1 && err instanceof Error && shouldRetry(err)) {
      err.message += ` (gave up after ${attempts} attempts in ${((Date.now() - started) / 1000).toFixed(1)}s)`;
    }
    throw err;
  });
}
