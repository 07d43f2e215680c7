// The one Kubernetes client homelab-dr uses: server-side apply as field manager `homelab-dr`, reads,
// deletes, events, and watch-based waits. Transient faults are retried (bounded); 4xx never is.
import { InputError } from '../util/errors.js';
import { sleep } from '../util/helpers.js';
import { Discovery, resourcePath, type ResourceInfo } from './discovery.js';
import { isNotFound, KubeApiError, WaitTimeoutError } from './errors.js';
import { DEFAULT_RETRY, isTransientKubeError, withRetry, type RetryPolicy } from './retry.js';
import { KubeTransport, type Query } from './transport.js';
import { refOf, type KubeEvent, type KubeObject, type ListQuery, type ObjectRef } from './types.js';

export const FIELD_MANAGER = 'homelab-dr';

export interface ApplyOptions {
  /** Take over fields another manager owns (kubectl apply --server-side --force-conflicts). */
  force?: boolean;
  /** Run admission and validation, persist nothing (--dry-run=server). */
  dryRun?: boolean;
}

export interface WaitOptions {
  timeoutMs: number;
  /** Says what is awaited, for the timeout message ("node kwok-0 Ready"). */
  what: string;
  /** Says what the objects look like now, for the timeout message ("Ready: False"). */
  describe?: (items: KubeObject[]) => string;
  /** Ends the wait early: Ctrl-C, or another wait that found a failure (rejects with its reason). */
  signal?: AbortSignal;
}

interface ListResponse {
  metadata?: { resourceVersion?: string };
  items?: Array<Omit<KubeObject, 'apiVersion' | 'kind'>>;
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

export class KubeClient {
  private readonly discovery: Discovery;

  constructor(
    private readonly transport: KubeTransport,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {
    this.discovery = new Discovery(transport);
  }

  static async fromKubeconfig(kubeconfigPath: string, opts: { context?: string; retry?: RetryPolicy } = {}): Promise<KubeClient> {
    return new KubeClient(await KubeTransport.fromKubeconfig(kubeconfigPath, opts.context), opts.retry);
  }

  get server(): URL {
    return this.transport.server;
  }

  /** Server-side apply; resolves with the object as the server stored it (or would, on a dry run). */
  async apply(obj: KubeObject, opts: ApplyOptions = {}): Promise<KubeObject> {
    const info = await this.resource(obj.apiVersion, obj.kind);
    const path = resourcePath(info, requireNamespace(info, obj.metadata.namespace, obj), obj.metadata.name);
    const query: Query = { fieldManager: FIELD_MANAGER, force: opts.force || undefined, dryRun: opts.dryRun ? 'All' : undefined };
    return (await withRetry(
      () => this.transport.request('PATCH', path, { query, body: obj, contentType: 'application/apply-patch+yaml' }),
      this.retry,
    )) as KubeObject;
  }

  /** The object, or undefined when it does not exist. */
  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const info = await this.resource(ref.apiVersion, ref.kind);
    const path = resourcePath(info, requireNamespace(info, ref.namespace, ref), ref.name);
    try {
      return (await withRetry(() => this.transport.request('GET', path), this.retry)) as KubeObject;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list(query: ListQuery): Promise<KubeObject[]> {
    return (await this.listWithVersion(query)).items;
  }

  /** Deletes in the background; false when there was nothing to delete. */
  async delete(ref: ObjectRef): Promise<boolean> {
    const info = await this.resource(ref.apiVersion, ref.kind);
    const path = resourcePath(info, requireNamespace(info, ref.namespace, ref), ref.name);
    try {
      await withRetry(() => this.transport.request('DELETE', path, { body: { propagationPolicy: 'Background' } }), this.retry);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Events about one object, oldest first. */
  async eventsFor(obj: KubeObject): Promise<KubeEvent[]> {
    const uid = obj.metadata.uid ?? (await this.get(refOf(obj)))?.metadata.uid;
    if (!uid) return [];
    const events = (await this.list({ ...eventsQuery(obj.metadata.namespace), fieldSelector: `involvedObject.uid=${uid}` })) as KubeEvent[];
    return events.sort((a, b) => eventTime(a).localeCompare(eventTime(b)));
  }

  /** Any path (e.g. `/readyz`, a subresource); the body is returned parsed. */
  async raw(method: string, path: string, body?: unknown): Promise<unknown> {
    return withRetry(() => this.transport.request(method, path, { body }), this.retry);
  }

  /**
   * GET through the apiserver's proxy (`.../services/NAME:PORT/proxy/...`). An HTTP error here is the
   * backend's answer ("no endpoints available", nothing listening yet: 503), not an apiserver fault, and
   * is returned at once: retrying it would spend the whole retry budget (6 s) on a Service whose pod is
   * still starting. Only a fault reaching the apiserver itself (connection reset, refused) is retried.
   */
  async proxyGet(path: string): Promise<unknown> {
    return withRetry(() => this.transport.request('GET', path), this.retry, (err) => !(err instanceof KubeApiError) && isTransientKubeError(err));
  }

  /**
   * Keeps the set of objects matching `query` current through a watch, and resolves with the first
   * defined answer of `check` over that set. Re-lists when the watch ends or its version expires.
   */
  async waitUntil<T>(query: ListQuery & { name?: string }, check: (items: KubeObject[]) => T | undefined, opts: WaitOptions): Promise<T> {
    const selector = query.name ? joinSelectors(query.fieldSelector, `metadata.name=${query.name}`) : query.fieldSelector;
    const listQuery: ListQuery = { ...query, fieldSelector: selector };
    const info = await this.resource(query.apiVersion, query.kind);
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const deadline = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    const seen = new Map<string, KubeObject>();
    while (!deadline.aborted) {
      const { items, resourceVersion } = await this.listWithVersion(listQuery);
      seen.clear();
      for (const item of items) seen.set(keyOf(item), item);
      let answer = check([...seen.values()]);
      if (answer !== undefined) return answer;
      const stop = new AbortController();
      const watchQuery: Query = { resourceVersion, labelSelector: listQuery.labelSelector, fieldSelector: selector };
      try {
        await this.transport.watch(resourcePath(info, query.namespace), watchQuery, (raw) => {
          const event = raw as WatchEvent;
          if (event.type === 'ERROR') return stop.abort();
          if (event.type === 'BOOKMARK') return;
          if (event.type === 'DELETED') seen.delete(keyOf(event.object));
          else seen.set(keyOf(event.object), event.object);
          answer = check([...seen.values()]);
          if (answer !== undefined) stop.abort();
        }, AbortSignal.any([deadline, stop.signal]));
      } catch (err) {
        if (!isTransientKubeError(err) && !(err instanceof KubeApiError && err.status === 410)) throw err;
        await sleep(250);
      }
      if (answer !== undefined) return answer;
    }
    if (opts.signal?.aborted) {
      // A failure found elsewhere travels as the reason; Ctrl-C's plain abort says what was interrupted.
      const reason: unknown = opts.signal.reason;
      throw reason instanceof Error && reason.name !== 'AbortError' ? reason : new Error(`interrupted while waiting for ${opts.what}`);
    }
    throw new WaitTimeoutError(opts.what, opts.timeoutMs, opts.describe?.([...seen.values()]) ?? `${seen.size} matching object(s)`);
  }

  /** Resolves with the first object that satisfies `predicate`. */
  waitFor(query: ListQuery & { name?: string }, predicate: (obj: KubeObject) => boolean, opts: WaitOptions): Promise<KubeObject> {
    return this.waitUntil(query, (items) => items.find(predicate), opts);
  }

  /** Resolves once nothing matches `query`. */
  waitGone(query: ListQuery & { name?: string }, opts: WaitOptions): Promise<true> {
    return this.waitUntil(query, (items) => (items.length === 0 ? true : undefined), opts);
  }

  close(): void {
    this.transport.close();
  }

  private async listWithVersion(query: ListQuery): Promise<{ items: KubeObject[]; resourceVersion?: string }> {
    const info = await this.resource(query.apiVersion, query.kind);
    const path = resourcePath(info, query.namespace);
    const params: Query = { labelSelector: query.labelSelector, fieldSelector: query.fieldSelector };
    const body = (await withRetry(() => this.transport.request('GET', path, { query: params }), this.retry)) as ListResponse;
    // List items come without apiVersion/kind on the wire; put them back so every object is self-describing.
    const items = (body.items ?? []).map((item) => ({ apiVersion: query.apiVersion, kind: query.kind, ...item }) as KubeObject);
    return { items, resourceVersion: body.metadata?.resourceVersion };
  }

  private resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    return withRetry(() => this.discovery.resource(apiVersion, kind), this.retry);
  }
}

function requireNamespace(info: ResourceInfo, namespace: string | undefined, ref: { kind: string; metadata?: { name: string }; name?: string }): string | undefined {
  if (info.namespaced && !namespace) {
    throw new InputError(`${ref.kind} ${ref.metadata?.name ?? ref.name ?? ''} is namespaced but names no namespace`);
  }
  return info.namespaced ? namespace : undefined;
}

// Kept in types.ts so code that only names objects need not load the client (and client-node).
export { refOf };

function eventsQuery(namespace: string | undefined): ListQuery {
  return { apiVersion: 'v1', kind: 'Event', namespace };
}

function eventTime(event: KubeEvent): string {
  return event.lastTimestamp ?? event.eventTime ?? '';
}

function keyOf(obj: KubeObject): string {
  return obj.metadata.uid ?? `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

function joinSelectors(a: string | undefined, b: string): string {
  return a ? `${a},${b}` : b;
}
