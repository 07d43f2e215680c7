// Issue 14 §2: `lint` and `plan` of helm and kustomize apps work on a machine with node, kubectl and
// helm and no Go and no build cache. The compiled CLI runs with a PATH of one directory holding only
// symlinks to node, kubectl and helm (the real binaries, taken from the cache), and HOMELAB_DR_CACHE
// at an empty directory, so nothing can come from the cache. `npm run test:unit` builds dist/ first.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedBinary } from '../../src/util/binaries.js';

const REPO = resolve(import.meta.dirname, '../..');
const CLI = join(REPO, 'bin/homelab-dr.js');
const root = mkdtempSync(join(tmpdir(), 'hdr-tools-path-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A directory of symlinks to the named real binaries: the whole PATH of the child. */
function pathOf(name: string, tools: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir);
  for (const [tool, target] of Object.entries(tools)) symlinkSync(target, join(dir, tool));
  return dir;
}

const node = process.execPath;
const kubectl = cachedBinary('kubernetes', 'kubectl');
const helm = cachedBinary('helm', 'helm');

// The bundled example: one helm app (argocd), one kustomize app (media), one of plain manifests.
const example = join(root, 'example');
cpSync(join(REPO, 'config/example'), example, { recursive: true });
const config = join(example, 'homelab.yaml');

function cli(args: string[], path: string, extra: NodeJS.ProcessEnv = {}): { code: number | null; out: string } {
  // No inherited environment: only what a fresh operator's shell would have, and no cache.
  const env = { HOME: root, PATH: path, HOMELAB_DR_CACHE: join(root, 'no-cache'), XDG_STATE_HOME: join(root, 'state'), ...extra };
  // Provider existing: the operator's own cluster, so nothing of the rehearsal (kwok) is asked for; and
  // unlike k3d it keeps its SealedSecret CRD, which the example's controller manifests do not bring.
  const r = spawnSync(node, [CLI, ...args, '--provider', 'existing', '--config', config], { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('tools from the operator PATH, without Go and without the build cache', { timeout: 60_000 }, () => {
  const full = pathOf('full', { node, kubectl, helm });

  it('the child PATH has no go, no bash, and nothing but node, kubectl and helm', () => {
    const r = spawnSync(node, ['-e', 'console.log(require("fs").readdirSync(process.env.PATH).sort().join(","))'], { env: { PATH: full }, encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('helm,kubectl,node');
  });

  it('lint renders the helm and the kustomize app and finds no problem', () => {
    const { code, out } = cli(['lint'], full);
    expect(out).toContain(`lint: ${config}: no problems found`);
    expect(code).toBe(0);
  });

  it('plan renders the helm and the kustomize app with the tools from PATH', () => {
    const { code, out } = cli(['plan'], full);
    expect(out).not.toContain('PROBLEM');
    expect(out).toMatch(/argocd \(helm \S+charts\/argo-cd\): \d+ ServiceAccount/);
    expect(out).toMatch(/media \(kustomize \S+apps\/media\): \d+ Service/);
    expect(code).toBe(0);
  });

  it('a missing helm is named, with where it was looked for and how to get it: lint exit 1, plan says PROBLEM', () => {
    const noHelm = pathOf('no-helm', { node, kubectl });
    const lint = cli(['lint'], noHelm);
    expect(lint.out).toContain(`helm is not installed: not found on PATH (${noHelm}); to get it: install helm 3`);
    expect(lint.code).toBe(1);
    const plan = cli(['plan'], noHelm);
    expect(plan.out).toContain('PROBLEM: cannot plan: app argocd');
    expect(plan.out).toContain('helm is not installed');
    expect(plan.code).toBe(0);
  });

  it('a helm out of the supported range, given by HOMELAB_DR_HELM, is refused with its version, the range and where it came from', () => {
    const fake = join(root, 'helm4');
    writeFileSync(fake, '#!/bin/sh\necho \'version.BuildInfo{Version:"v4.0.1", GitCommit:""}\'\n');
    chmodSync(fake, 0o755);
    const { code, out } = cli(['lint'], full, { HOMELAB_DR_HELM: fake });
    expect(out).toContain(`helm 4.0.1 from HOMELAB_DR_HELM=${fake} is outside the supported range (supported: >=3.12.0 <4.0.0)`);
    expect(code).toBe(1);
  });
});
