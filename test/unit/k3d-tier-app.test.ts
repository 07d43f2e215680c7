// The e2e homelab's app (scripts/k3d-tier/app) builds as a static binary with the standard library
// alone, and its own Go tests pass: the k3d tier's image build depends on both.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { which } from '../../src/util/helpers.js';
import { run } from '../../src/util/exec.js';

const APP = new URL('../../scripts/k3d-tier/app/', import.meta.url).pathname;
const go = which('go', process.env.PATH);
if (!go) console.warn('\n*** SKIPPING test/unit/k3d-tier-app.test.ts: go is not installed ***\n');

// Offline and apart from any workspace: the module needs nothing outside the standard library.
const goEnv = { ...process.env, GOWORK: 'off', GOFLAGS: '-mod=mod', GOPROXY: 'off', CGO_ENABLED: '0' };
const out = mkdtempSync(join(tmpdir(), 'hdr-app-build-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.skipIf(!go)('scripts/k3d-tier/app', () => {
  test('go.mod requires no module', () => {
    expect(readFileSync(join(APP, 'go.mod'), 'utf8')).not.toMatch(/^require/m);
  });

  test('its Go tests pass', async () => {
    const result = await run(go!, ['test', './...'], { cwd: APP, env: goEnv, timeoutMs: 240_000 });
    expect(result.stdout).toMatch(/^ok\s/m);
  }, 240_000);

  test('it builds with CGO_ENABLED=0 into a binary without cgo', async () => {
    const binary = join(out, 'app');
    await run(go!, ['build', '-o', binary, '.'], { cwd: APP, env: goEnv, timeoutMs: 240_000 });
    const info = await run(go!, ['version', '-m', binary], { env: goEnv });
    expect(info.stdout).toMatch(/\bCGO_ENABLED=0\b/);
    expect(info.stdout).not.toMatch(/\sdep\s/);
  }, 240_000);
});
