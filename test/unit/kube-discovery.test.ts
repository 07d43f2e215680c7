import { describe, expect, test } from 'vitest';
import { Discovery, groupVersionPath, resourcePath } from '../../src/kube/discovery.js';
import type { KubeTransport } from '../../src/kube/transport.js';

describe('REST paths', () => {
  test('core and named groups', () => {
    expect(groupVersionPath('v1')).toBe('/api/v1');
    expect(groupVersionPath('apps/v1')).toBe('/apis/apps/v1');
  });
  const deployments = { groupVersionPath: '/apis/apps/v1', plural: 'deployments', namespaced: true };
  const nodes = { groupVersionPath: '/api/v1', plural: 'nodes', namespaced: false };
  test('a namespaced object, its collection, and all namespaces', () => {
    expect(resourcePath(deployments, 'web', 'api')).toBe('/apis/apps/v1/namespaces/web/deployments/api');
    expect(resourcePath(deployments, 'web')).toBe('/apis/apps/v1/namespaces/web/deployments');
    expect(resourcePath(deployments, undefined)).toBe('/apis/apps/v1/deployments');
  });
  test('a cluster-scoped kind ignores a namespace', () => {
    expect(resourcePath(nodes, 'web', 'node-0')).toBe('/api/v1/nodes/node-0');
  });
  test('names are escaped', () => {
    expect(resourcePath(nodes, undefined, 'a/b')).toBe('/api/v1/nodes/a%2Fb');
  });
});

describe('Discovery', () => {
  const list = { resources: [{ name: 'pods', kind: 'Pod', namespaced: true }, { name: 'nodes', kind: 'Node', namespaced: false }] };
  function transport(answers: Array<() => Promise<unknown>>): { requests: string[]; t: KubeTransport } {
    const requests: string[] = [];
    const t = { request: async (_method: string, path: string) => { requests.push(path); return answers.shift()!(); } } as unknown as KubeTransport;
    return { requests, t };
  }

  test('concurrent lookups of one group version share one request', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { requests, t } = transport([async () => { await gate; return list; }]);
    const discovery = new Discovery(t);
    const both = Promise.all([discovery.resource('v1', 'Pod'), discovery.resource('v1', 'Node')]);
    release();
    expect((await both).map((r) => r.plural)).toEqual(['pods', 'nodes']);
    expect(requests).toEqual(['/api/v1']);
  });

  test('a failed request is not remembered: the next lookup (the retry) asks again', async () => {
    const { requests, t } = transport([async () => { throw new Error('429 Too Many Requests'); }, async () => list]);
    const discovery = new Discovery(t);
    await expect(discovery.resource('v1', 'Pod')).rejects.toThrow('429');
    expect((await discovery.resource('v1', 'Pod')).plural).toBe('pods');
    expect(requests).toEqual(['/api/v1', '/api/v1']);
  });
});
