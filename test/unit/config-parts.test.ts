import { describe, expect, it } from 'vitest';
import { isAddressOrCidr } from '../../src/config/cross-checks.js';
import { parseDuration } from '../../src/config/duration.js';
import { formatFieldPath, pointerToPath } from '../../src/config/field-path.js';
import { findAppsWaitBesideList } from '../../src/config/legacy-apps-wait.js';
import { configSchema } from '../../src/config/schema.js';
import { closestMatch, editDistance } from '../../src/config/suggest.js';

describe('parseDuration', () => {
  it.each([
    ['10m', 600_000],
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['2h', 7_200_000],
    ['1m30s', 90_000],
    ['1500ms', 1_500],
    ['1s500ms', 1_500],
    ['0s', 0],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', '10x', '1m1h', 'm', '-1m', '1.5h', '10 m', '1ms1s'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('agrees with the schema pattern on every sample', () => {
    const definitions = configSchema.definitions as Record<string, { pattern: string }>;
    const pattern = new RegExp(definitions.duration!.pattern, 'u');
    for (const text of ['10m', '90s', '1h30m', '1500ms', '1s500ms', '', '10', '1m1h', '1ms1s', '1.5h']) {
      expect(pattern.test(text), text).toBe(parseDuration(text) !== undefined);
    }
  });
});

describe('suggestions', () => {
  it('counts a transposition as one edit', () => {
    expect(editDistance('nmae', 'name')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests only close candidates', () => {
    expect(closestMatch('nmae', ['name', 'provider'])).toBe('name');
    expect(closestMatch('secretstores', ['secrets', 'secretStores'])).toBe('secretStores');
    expect(closestMatch('timeoutMs', ['timeout'])).toBe('timeout');
    expect(closestMatch('frobnicate', ['cluster', 'apps', 'drill'])).toBeUndefined();
    expect(closestMatch('xy', ['apps'])).toBeUndefined();
  });
});

describe('isAddressOrCidr', () => {
  it.each(['192.168.1.0/24', '10.0.0.1', '0.0.0.0/0', 'fd00::/64', '::1', '2001:db8::/128'])('%s is valid', (text) => {
    expect(isAddressOrCidr(text)).toBe(true);
  });
  it.each(['192.168.1.0/33', '192.168.1.0/', '192.168.1/24', 'fd00::/129', 'lan', '10.0.0.0/8/8', '10.0.0.0/-1', '10.0.0.0/ 8'])('%s is invalid', (text) => {
    expect(isAddressOrCidr(text)).toBe(false);
  });
});

describe('field paths', () => {
  it('reads like the YAML', () => {
    expect(formatFieldPath([])).toBe('(top level)');
    expect(formatFieldPath(['cluster', 'servers'])).toBe('cluster.servers');
    expect(formatFieldPath(['apps', 1, 'helm', 'chart'])).toBe('apps[1].helm.chart');
    expect(formatFieldPath(['secretStores', 'vault-file', 'path'])).toBe('secretStores.vault-file.path');
    expect(formatFieldPath(['secrets', 0, 'labels', 'argocd.argoproj.io/secret-type'])).toBe('secrets[0].labels["argocd.argoproj.io/secret-type"]');
  });

  it('numbers only list indices, not numeric mapping keys', () => {
    const data = { secrets: [{ data: { '0': {} } }], 'a/b': { '~x': 1 } };
    expect(pointerToPath('/secrets/0/data/0', data)).toEqual(['secrets', 0, 'data', '0']);
    expect(pointerToPath('/a~1b/~0x', data)).toEqual(['a/b', '~x']);
  });
});

describe('findAppsWaitBesideList (the older example\'s invalid apps/wait shape, and nothing else)', () => {
  it('finds the wait line of that shape', () => {
    const shape = ['apps:', '  - name: web', '    manifests: ./web', '  # a comment', '  wait: { timeout: 10m }', 'drill: {}', ''].join('\n');
    expect(findAppsWaitBesideList(shape)).toBe(4);
  });

  it.each([
    ['wait deeper than the items', 'apps:\n  - name: web\n    wait: 1\n'],
    ['wait shallower than the items', 'apps:\n  - name: web\n wait: { timeout: 1m }\n'],
    ['something other than wait', 'apps:\n  - name: web\n  timeout: 1m\n'],
    ['wait followed by an indented line that is not part of it', 'apps:\n  - name: a\n  wait: {}\n  - name: b\n'],
    ['no apps list at all', 'cluster:\n  - name: web\n  wait: {}\n'],
    ['apps at column 0 items', 'apps:\n- name: web\nwait: {}\n'],
  ])('leaves alone: %s', (_, text) => {
    expect(findAppsWaitBesideList(text)).toBeUndefined();
  });
});
