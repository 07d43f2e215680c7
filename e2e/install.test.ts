// The package as a user installs it: `npm pack`, then `npm install -g` of the tarball into a prefix of
// the test's own, then the installed `homelab-dr` runs from outside the repository. A package that
// ships no dist/, or a CLI that reads files only the repository has, fails here.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const repo = resolve(import.meta.dirname, '..');
const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;

function sh(command: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 300_000, env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false' } });
  if (result.error) throw result.error;
  return result;
}

// Each CLI start renders the example's helm chart: a loaded 2-core machine needs more than vitest's 5 s.
describe('installed from npm pack', { timeout: 120_000 }, () => {
  let work = '';
  let bin = '';

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'hdr-install-'));
    const packed = sh('npm', ['pack', '--pack-destination', work], repo);
    expect(packed.status, packed.stderr).toBe(0);
    const tarball = readdirSync(work).find((f) => f.startsWith('homelab-dr-') && f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    const prefix = join(work, 'prefix');
    const installed = sh('npm', ['install', '-g', '--prefix', prefix, join(work, tarball!)], work);
    expect(installed.status, installed.stderr).toBe(0);
    bin = join(prefix, 'bin', 'homelab-dr');
  }, 600_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('--version prints the version of package.json', () => {
    const out = sh(bin, ['--version'], work);
    expect(out.status).toBe(0);
    expect(out.stdout.trim()).toBe(`homelab-dr ${version}`);
  });

  test('--help lists the commands and exits 0', () => {
    const out = sh(bin, ['--help'], work);
    expect(out.status).toBe(0);
    expect(out.stdout).toContain('hard-reset');
    expect(out.stdout).toContain('dr-test');
  });

  test('lint and plan of the bundled example work from outside the repository', () => {
    const example = join(work, 'example');
    cpSync(join(repo, 'config', 'example'), example, { recursive: true });
    const config = join(example, 'homelab.yaml');
    const lint = sh(bin, ['lint', '--config', config], work);
    expect(lint.status, lint.stdout + lint.stderr).toBe(0);
    const plan = sh(bin, ['plan', '--config', config], work);
    expect(plan.status, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('create-cluster');
    expect(plan.stdout).toContain('reseal-secrets');
  });

  test('a bad config is exit 2 naming file and line, as in the repository', () => {
    const out = sh(bin, ['lint', '--config', join(work, 'missing.yaml')], work);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('missing.yaml');
  });
});
