// src/util/binaries.ts: where the secrets tests (and the cluster code) find the pinned binaries.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheRoot, cachedBinary, parsePins, pinnedVersion } from '../../src/util/binaries.js';

const pinsText = readFileSync(new URL('../../scripts/control-plane.pins', import.meta.url), 'utf8');

describe('cacheRoot', () => {
  it('follows control-plane.sh: HOMELAB_DR_CACHE, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(cacheRoot({ HOMELAB_DR_CACHE: '/c', XDG_CACHE_HOME: '/x' })).toBe('/c');
    expect(cacheRoot({ XDG_CACHE_HOME: '/x' })).toBe('/x/homelab-dr');
    expect(cacheRoot({ XDG_CACHE_HOME: '' })).toBe(join(homedir(), '.cache', 'homelab-dr'));
  });
});

describe('parsePins', () => {
  it('reads KEY=VALUE lines and skips comments', () => {
    const pins = parsePins('# AGE_VERSION=v0\nAGE_VERSION=v1.2.1\n\nSOPS_VERSION=v3.10.2\n');
    expect([...pins]).toEqual([['AGE_VERSION', 'v1.2.1'], ['SOPS_VERSION', 'v3.10.2']]);
  });
});

describe('cachedBinary', () => {
  it('joins the cache, the component and its pinned version from scripts/control-plane.pins', () => {
    const sealedSecretsPin = /^SEALED_SECRETS_VERSION=(\S+)$/m.exec(pinsText)?.[1];
    expect(pinnedVersion('sealed-secrets')).toBe(sealedSecretsPin);
    expect(cachedBinary('sealed-secrets', 'kubeseal', { HOMELAB_DR_CACHE: '/c' })).toBe(`/c/bin/sealed-secrets-${sealedSecretsPin}/kubeseal`);
  });

  it('has a pin for every component', () => {
    for (const component of ['kubernetes', 'etcd', 'kwok', 'sealed-secrets', 'helm', 'age', 'sops'] as const) {
      expect(pinnedVersion(component)).toMatch(/^v\d+\.\d+\.\d+$/);
    }
  });
});
