// HTTPS to the apiserver with the kubeconfig's credentials, returning plain JSON. A hand-rolled
// transport (rather than client-node's typed models) keeps objects in wire form: strings stay strings,
// unknown fields survive, and a custom resource looks like any other object.
import https from 'node:https';
import { createInterface } from 'node:readline';
import { KubeConfig } from './kubeconfig-lib.js';
import { InputError } from '../util/errors.js';
import { apiErrorFromBody } from './errors.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

export class KubeTransport {
  private constructor(
    readonly server: URL,
    private readonly tls: https.RequestOptions,
    private readonly agent: https.Agent,
  ) {}

  static async fromKubeconfig(kubeconfigPath: string, context?: string): Promise<KubeTransport> {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    if (context) kc.setCurrentContext(context);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new InputError(`kubeconfig ${kubeconfigPath} has no current cluster`);
    const tls: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    const agent = new https.Agent({ keepAlive: true, ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.rejectUnauthorized });
    return new KubeTransport(new URL(cluster.server), tls, agent);
  }

  /** Sends one request; a non-2xx answer throws KubeApiError with the apiserver's message. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<unknown> {
    const url = this.url(path, opts.query);
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const label = `${method} ${url.pathname}${url.search}`;
    return new Promise((resolve, reject) => {
      const req = https.request(url, this.options(method, payload, opts.contentType), (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = parseBody(Buffer.concat(chunks).toString('utf8'));
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(body);
          else reject(apiErrorFromBody(status, body, label, res.headers['retry-after']));
        });
      });
      req.on('error', reject);
      if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(Object.assign(new Error(`${label}: timed out`), { code: 'ETIMEDOUT' })));
      req.end(payload);
    });
  }

  /**
   * Streams a watch: calls onEvent for every JSON line until the server ends the stream or the signal
   * aborts. Resolves on a clean end; rejects on a non-2xx answer or a broken connection.
   */
  watch(path: string, query: Query, onEvent: (event: unknown) => void, signal: AbortSignal): Promise<void> {
    const url = this.url(path, { ...query, watch: true, allowWatchBookmarks: true });
    const label = `WATCH ${url.pathname}${url.search}`;
    return new Promise((resolve, reject) => {
      const req = https.request(url, { ...this.options('GET'), signal }, (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => reject(apiErrorFromBody(status, parseBody(Buffer.concat(chunks).toString('utf8')), label, res.headers['retry-after'])));
          return;
        }
        const lines = createInterface({ input: res });
        const fail = (err: Error): void => (signal.aborted ? resolve() : reject(err));
        lines.on('line', (line) => {
          if (line.trim()) onEvent(parseBody(line));
        });
        lines.on('close', () => resolve());
        // Aborting the request (the wait is over) surfaces as an 'aborted' error on both streams.
        lines.on('error', fail);
        res.on('error', fail);
      });
      req.on('error', (err) => (signal.aborted ? resolve() : reject(err)));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private url(path: string, query: Query = {}): URL {
    const url = new URL(this.server.href.replace(/\/$/, '') + path);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  }

  private options(method: string, payload?: string, contentType = 'application/json'): https.RequestOptions {
    const headers: Record<string, string | number> = { Accept: 'application/json', ...(this.tls.headers as Record<string, string>) };
    if (payload !== undefined) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    return { method, headers, agent: this.agent };
  }
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
