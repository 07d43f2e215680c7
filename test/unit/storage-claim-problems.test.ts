// The claim check that the storage step's verify and preflight on a kept cluster share: the live
// PVC stands in for the manifest's, and preflight predicts what applying the storage file leaves.
import { describe, expect, it } from 'vitest';
import { liveClaimProblems } from '../../src/diagnose/claim-problems.js';
import type { KubeObject } from '../../src/kube/types.js';
import { afterStorageApply } from '../../steps/preflight-live.js';

const manifestClaim: KubeObject = {
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'recipes-data', namespace: 'home' },
  spec: { storageClassName: 'local-storage', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } }, selector: { matchLabels: { tier: 'gold' } } },
};
const liveClaim = (phase: string): KubeObject => ({ ...manifestClaim, metadata: { ...manifestClaim.metadata, uid: 'uid-new' }, status: { phase } });
const declaredPv: KubeObject = {
  apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'recipes-pv', labels: { tier: 'gold' } },
  spec: { storageClassName: 'local-storage', capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/srv/recipes' } },
};
const releasedPv: KubeObject = {
  ...declaredPv,
  metadata: { name: 'recipes-pv', labels: {} },
  spec: { ...(declaredPv.spec as object), claimRef: { namespace: 'home', name: 'recipes-data', uid: 'uid-old' } },
  status: { phase: 'Released' },
};

describe('liveClaimProblems', () => {
  it('names the stale claimRef and the lost label of the live PV, with one command line for both', () => {
    const problems = liveClaimProblems([manifestClaim], { pvs: [releasedPv], claims: [liveClaim('Pending')], declared: [declaredPv] });
    expect(problems).toEqual([{
      claim: 'home/recipes-data',
      pv: 'recipes-pv',
      message:
        'PVC home/recipes-data cannot bind: best candidate PV recipes-pv is Released: its claimRef names PVC home/recipes-data (uid uid-old), which was deleted (PVC home/recipes-data now has uid uid-new); ' +
        'lacks label tier=gold that PVC home/recipes-data selects (the storage file gives it that label); ' +
        `fix: kubectl label pv recipes-pv tier=gold && kubectl patch pv recipes-pv --type merge -p '{"spec":{"claimRef":null}}' ` +
        '(safe: its claimRef names home/recipes-data, the claim now asking for it, so the data goes back to the same claim; labels change no data; the data on the volume stays)',
    }]);
  });

  it('says nothing of a claim that is Bound, and, before the PVC exists, still calls the claimRef stale', () => {
    expect(liveClaimProblems([manifestClaim], { pvs: [releasedPv], claims: [liveClaim('Bound')] })).toEqual([]);
    const [before] = liveClaimProblems([manifestClaim], { pvs: [{ ...releasedPv, metadata: declaredPv.metadata }], claims: [] });
    expect(before!.message).toMatch(/^PVC home\/recipes-data cannot bind: best candidate PV recipes-pv is Released: its claimRef names PVC home\/recipes-data \(uid uid-old\), which no longer exists; fix: kubectl patch pv recipes-pv /);
  });
});

describe('a PV holding a deleted claim of another app', () => {
  it('is offered with the warning first, never as a plain fix', () => {
    const wikiPv: KubeObject = { ...releasedPv, metadata: declaredPv.metadata, spec: { ...(releasedPv.spec as object), claimRef: { namespace: 'wiki', name: 'pages', uid: 'uid-pages' } } };
    const [problem] = liveClaimProblems([manifestClaim], { pvs: [wikiPv], claims: [liveClaim('Pending')] });
    expect(problem!.message).toContain(
      "; UNSAFE: PV recipes-pv holds the data of PVC wiki/pages, not of PVC home/recipes-data; freeing it hands that app's data to home/recipes-data. " +
        `Run it only if home/recipes-data is meant to take over that data; the command: kubectl patch pv recipes-pv --type merge -p '{"spec":{"claimRef":null}}'`,
    );
    expect(problem!.message).not.toContain('fix: ');
  });
});

describe('a PV made by hand that took the claim', () => {
  const handMade: KubeObject = { ...declaredPv, metadata: { name: 'recipes-manual', labels: { tier: 'gold' } }, status: { phase: 'Bound' } };
  const boundToIt: KubeObject = { ...liveClaim('Bound'), spec: { ...(manifestClaim.spec as object), volumeName: 'recipes-manual' } };
  const fileCopy: KubeObject = { ...declaredPv, status: { phase: 'Available' } };

  it("is named, with the storage file's PV that stands Available for the claim, and how to move the claim there", () => {
    const [problem, ...more] = liveClaimProblems([manifestClaim], { pvs: [handMade, fileCopy], claims: [boundToIt], declared: [declaredPv] });
    expect(more).toEqual([]);
    expect(problem).toEqual({
      claim: 'home/recipes-data',
      pv: 'recipes-manual',
      message:
        "PVC home/recipes-data is bound to PV recipes-manual, which is not in the storage file (made by hand): it took the claim before the storage file's PV recipes-pv, which matches it and stands Available; " +
        "the app writes to recipes-manual's volume, not recipes-pv's. If the app's data is on recipes-pv: stop the app, then " +
        `kubectl patch pv recipes-manual --type merge -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}' && kubectl -n home delete pvc recipes-data && kubectl delete pv recipes-manual, ` +
        "and apply the app again (its PVC then binds recipes-pv; recipes-manual's files stay where they are)",
    });
  });

  it('is not a problem when the PV is the storage file\'s own, or when no PV of the file is free for the claim', () => {
    const boundToFile: KubeObject = { ...boundToIt, spec: { ...(boundToIt.spec as object), volumeName: 'recipes-pv' } };
    expect(liveClaimProblems([manifestClaim], { pvs: [fileCopy], claims: [boundToFile], declared: [declaredPv] })).toEqual([]);
    expect(liveClaimProblems([manifestClaim], { pvs: [handMade], claims: [boundToIt], declared: [declaredPv] })).toEqual([]);
  });
});

describe('afterStorageApply (preflight on a kept cluster)', () => {
  it('adds the file labels to the live PV but keeps its claimRef and phase, so the stale claim is still named', () => {
    const predicted = afterStorageApply([releasedPv], [declaredPv]);
    expect(predicted[0]!.metadata.labels).toEqual({ tier: 'gold' });
    const [problem] = liveClaimProblems([manifestClaim], { pvs: predicted, claims: [liveClaim('Pending')] });
    expect(problem!.message).toContain('best candidate PV recipes-pv is Released: its claimRef names PVC home/recipes-data (uid uid-old)');
    expect(problem!.message).not.toContain('lacks label');
  });

  it('a PV of the file that is not live yet comes new and Available: the claim will bind to it', () => {
    expect(liveClaimProblems([manifestClaim], { pvs: afterStorageApply([], [declaredPv]), claims: [liveClaim('Pending')] })).toEqual([]);
  });
});
