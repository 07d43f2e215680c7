// Issue 14 §6: -v / --log-level log each external command (argv with secret values scrubbed), each retry
// and each API error, as JSON lines; nothing without the flags.
import { afterEach, describe, expect, it } from 'vitest';
import { apiErrorFromBody } from '../../src/kube/errors.js';
import { withRetry } from '../../src/kube/retry.js';
import { configureDiagnostics, diagnosticLevel } from '../../src/util/diag-log.js';
import { run } from '../../src/util/exec.js';
import { clearSecretsForTest, registerSecret } from '../../src/util/secrets-registry.js';

async function collect(level: string): Promise<() => Array<Record<string, unknown>>> {
  const lines: string[] = [];
  await configureDiagnostics(level, { write: (s: string) => (lines.push(s), true) } as unknown as NodeJS.WritableStream);
  return () => lines.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

afterEach(async () => {
  await configureDiagnostics('silent');
  clearSecretsForTest();
});

describe('diagnostic log', () => {
  it('is silent unless -v (debug) or --log-level asks; an explicit level wins over -v', () => {
    expect(diagnosticLevel({})).toBe('silent');
    expect(diagnosticLevel({ verbose: true })).toBe('debug');
    expect(diagnosticLevel({ verbose: true, logLevel: 'warn' })).toBe('warn');
  });

  it('logs each command with its exit code; a secret in argv, passed or registered, never appears', async () => {
    const lines = await collect('debug');
    const passed = 'passed-secret-4711';
    const registered = 'registered-secret-0815';
    registerSecret(registered);
    await run('sh', ['-c', 'exit 3', 'sh', passed, registered], { secrets: [passed], allowFailure: true });
    const text = JSON.stringify(lines());
    expect(text).not.toContain(passed);
    expect(text).not.toContain(registered);
    const exec = lines().filter((l) => l.msg === 'exec' || l.msg === 'exec done');
    expect(exec.map((l) => l.msg)).toEqual(['exec', 'exec done']);
    expect(exec[0]!.cmd).toBe("sh -c 'exit 3' sh [REDACTED] [REDACTED]");
    expect(exec[1]).toMatchObject({ exitCode: 3 });
  });

  it('logs each retry and each API error; at warn, the API errors (info) and commands (debug) are left out', async () => {
    const lines = await collect('debug');
    let attempts = 0;
    const value = await withRetry(async () => {
      attempts += 1;
      if (attempts === 1) throw apiErrorFromBody(503, { kind: 'Status', reason: 'ServiceUnavailable', message: 'etcd leader changed' }, 'GET /api/v1/namespaces');
      return 'ok';
    }, { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 1 });
    expect(value).toBe('ok');
    expect(lines().map((l) => l.msg)).toEqual(['api error', 'retry']);
    expect(lines()[0]).toMatchObject({ status: 503, reason: 'ServiceUnavailable', request: 'GET /api/v1/namespaces' });
    expect(lines()[1]).toMatchObject({ attempt: 1, retriesLeft: 2 });

    const warnOnly = await collect('warn');
    await run('true', []);
    apiErrorFromBody(404, { kind: 'Status', reason: 'NotFound' }, 'GET /api/v1/namespaces/x');
    expect(warnOnly()).toEqual([]);
  });
});
