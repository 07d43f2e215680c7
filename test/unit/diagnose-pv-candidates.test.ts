// The ranking of candidate PVs for an unbound PVC: several PVs per case, one expected headline each,
// on literal objects shaped as the apiserver serves them (claimRefs with uids, phases in status).
import { describe, expect, it } from 'vitest';
import type { ClusterView } from '../../src/diagnose/ladder.js';
import { rankCandidates } from '../../src/diagnose/pv-candidates.js';
import { diagnoseView } from '../../src/diagnose/view.js';
import type { KubeObject } from '../../src/kube/types.js';

const CLEAR = `kubectl patch pv recipes-pv --type merge -p '{"spec":{"claimRef":null}}'`;

const node = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } });

function claim(ns: string, name: string, uid: string, opts: { request?: string; selector?: Record<string, string>; phase?: string; volumeName?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: ns, uid },
    spec: {
      storageClassName: 'local-storage',
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: opts.request ?? '10Gi' } },
      ...(opts.selector ? { selector: { matchLabels: opts.selector } } : {}),
      ...(opts.volumeName ? { volumeName: opts.volumeName } : {}),
    },
    status: { phase: opts.phase ?? 'Pending' },
  };
}

interface PvOpts {
  labels?: Record<string, string>;
  capacity?: string;
  storageClass?: string;
  phase?: string;
  claimRef?: { namespace: string; name: string; uid: string };
  reclaim?: string;
  node?: string;
}

function pv(name: string, opts: PvOpts = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, uid: `uid-${name}`, labels: opts.labels ?? {} },
    spec: {
      storageClassName: opts.storageClass ?? 'local-storage',
      capacity: { storage: opts.capacity ?? '10Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: opts.reclaim ?? 'Retain',
      hostPath: { path: `/srv/homelab/${name}` },
      ...(opts.claimRef ? { claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', ...opts.claimRef } } : {}),
      ...(opts.node
        ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [opts.node] }] }] } } }
        : {}),
    },
    status: { phase: opts.phase ?? 'Available' },
  };
}

const recipes = claim('home', 'recipes-data', 'uid-recipes-new', { selector: { tier: 'gold' } });
const photos = claim('media', 'photos-library', 'uid-photos', { request: '40Gi', selector: { tier: 'gold' }, phase: 'Bound', volumeName: 'photos-pv' });
const photosPv = pv('photos-pv', { capacity: '40Gi', labels: { tier: 'gold' }, phase: 'Bound', claimRef: { namespace: 'media', name: 'photos-library', uid: 'uid-photos' } });
const staleRecipesPv = (extra: PvOpts = {}): KubeObject =>
  pv('recipes-pv', { phase: 'Released', claimRef: { namespace: 'home', name: 'recipes-data', uid: 'uid-recipes-old' }, ...extra });

interface Case {
  name: string;
  pvs: KubeObject[];
  claims?: KubeObject[];
  declared?: KubeObject[];
  nodes?: KubeObject[];
  headline: string;
  fix?: string[];
}

const CASES: Case[] = [
  {
    name: 'the incident: a Released PV with a stale claimRef and a lost label beats a 40Gi PV bound to another app',
    pvs: [photosPv, staleRecipesPv()],
    claims: [photos],
    headline:
      'PVC home/recipes-data is not bound: PV recipes-pv is Released: its claimRef names PVC home/recipes-data (uid uid-reci), which was deleted ' +
      '(PVC home/recipes-data now has uid uid-reci); lacks label tier=gold that PVC home/recipes-data selects',
    fix: [
      `kubectl label pv recipes-pv tier=gold && ${CLEAR}`,
      'safe: its claimRef names home/recipes-data, the claim now asking for it, so the data goes back to the same claim; labels change no data; the data on the volume stays',
      'and in the storage file, give PV recipes-pv tier=gold, so a rebuild makes it with it',
    ],
  },
  {
    name: "a Failed PV (its Delete reclaim failed) beats an Available PV that is too small; the fix makes it Retain",
    pvs: [pv('small-pv', { capacity: '1Gi', labels: { tier: 'gold' } }), staleRecipesPv({ phase: 'Failed', reclaim: 'Delete', labels: { tier: 'gold' } })],
    headline:
      'PVC home/recipes-data is not bound: PV recipes-pv is Failed: its claimRef names PVC home/recipes-data (uid uid-reci), which was deleted (PVC home/recipes-data now has uid uid-reci)',
    fix: [
      `kubectl patch pv recipes-pv --type merge -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}' && ${CLEAR}`,
      'safe: its claimRef names home/recipes-data, the claim now asking for it, so the data goes back to the same claim; the data on the volume stays',
    ],
  },
  {
    name: 'a PV pinned to a node that is gone beats a PV bound elsewhere; it is recreated on the one node there is',
    pvs: [photosPv, pv('recipes-pv', { labels: { tier: 'gold' }, node: 'k3d-old-server-0' })],
    claims: [photos],
    nodes: [node('k3d-homelab-server-0')],
    headline:
      'PVC home/recipes-data is not bound: PV recipes-pv is pinned by node affinity to kubernetes.io/hostname=k3d-old-server-0, which no node matches (nodes: k3d-homelab-server-0)',
    fix: [
      `kubectl get pv recipes-pv -o json | sed 's/"k3d-old-server-0"/"k3d-homelab-server-0"/g' | kubectl replace --force -f -`,
      'safe: the PV object is recreated, the files of its volume are not touched; the data on the volume stays',
    ],
  },
  {
    name: 'a hand-made Available PV without the labels: named as made by hand, and the storage file told to carry it',
    pvs: [photosPv, pv('recipes-manual')],
    claims: [photos],
    declared: [pv('recipes-pv', { labels: { tier: 'gold' } }), pv('photos-pv', { capacity: '40Gi', labels: { tier: 'gold' } })],
    headline: 'PVC home/recipes-data is not bound: PV recipes-manual lacks label tier=gold that PVC home/recipes-data selects',
    fix: [
      'kubectl label pv recipes-manual tier=gold',
      'safe: labels change no data; the data on the volume stays',
      'PV recipes-manual is not in the storage file (it was made by hand): add it there with tier=gold, so a rebuild makes it',
    ],
  },
  {
    name: "a label fix beats a PV that matches but holds a deleted claim of another app (that fix hands over data)",
    pvs: [pv('old-wiki-pv', { labels: { tier: 'gold' }, phase: 'Released', claimRef: { namespace: 'wiki', name: 'pages', uid: 'uid-pages' } }), pv('recipes-pv')],
    headline: 'PVC home/recipes-data is not bound: PV recipes-pv lacks label tier=gold that PVC home/recipes-data selects',
  },
  {
    name: 'a stale claim of another app beats a wrong storage class, and its fix says whose data it hands over',
    pvs: [pv('nfs-pv', { storageClass: 'nfs', labels: { tier: 'gold' } }), pv('old-wiki-pv', { labels: { tier: 'gold' }, phase: 'Released', claimRef: { namespace: 'wiki', name: 'pages', uid: 'uid-pages' } })],
    headline: 'PVC home/recipes-data is not bound: PV old-wiki-pv is Released: its claimRef names PVC wiki/pages (uid uid-page), which no longer exists',
    fix: [
      "UNSAFE: PV old-wiki-pv holds the data of PVC wiki/pages, not of PVC home/recipes-data; freeing it hands that app's data to home/recipes-data. Run it only if home/recipes-data is meant to take over that data",
      `kubectl patch pv old-wiki-pv --type merge -p '{"spec":{"claimRef":null}}'`,
    ],
  },
  {
    name: 'a claimRef to a re-created PVC of another app is that app\'s data, not a stale leftover to take',
    pvs: [
      pv('pages-pv', { labels: { tier: 'gold' }, phase: 'Released', claimRef: { namespace: 'wiki', name: 'pages', uid: 'uid-pages-old' } }),
      pv('recipes-pv', { labels: { tier: 'silver' } }),
    ],
    claims: [claim('wiki', 'pages', 'uid-pages-new', { selector: { tier: 'gold' } })],
    headline: 'PVC home/recipes-data is not bound: PV recipes-pv has label tier=silver, not tier=gold that PVC home/recipes-data selects',
    fix: ['kubectl label pv recipes-pv tier=gold --overwrite', 'safe: labels change no data; the data on the volume stays', 'and in the storage file, give PV recipes-pv tier=gold, so a rebuild makes it with it'],
  },
  {
    name: 'two PVs that need the same fix: the storage file\'s own before the one made by hand',
    pvs: [pv('a-manual'), pv('recipes-pv')],
    declared: [pv('recipes-pv', { labels: { tier: 'gold' } })],
    headline: 'PVC home/recipes-data is not bound: PV recipes-pv lacks label tier=gold that PVC home/recipes-data selects (the storage file gives it that label)',
    fix: ['kubectl label pv recipes-pv tier=gold', 'safe: labels change no data; the data on the volume stays'],
  },
  {
    name: 'nothing fixable in place: the fewest mismatches first, and the fix is a new PV, never the other app\'s',
    pvs: [photosPv, pv('tiny-pv', { capacity: '1Gi', storageClass: 'nfs', labels: { tier: 'gold' } })],
    claims: [photos],
    headline: 'PVC home/recipes-data is not bound: PV photos-pv is bound to PVC media/photos-library',
    fix: [
      'no PV can take PVC home/recipes-data by a change in place: create a PV that matches it (PVC home/recipes-data wants storageClassName local-storage, 10Gi, ReadWriteOnce, labels tier=gold), or change the PVC',
      'do not free PV photos-pv for it: photos-pv holds the data of the claim it is bound to',
    ],
  },
];

function viewOf(c: Case): ClusterView {
  return {
    workloads: [], replicaSets: [], pods: [], events: [],
    pvcs: [recipes], claims: [recipes, ...(c.claims ?? [])], pvs: c.pvs, nodes: c.nodes ?? [node('k3d-homelab-server-0')],
    ...(c.declared ? { declared: c.declared } : {}),
  };
}

describe('ranking candidate PVs for an unbound PVC', () => {
  it.each(CASES)('$name', (c) => {
    const findings = diagnoseView(viewOf(c));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.object).toBe('PersistentVolumeClaim home/recipes-data');
    expect(findings[0]!.problem).toBe(c.headline);
    if (c.fix) expect(findings[0]!.fix).toEqual(c.fix);
    // Evidence is true: a PV is said to be bound only when it is Bound to the live claim its claimRef names.
    for (const line of findings[0]!.evidence.filter((l) => l.includes(' is bound to PVC '))) expect(line).toMatch(/^PV photos-pv .* is bound to PVC media\/photos-library/);
  });

  it('in the incident, the evidence calls photos-pv bound and recipes-pv Released, never bound', () => {
    const [finding] = diagnoseView(viewOf(CASES[0]!));
    expect(finding!.evidence).toEqual([
      'PVC home/recipes-data wants storageClassName local-storage, 10Gi, ReadWriteOnce, labels tier=gold; best candidate PV recipes-pv (local-storage, 10Gi, RWO)',
      'PV photos-pv (local-storage, 40Gi, RWO) is bound to PVC media/photos-library',
    ]);
  });

  it('a PV whose claimRef names this very PVC (same uid) is its match: binding is only waiting, no finding', () => {
    const prebound = pv('recipes-pv', { labels: { tier: 'gold' }, claimRef: { namespace: 'home', name: 'recipes-data', uid: 'uid-recipes-new' } });
    expect(rankCandidates(recipes, [photosPv, prebound], { claims: [recipes, photos] })[0]).toMatchObject({ name: 'recipes-pv', causes: [] });
    expect(diagnoseView(viewOf({ name: '', pvs: [photosPv, prebound], claims: [photos], headline: '' }))).toEqual([]);
  });

  it('a PV to recreate whose reclaim policy is Delete is made Retain first: deleting it must not delete its volume', () => {
    const c: Case = { name: '', pvs: [pv('recipes-pv', { labels: { tier: 'gold' }, node: 'gone', reclaim: 'Delete' })], headline: '' };
    expect(diagnoseView(viewOf(c))[0]!.fix[0]).toBe(
      `kubectl patch pv recipes-pv --type merge -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}' && ` +
        `kubectl get pv recipes-pv -o json | sed 's/"gone"/"k3d-homelab-server-0"/g' | kubectl replace --force -f -`,
    );
  });

  it('with several nodes, a PV pinned to a gone node gets no guessed node: the fix says to pick the one with its data', () => {
    const c: Case = { name: '', pvs: [pv('recipes-pv', { labels: { tier: 'gold' }, node: 'gone' })], nodes: [node('n1'), node('n2')], headline: '' };
    const [finding] = diagnoseView(viewOf(c));
    expect(finding!.fix).toEqual(["recreate PV recipes-pv with node affinity naming the node that holds its data (a PV's nodeAffinity cannot be changed in place)"]);
  });
});
