// The k3d tier's build-time switch (scripts/k3d-tier/build-bins.sh, docs/k3d-tier.md): each edit of k3d's
// source must match exactly one line, else the build stops saying the patch no longer applies.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const work = mkdtempSync(join(tmpdir(), 'hdr-k3d-patch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function patchLine(file: string, regex: string, replacement: string) {
  const script = `source scripts/k3d-tier/lib.sh && source scripts/k3d-tier/build-bins.sh && patch_line "$1" "$2" "$3"`;
  return spawnSync('bash', ['-c', script, 'patch', file, regex, replacement], {
    cwd: resolve(import.meta.dirname, '../..'),
    encoding: 'utf8',
    env: { ...process.env, HOMELAB_DR_CACHE: join(work, 'cache') },
  });
}

describe('patch_line', () => {
  test('replaces the one matching line, & included literally', () => {
    const file = join(work, 'translate.go');
    writeFileSync(file, 'func f() {\n\thostConfig.Privileged = true\n}\n');
    const r = patchLine(file, '^\\thostConfig.Privileged = true$', '\\tnodePrivileges(&hostConfig)');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('func f() {\n\tnodePrivileges(&hostConfig)\n}\n');
  });

  test('fails loudly when upstream moved the line', () => {
    const file = join(work, 'moved.go');
    writeFileSync(file, 'func f() {\n\thostConfig.Privileged = isPrivileged()\n}\n');
    const r = patchLine(file, '^\\thostConfig.Privileged = true$', '\\tnodePrivileges(&hostConfig)');
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('k3d patch no longer applies');
    expect(readFileSync(file, 'utf8')).toContain('isPrivileged()');
  });

  test('fails when the line is there twice (the edit would be ambiguous)', () => {
    const file = join(work, 'twice.go');
    writeFileSync(file, '\t\tPrivileged: true,\n\t\tPrivileged: true,\n');
    const r = patchLine(file, '^\\t\\tPrivileged: true,$', '\\t\\tPrivileged: !noPrivileged(),');
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('has 2 lines matching');
  });
});
