import { describe, expect, it } from 'vitest';
import { indexPvs } from '../../src/k8s/pv-index.js';
import { checkClaims, pvMatchesClaim, type ClaimCheck } from '../../src/k8s/pv-match.js';
import { compareQuantities, parseQuantity } from '../../src/k8s/quantity.js';
import type { KubeObject } from '../../src/k8s/types.js';

interface PvFields {
  labels?: Record<string, unknown>;
  capacity?: string;
  modes?: string[];
  /** null: no storageClassName field at all. */
  storageClass?: string | null;
}

function pv(name: string, fields: PvFields = {}): KubeObject {
  const storageClass = fields.storageClass === undefined ? 'local' : fields.storageClass;
  return {
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name, labels: (fields.labels ?? { env: 'prod' }) as Record<string, string> },
    spec: {
      ...(fields.capacity === '' ? {} : { capacity: { storage: fields.capacity ?? '1Gi' } }),
      accessModes: fields.modes ?? ['ReadWriteOnce'],
      ...(storageClass === null ? {} : { storageClassName: storageClass }),
    },
  };
}

interface ClaimFields {
  request?: string;
  modes?: string[];
  storageClass?: string | null;
  selector?: Record<string, unknown>;
  volumeName?: string;
}

function pvc(name: string, fields: ClaimFields = {}): KubeObject {
  const storageClass = fields.storageClass === undefined ? 'local' : fields.storageClass;
  return {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'apps' },
    spec: {
      ...(storageClass === null ? {} : { storageClassName: storageClass }),
      accessModes: fields.modes ?? ['ReadWriteOnce'],
      resources: { requests: { storage: fields.request ?? '1Gi' } },
      selector: fields.selector ?? { matchLabels: { env: 'prod' } },
      ...(fields.volumeName === undefined ? {} : { volumeName: fields.volumeName }),
    },
  };
}

const names = (pvs: readonly KubeObject[], positions: readonly number[]) => positions.map((p) => pvs[p]!.metadata.name);

/** What checkClaims computed before the index: every claim compared with every PV in the binder's order. */
function everyPair(pvs: KubeObject[], pvcs: KubeObject[]): Array<{ claim: string; pv?: string; nearest?: string }> {
  const bySize = indexPvs(pvs).bySize;
  const taken = new Set<string>();
  return pvcs.map((claim) => {
    const name = `apps/${claim.metadata.name}`;
    const match = bySize.find((v) => !taken.has(v.metadata.name!) && pvMatchesClaim(v, claim).ok);
    if (match) {
      taken.add(match.metadata.name!);
      return { claim: name, pv: match.metadata.name };
    }
    const count = (v: KubeObject) => pvMatchesClaim(v, claim).mismatches.length + (taken.has(v.metadata.name!) ? 1 : 0);
    const nearest = [...pvs].sort((a, b) => count(a) - count(b))[0];
    return { claim: name, nearest: nearest?.metadata.name };
  });
}

const summary = (checks: ClaimCheck[]) => checks.map((c) => (c.ok ? { claim: c.claim, pv: c.pv } : { claim: c.claim, nearest: c.nearestPv }));

describe('indexPvs: the binder order', () => {
  it('orders by capacity as a quantity (1Gi = 1024Mi), ties and no capacity as written, no capacity last', () => {
    const pvs = [pv('none', { capacity: '' }), pv('gi', { capacity: '1Gi' }), pv('half', { capacity: '512Mi' }), pv('mi', { capacity: '1024Mi' }), pv('bad', { capacity: 'lots' })];
    expect(indexPvs(pvs).bySize.map((v) => v.metadata.name)).toEqual(['half', 'gi', 'mi', 'none', 'bad']);
  });
});

describe('indexPvs: candidates', () => {
  it('narrows to the PVs of the claim\'s class; no storageClassName and "" are the same class, as the comparison reads them', () => {
    const pvs = [pv('fast', { storageClass: 'fast' }), pv('unset', { storageClass: null }), pv('empty', { storageClass: '' })];
    const index = indexPvs(pvs);
    expect(names(index.bySize, index.candidates(pvc('c', { storageClass: '' })))).toEqual(['unset', 'empty']);
    expect(names(index.bySize, index.candidates(pvc('c', { storageClass: null })))).toEqual(['unset', 'empty']);
    expect(names(index.bySize, index.candidates(pvc('c', { storageClass: 'fast' })))).toEqual(['fast']);
    expect(index.candidates(pvc('c', { storageClass: 'slow' }))).toEqual([]);
  });

  it('narrows a pre-bound claim (volumeName) to that PV', () => {
    const pvs = [pv('a'), pv('b'), pv('c')];
    const index = indexPvs(pvs);
    expect(names(index.bySize, index.candidates(pvc('x', { volumeName: 'b' })))).toEqual(['b']);
    expect(index.candidates(pvc('x', { volumeName: 'gone' }))).toEqual([]);
  });

  it('narrows by the rarest In requirement: matchLabels, and matchExpressions In as the union of its values in binder order', () => {
    const pvs = [pv('p3', { labels: { env: 'prod', tier: 'ssd' }, capacity: '3Gi' }), pv('p1', { labels: { env: 'prod', tier: 'nvme' } }),
      pv('p2', { labels: { env: 'prod', tier: 'hdd' }, capacity: '2Gi' }), pv('dev', { labels: { env: 'dev', tier: 'ssd' } })];
    const index = indexPvs(pvs);
    const inExpression = { matchExpressions: [{ key: 'tier', operator: 'In', values: ['ssd', 'nvme', 'ssd'] }] };
    expect(names(index.bySize, index.candidates(pvc('x', { selector: inExpression })))).toEqual(['p1', 'dev', 'p3']);
    expect(names(index.bySize, index.candidates(pvc('x', { selector: { matchLabels: { tier: 'hdd' } } })))).toEqual(['p2']);
    expect(index.candidates(pvc('x', { selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: [] }] } }))).toEqual([]);
  });

  it('does not narrow by NotIn, Exists or DoesNotExist (the class bucket stays)', () => {
    const pvs = [pv('a', { labels: { legacy: 'x' } }), pv('b', { labels: {} })];
    const index = indexPvs(pvs);
    for (const operator of ['NotIn', 'Exists', 'DoesNotExist']) {
      const selector = { matchExpressions: [{ key: 'legacy', operator, values: operator === 'NotIn' ? ['x'] : [] }] };
      expect(names(index.bySize, index.candidates(pvc('x', { selector })))).toEqual(['a', 'b']);
    }
  });

  it('reads a label value as the comparison does (a YAML 1.1 number 1 is selected by "1")', () => {
    const index = indexPvs([pv('n', { labels: { disk: 1 } })]);
    expect(names(index.bySize, index.candidates(pvc('x', { selector: { matchLabels: { disk: '1' } } })))).toEqual(['n']);
  });
});

describe('checkClaims through the index', () => {
  it('binds the smallest free match, with capacity units compared exactly (1024Mi fits 1Gi, not 1000Mi)', () => {
    const pvs = [pv('big', { capacity: '2Gi' }), pv('gi', { capacity: '1Gi' }), pv('small', { capacity: '1000Mi' })];
    expect(summary(checkClaims(pvs, [pvc('a', { request: '1024Mi' }), pvc('b', { request: '1024Mi' }), pvc('c', { request: '1Gi' })]))).toEqual([
      { claim: 'apps/a', pv: 'gi' }, { claim: 'apps/b', pv: 'big' }, { claim: 'apps/c', nearest: 'big' }, // all three differ once (two taken, one too small): the first written
    ]);
  });

  it('skips a candidate that lacks the access mode, and honours volumeName over a smaller match', () => {
    const pvs = [pv('rwo'), pv('rwx', { modes: ['ReadWriteMany', 'ReadWriteOnce'], capacity: '5Gi' }), pv('named', { capacity: '9Gi' })];
    expect(summary(checkClaims(pvs, [pvc('shared', { modes: ['ReadWriteMany'] }), pvc('pinned', { volumeName: 'named' })]))).toEqual([
      { claim: 'apps/shared', pv: 'rwx' }, { claim: 'apps/pinned', pv: 'named' },
    ]);
  });

  it('names the nearest PV written first among equals when nothing matches, with the same message as before', () => {
    const pvs = [pv('b', { labels: { env: 'dev' }, capacity: '5Gi' }), pv('a', { labels: { env: 'dev' } })];
    const [check] = checkClaims(pvs, [pvc('data')]);
    expect(check).toEqual({
      claim: 'apps/data', ok: false, nearestPv: 'b', mismatches: ['has label env=dev, not env=prod'],
      message: 'PVC apps/data selects env=prod; PV b (local, 5Gi, RWO) has label env=dev, not env=prod',
    });
  });

  it('agrees with every-pair comparison on a homelab of mixed classes, sizes, modes, selectors and pre-bindings', () => {
    const classes = ['local', '', 'fast'];
    const sizes = ['1Gi', '1024Mi', '512Mi', '2Gi', '1000Mi'];
    const pvs = Array.from({ length: 60 }, (_, i) => pv(`pv${i}`, {
      storageClass: i % 7 === 0 ? null : classes[i % 3]!,
      capacity: sizes[i % 5]!,
      modes: i % 4 === 0 ? ['ReadWriteMany'] : ['ReadWriteOnce'],
      labels: { env: i % 6 === 0 ? 'dev' : 'prod', slot: `s${i % 20}`, ...(i % 9 === 0 ? { legacy: 'yes' } : {}) },
    }));
    const selectors = (i: number): Record<string, unknown> => [
      { matchLabels: { env: 'prod', slot: `s${i % 20}` } },
      { matchExpressions: [{ key: 'slot', operator: 'In', values: [`s${i % 20}`, `s${(i + 1) % 20}`] }, { key: 'legacy', operator: 'DoesNotExist' }] },
      { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] },
      {},
    ][i % 4]!;
    const pvcs = Array.from({ length: 60 }, (_, i) => pvc(`c${i}`, {
      storageClass: i % 11 === 0 ? null : classes[(i + 1) % 3]!,
      request: sizes[(i + 2) % 5]!,
      modes: i % 5 === 0 ? ['ReadWriteMany'] : ['ReadWriteOnce'],
      selector: selectors(i),
      ...(i % 13 === 0 ? { volumeName: `pv${(i * 7) % 60}` } : {}),
    }));
    const result = summary(checkClaims(pvs, pvcs));
    expect(result).toEqual(everyPair(pvs, pvcs));
    // The fixture exercises both outcomes, or the comparison would prove little.
    expect(result.filter((r) => r.pv).length).toBeGreaterThan(10);
    expect(result.filter((r) => r.nearest).length).toBeGreaterThan(10);
  });
});

describe('parseQuantity, read once per string', () => {
  it('gives the same value again without re-parsing, a number as its string, and keeps an invalid one invalid', () => {
    const first = parseQuantity('1024Mi');
    expect(parseQuantity('1024Mi')).toBe(first);
    expect(compareQuantities(first!, parseQuantity('1Gi')!)).toBe(0);
    expect(parseQuantity(1)).toBe(parseQuantity('1'));
    expect(parseQuantity('lots')).toBeUndefined();
    expect(parseQuantity('lots')).toBeUndefined();
    // Past its bound the memo starts over, and still answers right.
    for (let i = 0; i < 5000; i++) parseQuantity(`${i}Mi`);
    expect(parseQuantity('1024Mi')).toEqual({ numerator: 1024n * 2n ** 20n, denominator: 1n });
  });
});
