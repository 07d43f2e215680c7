// The webhook notification against a real HTTP server on 127.0.0.1: bounded retries, a timeout,
// JSON or ntfy-style text, and a result instead of an exception.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../../src/engine/journal.js';
import { notificationText, notifyFormatFor, notifyWebhook } from '../../src/report/notify.js';
import { summarizeDrill } from '../../src/report/summary.js';

const fixture = (name: string) => Journal.read(join(import.meta.dirname, '../fixtures/report', name));
const summaryOf = (name: string) => summarizeDrill({ journal: fixture(name), versions: {}, config: 'c.yaml' });
const FAST = { minRetryDelayMs: 10, timeoutMs: 2000 };

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server | undefined;

/** A server that answers each request with the next status of `statuses` (the last one repeats). */
async function serve(statuses: number[] | ((n: number) => number | 'hang')): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      const n = received.length;
      const status = typeof statuses === 'function' ? statuses(n) : (statuses[n - 1] ?? statuses[statuses.length - 1]!);
      if (status === 'hang') return;
      res.writeHead(status).end(status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

afterEach(async () => {
  const running = server;
  server = undefined;
  if (!running) return;
  running.closeAllConnections();
  await new Promise((resolve) => running.close(resolve));
});

describe('notifyWebhook', () => {
  it('retries after two failures and succeeds on the third attempt, posting the same JSON each time', async () => {
    const { url, received } = await serve([500, 503, 200]);
    const result = await notifyWebhook(`${url}/hooks/drill`, summaryOf('missing-secret.jsonl'), { ...FAST, reportLocation: '/var/lib/homelab-dr/reports/x' });
    expect(result).toEqual({ ok: true, attempts: 3, status: 200 });
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.body)).size).toBe(1);
    expect(received[0]!.headers['content-type']).toBe('application/json');
    const body = JSON.parse(received[0]!.body);
    expect(body).toMatchObject({
      result: 'red',
      exitCode: 1,
      reason: 'preflight',
      durationSeconds: 0.687,
      steps: { green: 0, total: 8 },
      report: '/var/lib/homelab-dr/reports/x',
    });
    expect(body).not.toHaveProperty('rtoSeconds');
    expect(body.failures).toEqual([{ step: 'preflight', status: 'failed', cause: 'secret store "demo" key "GITLAB_AGENT_TOKEN_ROTATED": /tmp/broken-example/secrets/demo-store.sh GITLAB_AGENT_TOKEN_ROTATED: exit 1' }]);
    expect(body.text.split('\n')[0]).toBe('homelab-dr dr-test RED: failed after 0.7 s, 0/8 steps green, 1 item(s) failed.');
  });

  it('gives up after the bounded retries, and names the endpoint without the token in its path', async () => {
    const { url, received } = await serve([500]);
    const result = await notifyWebhook(`${url}/hooks/t0ps3cret`, summaryOf('green-kwok.jsonl'), { ...FAST, retries: 2 });
    expect(result.ok).toBe(false);
    expect(result.attempts).toBe(3);
    expect(received).toHaveLength(3);
    expect(result.status).toBe(500);
    expect(result.error).toBe(`POST ${url}: HTTP 500 Internal Server Error`);
    expect(result.error).not.toContain('t0ps3cret');
  });

  it('does not retry a client error that will fail the same way again', async () => {
    const { url, received } = await serve([404]);
    const result = await notifyWebhook(`${url}/wrong`, summaryOf('green-kwok.jsonl'), FAST);
    expect(result).toMatchObject({ ok: false, attempts: 1, status: 404 });
    expect(result.error).toContain('HTTP 404');
    expect(received).toHaveLength(1);
  });

  it('times out an endpoint that never answers, retries, and still returns', async () => {
    const { url, received } = await serve(() => 'hang');
    const started = Date.now();
    const result = await notifyWebhook(url, summaryOf('green-kwok.jsonl'), { minRetryDelayMs: 10, timeoutMs: 150, retries: 1 });
    expect(result).toMatchObject({ ok: false, attempts: 2 });
    expect(result.error).toBe(`POST ${url}: no response within 150 ms`);
    expect(received).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports a refused connection and an invalid URL as results, never as exceptions', async () => {
    const { url } = await serve([200]);
    await new Promise((resolve) => server!.close(resolve));
    const refused = await notifyWebhook(url, summaryOf('green-kwok.jsonl'), { ...FAST, retries: 1 });
    expect(refused).toMatchObject({ ok: false, attempts: 2 });
    expect(refused.error).toContain('ECONNREFUSED');
    expect(await notifyWebhook('not a url', summaryOf('green-kwok.jsonl'))).toEqual({ ok: false, attempts: 0, error: 'the webhook is not a valid URL' });
    expect((await notifyWebhook('file:///etc/passwd', summaryOf('green-kwok.jsonl'))).error).toContain('http or https');
  });

  it('posts plain text with ntfy headers when the format is text', async () => {
    const { url, received } = await serve([200]);
    const result = await notifyWebhook(`${url}/my-homelab-dr`, summaryOf('green-kwok.jsonl'), { ...FAST, format: 'text' });
    expect(result.ok).toBe(true);
    const [request] = received;
    expect(request!.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(request!.headers).toMatchObject({ title: 'homelab-dr dr-test GREEN', priority: 'default', tags: 'white_check_mark' });
    expect(request!.body).toBe('homelab-dr dr-test GREEN: RTO 12.3 s, 8/8 steps green, 0 item(s) failed.');
  });
});

describe('notifyFormatFor', () => {
  it('sends text to ntfy hosts and JSON elsewhere, unless told', () => {
    expect(notifyFormatFor(new URL('https://ntfy.sh/my-homelab-dr'))).toBe('text');
    expect(notifyFormatFor(new URL('https://ntfy.home.example/drills'))).toBe('text');
    expect(notifyFormatFor(new URL('https://hooks.slack.com/services/T/B/x'))).toBe('json');
    expect(notifyFormatFor(new URL('https://ntfy.sh/x'), 'json')).toBe('json');
  });

  it('lists each failure on its own line, first line of its cause', () => {
    expect(notificationText(summaryOf('missing-secret.jsonl'), 'https://reports/x').split('\n')).toEqual([
      'homelab-dr dr-test RED: failed after 0.7 s, 0/8 steps green, 1 item(s) failed.',
      'preflight: secret store "demo" key "GITLAB_AGENT_TOKEN_ROTATED": /tmp/broken-example/secrets/demo-store.sh GITLAB_AGENT_TOKEN_ROTATED: exit 1',
      'Report: https://reports/x',
    ]);
  });
});
