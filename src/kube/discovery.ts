// Maps apiVersion+kind to the REST path, from the apiserver's discovery documents. A kind that is
// missing triggers one fresh lookup, because a CRD applied a moment ago is not in an older answer.
import { InputError } from '../util/errors.js';
import { isNotFound } from './errors.js';
import type { KubeTransport } from './transport.js';

export interface ResourceInfo {
  /** `/api/v1` or `/apis/<group>/<version>` */
  groupVersionPath: string;
  plural: string;
  namespaced: boolean;
}

interface ApiResourceList {
  resources: Array<{ name: string; kind: string; namespaced: boolean }>;
}

export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** The REST path of a collection (no name) or of one object. */
export function resourcePath(info: ResourceInfo, namespace: string | undefined, name?: string): string {
  const scope = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const object = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  return `${info.groupVersionPath}${scope}/${info.plural}${object}`;
}

export class Discovery {
  private readonly lists = new Map<string, ApiResourceList>();
  /** One request per group version at a time: concurrent lookups share it (and its retry, if it fails). */
  private readonly loading = new Map<string, Promise<void>>();

  constructor(private readonly transport: KubeTransport) {}

  async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const cached = this.find(apiVersion, kind);
    if (cached) return cached;
    await this.reload(apiVersion);
    const fresh = this.find(apiVersion, kind);
    if (!fresh) throw new InputError(`the cluster serves no kind ${kind} in ${apiVersion} (is its CRD applied?)`);
    return fresh;
  }

  private find(apiVersion: string, kind: string): ResourceInfo | undefined {
    const list = this.lists.get(apiVersion);
    // Subresources (pods/status) share the kind of their parent; the plain resource has no slash.
    const match = list?.resources.find((r) => r.kind === kind && !r.name.includes('/'));
    return match && { groupVersionPath: groupVersionPath(apiVersion), plural: match.name, namespaced: match.namespaced };
  }

  private reload(apiVersion: string): Promise<void> {
    let pending = this.loading.get(apiVersion);
    if (!pending) {
      this.lists.delete(apiVersion);
      pending = this.load(apiVersion).finally(() => this.loading.delete(apiVersion));
      this.loading.set(apiVersion, pending);
    }
    return pending;
  }

  private async load(apiVersion: string): Promise<void> {
    try {
      this.lists.set(apiVersion, (await this.transport.request('GET', groupVersionPath(apiVersion))) as ApiResourceList);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.lists.set(apiVersion, { resources: [] });
    }
  }
}
