import { describe, expect, it } from 'vitest';
import { checkClaims, checkRequiredLabels, pvMatchesClaim } from '../../src/k8s/pv-match.js';
import { substitutePlaceholders } from '../../src/k8s/pv-nodes.js';
import { compareQuantities, parseQuantity } from '../../src/k8s/quantity.js';
import type { KubeObject } from '../../src/k8s/types.js';

function pv(name: string, fields: { labels?: Record<string, string>; capacity?: string; modes?: string[];
  storageClass?: string; volumeMode?: string; claimRef?: Record<string, string> } = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name, labels: fields.labels ?? { environment: 'prod' } },
    spec: {
      capacity: { storage: fields.capacity ?? '50Gi' },
      accessModes: fields.modes ?? ['ReadWriteOnce'],
      storageClassName: fields.storageClass ?? 'local-storage',
      ...(fields.volumeMode ? { volumeMode: fields.volumeMode } : {}),
      ...(fields.claimRef ? { claimRef: fields.claimRef } : {}),
    },
  };
}

function pvc(name: string, fields: { request?: string; modes?: string[]; storageClass?: string; volumeMode?: string;
  selector?: Record<string, unknown> | null } = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'apps' },
    spec: {
      storageClassName: fields.storageClass ?? 'local-storage',
      accessModes: fields.modes ?? ['ReadWriteOnce'],
      resources: { requests: { storage: fields.request ?? '50Gi' } },
      ...(fields.volumeMode ? { volumeMode: fields.volumeMode } : {}),
      ...(fields.selector === null ? {} : { selector: fields.selector ?? { matchLabels: { environment: 'prod' } } }),
    },
  };
}

describe('parseQuantity', () => {
  const cmp = (a: string, b: string) => compareQuantities(parseQuantity(a)!, parseQuantity(b)!);

  it('compares binary and decimal suffixes exactly', () => {
    expect(cmp('512Mi', '0.5Gi')).toBe(0);
    expect(cmp('500Mi', '0.5Gi')).toBe(-1);
    expect(cmp('1Gi', '1G')).toBe(1);
    expect(cmp('1000M', '1G')).toBe(0);
    expect(cmp('1Ti', '1024Gi')).toBe(0);
    expect(cmp('1k', '1000')).toBe(0);
    expect(cmp('1Ki', '1024')).toBe(0);
  });

  it('reads exponents, milli units, fractions and plain numbers', () => {
    expect(cmp('1e3', '1k')).toBe(0);
    expect(cmp('1E6', '1M')).toBe(0);
    expect(cmp('2.5e-3', '2500u')).toBe(0);
    expect(cmp('1500m', '1.5')).toBe(0);
    expect(cmp('.5', '500m')).toBe(0);
    expect(cmp('1E', '1e18')).toBe(0);
    expect(compareQuantities(parseQuantity(100)!, parseQuantity('0.1k')!)).toBe(0);
  });

  it('rejects what Kubernetes rejects', () => {
    for (const bad of ['', 'Gi', '1GB', '1 Gi', '1gi', '1.2.3', '1e', '1Ki5']) expect(parseQuantity(bad), bad).toBeUndefined();
  });
});

describe('pvMatchesClaim', () => {
  it('matches a PV that satisfies every field', () => {
    expect(pvMatchesClaim(pv('appdata-pv'), pvc('appdata-pvc'))).toEqual({ ok: true, mismatches: [] });
  });

  it('names each differing field', () => {
    const result = pvMatchesClaim(
      pv('p', { storageClass: 'standard', modes: ['ReadWriteOnce'], capacity: '500Mi', volumeMode: 'Block', labels: {} }),
      pvc('c', { request: '0.5Gi', modes: ['ReadWriteMany'] }),
    );
    expect(result.ok).toBe(false);
    expect(result.mismatches).toEqual([
      'has storageClassName standard, not local-storage',
      'lacks access mode RWX',
      'has 500Mi, less than the 0.5Gi requested',
      'has volumeMode Block, not Filesystem',
      'lacks label environment',
    ]);
  });

  it('accepts a PV larger than the request and a superset of access modes', () => {
    const result = pvMatchesClaim(pv('p', { capacity: '512Mi', modes: ['ReadWriteOnce', 'ReadOnlyMany'] }), pvc('c', { request: '0.5Gi' }));
    expect(result.ok).toBe(true);
  });

  it('treats an unset volumeMode as Filesystem on both sides', () => {
    expect(pvMatchesClaim(pv('p', { volumeMode: 'Filesystem' }), pvc('c')).ok).toBe(true);
    expect(pvMatchesClaim(pv('p'), pvc('c', { volumeMode: 'Block' })).mismatches).toEqual(['has volumeMode Filesystem, not Block']);
  });

  it('reports a label with the wrong value', () => {
    expect(pvMatchesClaim(pv('p', { labels: { environment: 'dev' } }), pvc('c')).mismatches).toEqual([
      'has label environment=dev, not environment=prod',
    ]);
  });

  it('evaluates matchExpressions: In, NotIn, Exists, DoesNotExist', () => {
    const selector = {
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['ssd', 'nvme'] },
        { key: 'zone', operator: 'NotIn', values: ['attic'] },
        { key: 'backup', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    };
    const good = pv('good', { labels: { tier: 'nvme', zone: 'rack', backup: 'daily' } });
    expect(pvMatchesClaim(good, pvc('c', { selector })).ok).toBe(true);
    const bad = pv('bad', { labels: { tier: 'hdd', zone: 'attic', legacy: 'true' } });
    expect(pvMatchesClaim(bad, pvc('c', { selector })).mismatches).toEqual([
      'has label tier=hdd, not tier in (ssd,nvme)',
      'has label zone=attic, excluded by zone notin (attic)',
      'lacks label backup',
      'has label legacy, which the selector requires absent',
    ]);
    expect(pvMatchesClaim(pv('nolabels', { labels: {} }), pvc('c', { selector })).mismatches).toEqual([
      'lacks label tier', 'lacks label backup',
    ]);
  });

  it('refuses a PV bound to another claim, and accepts one bound to this claim', () => {
    expect(pvMatchesClaim(pv('p', { claimRef: { namespace: 'apps', name: 'other' } }), pvc('c')).mismatches).toEqual([
      'has a claimRef to PVC apps/other',
    ]);
    expect(pvMatchesClaim(pv('p', { claimRef: { namespace: 'apps', name: 'c' } }), pvc('c')).ok).toBe(true);
  });
});

describe('checkClaims', () => {
  it('names the nearest PV and what differs, as in the incident', () => {
    const pvs = [pv('appdata-pv', { labels: {} }), pv('data-pv', { labels: {}, capacity: '100Gi', storageClass: 'other' })];
    const [result] = checkClaims(pvs, [pvc('appdata-pvc')]);
    expect(result).toEqual({
      claim: 'apps/appdata-pvc',
      ok: false,
      nearestPv: 'appdata-pv',
      mismatches: ['lacks label environment'],
      message: 'PVC apps/appdata-pvc selects environment=prod; PV appdata-pv (local-storage, 50Gi, RWO) lacks label environment',
    });
  });

  it('binds each PV to one claim, smallest fit first', () => {
    const pvs = [pv('data-pv', { capacity: '100Gi' }), pv('appdata-pv', { capacity: '50Gi' })];
    const results = checkClaims(pvs, [pvc('appdata-pvc', { request: '50Gi' }), pvc('data-pvc', { request: '100Gi' })]);
    expect(results).toEqual([
      { claim: 'apps/appdata-pvc', ok: true, pv: 'appdata-pv' },
      { claim: 'apps/data-pvc', ok: true, pv: 'data-pv' },
    ]);
  });

  it('reports a claim whose only match is already taken', () => {
    const results = checkClaims([pv('only-pv')], [pvc('first'), pvc('second')]);
    expect(results[1]).toMatchObject({ ok: false, nearestPv: 'only-pv', mismatches: ['is already matched to PVC apps/first'] });
  });

  it('skips claims without a selector, and says so when no PV exists', () => {
    expect(checkClaims([pv('p')], [pvc('plain', { selector: null })])).toEqual([]);
    expect(checkClaims([], [pvc('c')])[0]).toMatchObject({ ok: false, message: 'PVC apps/c selects environment=prod; no PV exists' });
  });
});

describe('checkRequiredLabels', () => {
  it('names each PV and each missing or different label', () => {
    const pvs = [pv('good'), pv('missing', { labels: {} }), pv('wrong', { labels: { environment: 'dev' } })];
    expect(checkRequiredLabels(pvs, { environment: 'prod' }).map((problem) => problem.message)).toEqual([
      'PV missing lacks label environment=prod',
      'PV wrong has label environment=dev, not environment=prod',
    ]);
  });
});

describe('substitutePlaceholders', () => {
  it('replaces every occurrence of the placeholder', () => {
    expect(substitutePlaceholders('values: [NODE_NAME]\n# NODE_NAME\n', new Map([['NODE_NAME', 'homelab-server-0']]))).toBe(
      'values: [homelab-server-0]\n# homelab-server-0\n',
    );
    expect(substitutePlaceholders('no placeholder', new Map([['NODE_NAME', 'n']]))).toBe('no placeholder');
  });

  it('replaces the longest placeholder first, so NODE_NAME_NAS is not read as NODE_NAME plus _NAS', () => {
    const map = new Map([['NODE_NAME', 'server-0'], ['NODE_NAME_NAS', 'agent-1']]);
    expect(substitutePlaceholders('[NODE_NAME] [NODE_NAME_NAS]', map)).toBe('[server-0] [agent-1]');
  });
});
