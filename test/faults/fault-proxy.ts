// A fault-injecting HTTPS proxy on 127.0.0.1 in front of a real kube-apiserver. It terminates TLS with
// a certificate of its own, forwards to the apiserver with the cluster's admin credentials (streaming,
// so watches work), and answers a seeded share of requests itself with 429 (Retry-After), 500 or 503,
// each a v1 Status like the apiserver's own. Rules answer chosen requests with a fixed status (403, 422).
//
// The fate of a request depends only on the seed, the request (method, path and query) and how many
// times that same request was seen before, so a retry of a faulted request gets a fresh draw, and at
// most `maxConsecutive` faults in a row hit the same request (a fault that never clears is not
// transient; the bound of the retry policy is tested elsewhere, with a real apiserver outage).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { hashUnit } from './harness.js';

export interface FaultRule {
  method: string;
  path: string;
  /** Match only real writes (no dryRun query), or only dry runs. */
  dryRun?: boolean;
  status: number;
  reason: string;
  message: string;
  /** Answer only this many matching requests, then let them through (a transient fault); default always. */
  times?: number;
  /** Sent as Retry-After (seconds). */
  retryAfter?: number;
}

export interface ProxyRecord {
  at: number;
  method: string;
  url: string;
  key: string;
  /** 1 for the first time this exact request is seen, 2 for its first repeat... */
  attempt: number;
  watch: boolean;
  outcome: 'forwarded' | 'fault' | 'rule';
  status: number;
}

export interface FaultProxyOptions {
  kubeconfig: string;
  seed: number;
  rate: number;
  maxConsecutive: number;
  retryAfterSeconds: number;
  rules?: FaultRule[];
}

const FAULTS: ReadonlyArray<[number, string, string]> = [
  [429, 'TooManyRequests', 'the server has received too many requests and has asked us to try again later (injected by the fault proxy)'],
  [500, 'InternalError', 'Internal error occurred: etcdserver: leader changed (injected by the fault proxy)'],
  [503, 'ServiceUnavailable', 'the server is currently unable to handle the request (injected by the fault proxy)'],
];

/** A self-signed serving certificate for 127.0.0.1 (openssl, a second). */
export function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hdr-proxy-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=homelab-dr fault proxy',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export class FaultProxy {
  readonly log: ProxyRecord[] = [];
  rules: FaultRule[];
  /** Faults are injected only while this is true (rules always apply). */
  faulting = true;
  private readonly seen = new Map<string, number>();
  private readonly streak = new Map<string, number>();
  private readonly tls = selfSignedCert();
  private server?: https.Server;
  private agent?: https.Agent;
  private upstream?: URL;
  private upstreamHeaders: Record<string, string> = {};
  port = 0;

  constructor(private readonly opts: FaultProxyOptions) {
    this.rules = opts.rules ?? [];
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  get caPem(): string {
    return this.tls.cert;
  }

  async start(): Promise<void> {
    const kc = new KubeConfig();
    kc.loadFromFile(this.opts.kubeconfig);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error(`${this.opts.kubeconfig} has no current cluster`);
    this.upstream = new URL(cluster.server);
    const tls: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    this.upstreamHeaders = (tls.headers as Record<string, string>) ?? {};
    this.agent = new https.Agent({ keepAlive: true, ca: tls.ca, cert: tls.cert, key: tls.key });
    this.server = https.createServer({ key: this.tls.key, cert: this.tls.cert }, (req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve) ?? resolve(undefined));
    this.agent?.destroy();
  }

  /** A kubeconfig that reaches the apiserver through this proxy (the user's token is never checked). */
  kubeconfigYaml(context: string): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: ${context}`,
      '  cluster:',
      `    server: ${this.url}`,
      `    certificate-authority-data: ${Buffer.from(this.caPem).toString('base64')}`,
      'users:',
      `- name: ${context}`,
      '  user:',
      '    token: not-checked-by-the-fault-proxy',
      'contexts:',
      `- name: ${context}`,
      '  context:',
      `    cluster: ${context}`,
      `    user: ${context}`,
      `current-context: ${context}`,
      '',
    ].join('\n');
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://proxy');
    const method = req.method ?? 'GET';
    const key = `${method} ${url.pathname}${url.search}`;
    const attempt = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, attempt);
    const watch = url.searchParams.get('watch') === 'true';
    const record = (outcome: ProxyRecord['outcome'], status: number): void => {
      this.log.push({ at: Date.now(), method, url: `${url.pathname}${url.search}`, key, attempt, watch, outcome, status });
    };
    const dryRun = url.searchParams.has('dryRun');
    const rule = this.rules.find((r) => r.method === method && r.path === url.pathname && (r.dryRun === undefined || r.dryRun === dryRun) && (r.times === undefined || r.times > 0));
    if (rule) {
      if (rule.times !== undefined) rule.times -= 1;
      record('rule', rule.status);
      req.resume();
      return status(res, rule.status, rule.reason, rule.message, rule.retryAfter !== undefined ? { 'Retry-After': String(rule.retryAfter) } : {});
    }
    const streak = this.streak.get(key) ?? 0;
    if (this.faulting && streak < this.opts.maxConsecutive && hashUnit(this.opts.seed, key, attempt) < this.opts.rate) {
      const [code, reason, message] = FAULTS[Math.floor(hashUnit(this.opts.seed, 'status', key, attempt) * FAULTS.length)]!;
      this.streak.set(key, streak + 1);
      record('fault', code);
      req.resume();
      return status(res, code, reason, message, code === 429 ? { 'Retry-After': String(this.opts.retryAfterSeconds) } : {});
    }
    this.streak.set(key, 0);
    const headers = { ...req.headers, ...this.upstreamHeaders, host: this.upstream!.host };
    delete headers.authorization;
    Object.assign(headers, this.upstreamHeaders);
    let complete = false;
    const upstream = https.request(
      { protocol: 'https:', hostname: this.upstream!.hostname, port: this.upstream!.port, path: `${url.pathname}${url.search}`, method, headers, agent: this.agent },
      (up) => {
        record('forwarded', up.statusCode ?? 0);
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on('end', () => (complete = true));
        up.on('error', () => res.destroy());
      },
    );
    upstream.on('error', (err) => {
      record('forwarded', 502);
      if (!res.headersSent) status(res, 502, 'BadGateway', `fault proxy: upstream: ${err.message}`);
      else res.destroy();
    });
    // The client went away (a finished wait aborts its watch): stop the upstream stream too.
    res.on('close', () => complete || upstream.destroy());
    req.pipe(upstream);
  }
}

function status(res: ServerResponse, code: number, reason: string, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
