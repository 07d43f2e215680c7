import { describe, expect, test } from 'vitest';
import { groupVersionPath, resourcePath } from '../../src/kube/discovery.js';

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
