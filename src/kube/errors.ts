// An API answer that was not 2xx, carrying the apiserver's own Status message (e.g. the PodSecurity
// verdict of a dry run), which is what a person needs to read.
import { diag } from '../util/diag-log.js';

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly apiMessage: string,
    readonly request: string,
    /** The answer's Retry-After header (seconds): how long the apiserver asked us to wait (429, 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(`${request}: ${status} ${reason}${apiMessage ? `: ${apiMessage}` : ''}`);
    this.name = 'KubeApiError';
  }
}

/** Builds the error from a response body, which is a v1 Status when the apiserver produced it. */
export function apiErrorFromBody(status: number, body: unknown, request: string, retryAfter?: string | string[]): KubeApiError {
  const wait = retryAfterSeconds(retryAfter);
  const text = typeof body === 'string' ? body.trim().slice(0, 500) : '';
  const error = isStatus(body) ? new KubeApiError(status, body.reason ?? 'Unknown', body.message ?? '', request, wait) : new KubeApiError(status, 'Unknown', text, request, wait);
  // -v: every answer that was not 2xx, also those a caller expects (a 404 before a create).
  diag().info({ status, reason: error.reason, request, apiMessage: error.apiMessage }, 'api error');
  return error;
}

/** Retry-After in seconds (the apiserver sends whole seconds; an HTTP date is not used by it). */
function retryAfterSeconds(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return undefined;
  return Number(value);
}

function isStatus(body: unknown): body is { kind: 'Status'; reason?: string; message?: string } {
  return typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'Status';
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 404;
}

/** A wait ran out of time; the message says what was awaited and what was last seen. */
export class WaitTimeoutError extends Error {
  constructor(what: string, timeoutMs: number, lastSeen: string) {
    super(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${lastSeen ? ` (last seen: ${lastSeen})` : ''}`);
    this.name = 'WaitTimeoutError';
  }
}
