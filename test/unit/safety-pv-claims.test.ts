// The blast-radius screen's PV object column: which PVs the storage step re-creates, which nothing
// re-creates, and which a cluster that is kept (provider existing) leaves with a stale claimRef.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/types.js';
import { pvObjectFate } from '../../src/safety/pv-claims.js';

const claim = (ns: string, name: string, uid: string): KubeObject => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: ns, uid } });
const pv = (name: string, claimRef?: { namespace: string; name: string; uid: string }): KubeObject => ({
  apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name }, spec: { ...(claimRef ? { claimRef } : {}) },
});

const claims = [claim('home', 'recipes-data', 'uid-new'), claim('media', 'photos-library', 'uid-photos')];
const stale = pv('recipes-pv', { namespace: 'home', name: 'recipes-data', uid: 'uid-old' });
const bound = pv('photos-pv', { namespace: 'media', name: 'photos-library', uid: 'uid-photos' });
const orphan = pv('wiki-pv', { namespace: 'wiki', name: 'pages', uid: 'uid-pages' });

describe('pvObjectFate', () => {
  it('k3d: a PV of the storage file is re-created without its stale claimRef; one made by hand is not re-created', () => {
    const opts = { provider: 'k3d' as const, declared: ['recipes-pv', 'photos-pv'], claims };
    expect(pvObjectFate(stale, opts)).toEqual({
      object: 'recreated',
      claim: 're-created from the storage file without its stale claimRef to PVC home/recipes-data (deleted, and re-created since with another uid): a PVC that matches binds it afresh',
    });
    expect(pvObjectFate(bound, opts).object).toBe('recreated');
    expect(pvObjectFate(orphan, opts)).toEqual({
      object: 'not-recreated',
      claim: 'not in the storage file (made by hand, or provisioned): nothing re-creates this PV; its stale claimRef to PVC wiki/pages (deleted) goes with it',
    });
  });

  it('existing: the PV is kept, and a stale claimRef with it, named with the command that clears it', () => {
    const opts = { provider: 'existing' as const, declared: ['recipes-pv'], claims };
    expect(pvObjectFate(stale, opts)).toEqual({
      object: 'kept',
      claim: `KEEPS its stale claimRef to PVC home/recipes-data (deleted, and re-created since with another uid): no PVC binds it until it is cleared (kubectl patch pv recipes-pv --type merge -p '{"spec":{"claimRef":null}}')`,
    });
    expect(pvObjectFate(bound, opts)).toEqual({ object: 'kept', claim: 'bound to PVC media/photos-library: stays bound' });
    expect(pvObjectFate(pv('free-pv'), opts)).toEqual({ object: 'kept', claim: 'no claim' });
  });
});
