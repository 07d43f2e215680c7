import { describe, expect, test } from 'vitest';
import { apiErrorFromBody, KubeApiError } from '../../src/kube/errors.js';
import { isTransientKubeError, withRetry } from '../../src/kube/retry.js';

const fast = { retries: 3, minTimeoutMs: 1, maxTimeoutMs: 2 };

describe('isTransientKubeError', () => {
  test.each([429, 500, 502, 503, 504])('HTTP %i is transient', (status) => {
    expect(isTransientKubeError(new KubeApiError(status, 'x', '', 'GET /'))).toBe(true);
  });
  test.each([400, 401, 403, 404, 409, 410, 422])('HTTP %i is not', (status) => {
    expect(isTransientKubeError(new KubeApiError(status, 'x', '', 'GET /'))).toBe(false);
  });
  test('an etcd leader change (500) is transient', () => {
    const err = apiErrorFromBody(500, { kind: 'Status', reason: 'InternalError', message: 'etcdserver: leader changed' }, 'PATCH /x');
    expect(isTransientKubeError(err)).toBe(true);
  });
  test('connection resets and refusals are transient; a plain error is not', () => {
    expect(isTransientKubeError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransientKubeError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransientKubeError(new Error('socket hang up'))).toBe(true);
    expect(isTransientKubeError(new Error('bad manifest'))).toBe(false);
  });
});

describe('withRetry', () => {
  test('retries transient failures until one succeeds', async () => {
    let attempts = 0;
    const result = await withRetry(async () => {
      attempts += 1;
      if (attempts < 3) throw new KubeApiError(503, 'ServiceUnavailable', '', 'GET /');
      return 'ok';
    }, fast);
    expect(result).toBe('ok');
    expect(attempts).toBe(3);
  });
  test('does not retry a 4xx', async () => {
    let attempts = 0;
    const failing = withRetry(async () => {
      attempts += 1;
      throw new KubeApiError(403, 'Forbidden', 'violates PodSecurity', 'PATCH /');
    }, fast);
    await expect(failing).rejects.toThrow(/403 Forbidden: violates PodSecurity/);
    expect(attempts).toBe(1);
  });
  test('gives up after the retry budget', async () => {
    let attempts = 0;
    const failing = withRetry(async () => {
      attempts += 1;
      throw new KubeApiError(500, 'InternalError', 'etcdserver: request timed out', 'GET /');
    }, fast);
    await expect(failing).rejects.toBeInstanceOf(KubeApiError);
    await expect(failing).rejects.toThrow(/etcdserver: request timed out \(gave up after 4 attempts in \d+\.\ds\)$/);
    expect(attempts).toBe(4);
  });
});

describe('Retry-After', () => {
  test("a 429's Retry-After is waited for before the retry", async () => {
    const at: number[] = [];
    const result = await withRetry(async () => {
      at.push(Date.now());
      if (at.length === 1) throw apiErrorFromBody(429, { kind: 'Status', reason: 'TooManyRequests' }, 'GET /', '1');
      return 'ok';
    }, fast);
    expect(result).toBe('ok');
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(980);
  });
  test('is read from the header in seconds; anything else is ignored', () => {
    expect(apiErrorFromBody(503, '', 'GET /', '2').retryAfterSeconds).toBe(2);
    expect(apiErrorFromBody(503, '', 'GET /', 'Wed, 21 Oct 2015 07:28:00 GMT').retryAfterSeconds).toBeUndefined();
    expect(apiErrorFromBody(503, '', 'GET /').retryAfterSeconds).toBeUndefined();
  });
  test('is not waited for when the error is not retried', async () => {
    const started = Date.now();
    await expect(withRetry(async () => {
      throw apiErrorFromBody(403, { kind: 'Status', reason: 'Forbidden' }, 'GET /', '5');
    }, fast)).rejects.toThrow(/403/);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('apiErrorFromBody', () => {
  test('takes reason and message from a Status body', () => {
    const err = apiErrorFromBody(422, { kind: 'Status', reason: 'Invalid', message: 'spec.x: Required value' }, 'PATCH /api/v1/pods/a');
    expect(err.message).toBe('PATCH /api/v1/pods/a: 422 Invalid: spec.x: Required value');
    expect(err.apiMessage).toBe('spec.x: Required value');
  });
  test('falls back to the text of a non-Status body', () => {
    expect(apiErrorFromBody(502, 'Bad Gateway\n', 'GET /').message).toBe('GET /: 502 Unknown: Bad Gateway');
  });
});
