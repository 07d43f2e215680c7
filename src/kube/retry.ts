// Bounded retries for faults that go away on their own (a restarting apiserver, an etcd leader change,
// throttling). A 4xx is the caller's mistake or a real verdict, and is never retried.
import pRetry from 'p-retry';
import { KubeApiError } from './errors.js';

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

export function withRetry<T>(attempt: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  return pRetry(attempt, {
    retries: policy.retries,
    minTimeout: policy.minTimeoutMs,
    maxTimeout: policy.maxTimeoutMs,
    shouldRetry: ({ error }) => isTransientKubeError(error),
  });
}
