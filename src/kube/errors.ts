// An API answer that was not 2xx, carrying the apiserver's own Status message (e.g. the PodSecurity
// verdict of a dry run), which is what a person needs to read.

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly apiMessage: string,
    readonly request: string,
  ) {
    super(`${request}: ${status} ${reason}${apiMessage ? `: ${apiMessage}` : ''}`);
    this.name = 'KubeApiError';
  }
}

/** Builds the error from a response body, which is a v1 Status when the apiserver produced it. */
export function apiErrorFromBody(status: number, body: unknown, request: string): KubeApiError {
  if (isStatus(body)) return new KubeApiError(status, body.reason ?? 'Unknown', body.message ?? '', request);
  const text = typeof body === 'string' ? body.trim().slice(0, 500) : '';
  return new KubeApiError(status, 'Unknown', text, request);
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
