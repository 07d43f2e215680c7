// `homelab-dr version`: the version of package.json, the pins of scripts/control-plane.pins (the file
// control-plane.sh sources), and whether each pinned component is built in the cache.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePins } from '../../src/util/binaries.js';

const cli = resolve('bin/homelab-dr.js');
const packageVersion = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const pins = parsePins(readFileSync('scripts/control-plane.pins', 'utf8'));

function version(args: string[], cache: string): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [cli, 'version', ...args], { encoding: 'utf8', env: { ...process.env, HOMELAB_DR_CACHE: cache } });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('homelab-dr version', () => {
  it('-o json: the package version, every pin, and what the cache holds', () => {
    const cache = mkdtempSync(join(tmpdir(), 'hdr-version-'));
    try {
      // Only kwok is built in this cache: the rehearsal cache as a whole is not.
      mkdirSync(join(cache, 'bin', `kwok-${pins.get('KWOK_VERSION')}`), { recursive: true });
      const r = version(['-o', 'json'], cache);
      expect(r.err).toBe('');
      expect(r.status).toBe(0);
      const report = JSON.parse(r.out);
      expect(report).toMatchObject({ apiVersion: 'homelab-dr/v1', kind: 'Version', version: packageVersion, cache: { path: cache, built: false } });
      const byName = Object.fromEntries(report.components.map((c: { name: string }) => [c.name, c]));
      expect(byName['kubernetes']).toEqual({ name: 'kubernetes', version: pins.get('K8S_VERSION'), built: false });
      expect(byName['sealed-secrets']).toEqual({ name: 'sealed-secrets', version: pins.get('SEALED_SECRETS_VERSION'), built: false });
      expect(byName['kwok']).toEqual({ name: 'kwok', version: pins.get('KWOK_VERSION'), built: true });
      expect(report.components).toHaveLength(pins.size);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('text: says the cache is not built and how to build it', () => {
    const cache = mkdtempSync(join(tmpdir(), 'hdr-version-'));
    try {
      const r = version([], cache);
      expect(r.status).toBe(0);
      expect(r.out).toContain(`homelab-dr ${packageVersion}`);
      expect(r.out).toContain(`rehearsal cache ${cache}: not built (bash scripts/control-plane.sh builds it`);
      expect(r.out).toMatch(new RegExp(`kubernetes\\s+${pins.get('K8S_VERSION')}\\s+not built`));
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('--version prints the same version', () => {
    const r = spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8' });
    expect(r.stdout).toBe(`homelab-dr ${packageVersion}\n`);
  });
});
