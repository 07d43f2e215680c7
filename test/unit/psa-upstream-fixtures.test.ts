// Issue 14: the upstream pod-security-admission fixtures (test/testdata/<level>/<version>/{pass,fail}
// of k8s.io/pod-security-admission at the release of the pinned Kubernetes), read from the Go module
// cache, are pods with known verdicts: pass is allowed at that level and version, fail is denied.
// The offline evaluator must give every one of them the same verdict.
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../src/k8s/manifests.js';
import { evaluatePodSecurity, podSecurityMessage, type PsaLevel } from '../../src/k8s/podsecurity.js';
import { pinnedVersion } from '../../src/util/binaries.js';
import { requireBuilt } from '../fixtures/go-cache.js';

// v1.33.4 of Kubernetes is v0.33.4 of its staging modules.
const moduleVersion = pinnedVersion('kubernetes').replace(/^v1\./, 'v0.');
const modCache = execFileSync('go', ['env', 'GOMODCACHE']).toString().trim();
const testdata = join(modCache, `k8s.io/pod-security-admission@${moduleVersion}`, 'test', 'testdata');
const present = requireBuilt(testdata, `the pod-security-admission ${moduleVersion} fixtures`);

interface Fixture {
  file: string;
  level: PsaLevel;
  version: string;
  expected: 'pass' | 'fail';
}

function fixtures(): Fixture[] {
  const found: Fixture[] = [];
  for (const level of ['baseline', 'restricted'] as const) {
    for (const version of readdirSync(join(testdata, level))) {
      for (const expected of ['pass', 'fail'] as const) {
        const dir = join(testdata, level, version, expected);
        for (const name of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) found.push({ file: join(dir, name), level, version, expected });
      }
    }
  }
  return found;
}

describe.skipIf(!present)(`PodSecurity: the upstream fixtures of k8s.io/pod-security-admission@${moduleVersion}`, () => {
  it('the offline evaluator gives every fixture its recorded verdict', () => {
    const all = fixtures();
    const disagreements: string[] = [];
    const counts = { pass: 0, fail: 0 };
    for (const fixture of all) {
      const [pod] = parseManifests(readFileSync(fixture.file, 'utf8'), fixture.file);
      const result = evaluatePodSecurity(pod!.obj, { level: fixture.level, version: fixture.version });
      counts[fixture.expected] += 1;
      if (result.allowed !== (fixture.expected === 'pass')) {
        disagreements.push(`${fixture.file.slice(testdata.length + 1)}: expected ${fixture.expected}, evaluator: ${podSecurityMessage(result)}`);
      }
    }
    console.log(`[unit] PSA upstream fixtures: ${all.length} pods (${counts.pass} pass, ${counts.fail} fail), ${disagreements.length} disagreement(s)`);
    expect(disagreements).toEqual([]);
    expect(all.length).toBe(3821);
  }, 120_000); // 3,821 files: seconds alone, more on a machine shared with other suites
});
