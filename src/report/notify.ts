// Tells a person how the drill went: a webhook POST with bounded retries. It never throws: a failed
// notification is reported beside the drill's result and never changes it.
import pRetry, { AbortError } from 'p-retry';
import { scrub } from '../util/secrets-registry.js';
import { RESULT_WORD, timeLabel } from './format.js';
import type { DrillSummary } from './summary.js';

export type NotifyFormat = 'json' | 'text';

export interface NotifyOptions {
  /** Default: text for ntfy endpoints (a host name containing "ntfy"), JSON for everything else. */
  format?: NotifyFormat;
  /** Retries after the first attempt. */
  retries?: number;
  /** Per attempt. */
  timeoutMs?: number;
  /** Delay before the first retry; later ones back off exponentially. */
  minRetryDelayMs?: number;
  /** Where the report is, for the reader (a path or URL). */
  reportLocation?: string;
}

export interface NotifyResult {
  ok: boolean;
  attempts: number;
  /** HTTP status of the last response, when there was one. */
  status?: number;
  error?: string;
}

/** ntfy publishes the request body as the message, so it gets text; a JSON body would show as JSON. */
export function notifyFormatFor(url: URL, explicit?: NotifyFormat): NotifyFormat {
  return explicit ?? (url.hostname.includes('ntfy') ? 'text' : 'json');
}

/** Webhook URLs often carry their token in the path: errors name only the scheme and host. */
function endpointName(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!;
}

/** A failed step's first cause in one line; a refusal's details are its why, so they all go on it. */
function causeLine(s: DrillSummary, f: DrillSummary['failures'][number]): string {
  const text = f.causes[0]?.text ?? f.error ?? f.status;
  return s.refusal ? text.split('\n').map((l) => l.trim()).join(' · ') : firstLine(text);
}

export function notificationText(s: DrillSummary, reportLocation?: string): string {
  const head = s.refusal
    ? `homelab-dr ${s.command} ${RESULT_WORD[s.result]}: refused before any step ran (${s.refusal.reason}).`
    : `homelab-dr ${s.command} ${RESULT_WORD[s.result]}: ${timeLabel(s.result, s.rto.seconds)}, ` +
      `${s.counts.green}/${s.counts.stepsTotal} steps green, ${s.counts.items.failed} item(s) failed.`;
  const failures = s.failures.map((f) => `${f.step}: ${causeLine(s, f)}`);
  return [head, ...failures, ...(reportLocation ? [`Report: ${reportLocation}`] : [])].join('\n');
}

export function notificationJson(s: DrillSummary, reportLocation?: string): Record<string, unknown> {
  return {
    // "text" is what Slack- and Mattermost-style incoming webhooks display.
    text: notificationText(s, reportLocation),
    runId: s.runId,
    command: s.command,
    result: s.result,
    ...(s.failureReason ? { reason: s.failureReason } : {}),
    exitCode: s.exitCode,
    startedAt: s.startedAt,
    // Only a green drill has a recovery time; a red one only ran for a while.
    ...(s.result === 'green' ? { rtoSeconds: s.rto.seconds } : { durationSeconds: s.rto.seconds }),
    steps: { green: s.counts.green, total: s.counts.stepsTotal },
    items: s.counts.items,
    failures: s.failures.map((f) => ({ step: f.step, status: f.status, cause: causeLine(s, f) })),
    ...(reportLocation ? { report: reportLocation } : {}),
  };
}

function requestFor(s: DrillSummary, format: NotifyFormat, reportLocation?: string): { body: string; headers: Record<string, string> } {
  if (format === 'json') {
    return { body: scrub(JSON.stringify(notificationJson(s, reportLocation))), headers: { 'content-type': 'application/json' } };
  }
  const green = s.result === 'green';
  return {
    body: scrub(notificationText(s, reportLocation)),
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      // ntfy reads these; other text endpoints ignore them.
      title: `homelab-dr ${s.command} ${RESULT_WORD[s.result]}`,
      priority: green ? 'default' : 'high',
      tags: green ? 'white_check_mark' : 'rotating_light',
    },
  };
}

/** Server errors, throttling and request timeouts may pass; any other 4xx will fail the same way again. */
function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

export async function notifyWebhook(webhook: string, summary: DrillSummary, opts: NotifyOptions = {}): Promise<NotifyResult> {
  let url: URL;
  try {
    url = new URL(webhook);
  } catch {
    return { ok: false, attempts: 0, error: 'the webhook is not a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, attempts: 0, error: `the webhook must be http or https, not ${url.protocol}` };
  }
  const { body, headers } = requestFor(summary, notifyFormatFor(url, opts.format), opts.reportLocation);
  const target = endpointName(url);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let attempts = 0;
  let status: number | undefined;
  const attempt = async () => {
    attempts++;
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const reason = (err as Error).name === 'TimeoutError' ? `no response within ${timeoutMs} ms` : ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
      throw new Error(`POST ${target}: ${reason}`);
    }
    status = response.status;
    await response.body?.cancel();
    if (response.ok) return;
    const failure = new Error(`POST ${target}: HTTP ${response.status} ${response.statusText}`.trim());
    throw isRetryableStatus(response.status) ? failure : new AbortError(failure);
  };
  try {
    await pRetry(attempt, { retries: opts.retries ?? 3, minTimeout: opts.minRetryDelayMs ?? 1000, factor: 2, randomize: true });
    return { ok: true, attempts, ...(status !== undefined ? { status } : {}) };
  } catch (err) {
    return { ok: false, attempts, ...(status !== undefined ? { status } : {}), error: (err as Error).message };
  }
}
