// Preflight's tool check, with PATH pointing at a directory of this test's own: the tools come from the
// selected steps' declared uses, each is asked for its version, and a missing or silent one is named
// with how to get it.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { HomelabConfig } from '../../src/config/types.js';
import { cachedBinary } from '../../src/util/binaries.js';
import type { Step } from '../../src/engine/types.js';
import { checkTool, locateTool, SUPPORTED_VERSIONS, toolPath, toolSourceOf, TOOLS, versionProblem } from '../../src/util/tools.js';
import type { RecoveryContext } from '../../steps/context.js';
import { firewallStep } from '../../steps/firewall.js';
import { toolProblems, toolsOfSteps } from '../../steps/tool-checks.js';

function binDir(scripts: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'hdr-tools-'));
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

function context(steps: Step<RecoveryContext>[]): RecoveryContext {
  const config = {
    cluster: { name: 'homelab', provider: 'k3d', ports: [] },
    firewall: { backend: 'nftables', table: 'homelab_dr', defaultInput: 'drop', allow: [{ port: 22, proto: 'tcp' }] },
  } as unknown as HomelabConfig;
  return { config, mode: 'hard-reset', providerName: 'k3d', clusterName: 'homelab', signal: new AbortController().signal, log: pino({ level: 'silent' }), selectedSteps: steps } as unknown as RecoveryContext;
}

/** A step that declares the given tools and does nothing else (the check reads only `uses`). */
function stepUsing(id: string, tools: string[]): Step<RecoveryContext> {
  return {
    id,
    title: id,
    needs: [],
    destructive: false,
    uses: async () => tools.map((t) => ({ name: `tool ${t}`, target: t, inCluster: false, reason: 'test' })),
    plan: async () => [],
    apply: async () => undefined,
    verify: async () => ({ ok: true, missing: [] }),
  };
}

describe('where a tool comes from', () => {
  const onPath = binDir({ kubectl: 'echo "Client Version: v1.33.4"' });
  const fromConfig = join(binDir({ kubectl: 'echo "Client Version: v1.31.0"' }), 'kubectl');
  const fromEnv = join(binDir({ kubectl: 'echo "Client Version: v1.32.0"' }), 'kubectl');

  it('HOMELAB_DR_<TOOL> wins over the config, the config over PATH', () => {
    expect(locateTool('kubectl', { env: { PATH: onPath, HOMELAB_DR_KUBECTL: fromEnv }, configured: { kubectl: fromConfig } })).toEqual({ path: fromEnv, from: `HOMELAB_DR_KUBECTL=${fromEnv}` });
    expect(locateTool('kubectl', { env: { PATH: onPath }, configured: { kubectl: fromConfig } })).toEqual({ path: fromConfig, from: `the config's tools.kubectl (${fromConfig})` });
    expect(locateTool('kubectl', { env: { PATH: onPath } })).toEqual({ path: join(onPath, 'kubectl'), from: `PATH (${join(onPath, 'kubectl')})` });
  });

  it('an explicit path that is not there is not replaced by the one on PATH', async () => {
    const check = await checkTool('kubectl', { env: { PATH: onPath, HOMELAB_DR_KUBECTL: '/nonexistent/kubectl' } });
    expect(check.ok).toBe(false);
    expect(check.detail).toContain('kubectl is not installed: not found at HOMELAB_DR_KUBECTL=/nonexistent/kubectl');
  });

  it('only the kwok rehearsal looks in the build cache before PATH, and only for kubectl, helm, age and sops', () => {
    const cache = mkdtempSync(join(tmpdir(), 'hdr-cache-'));
    const cachedKubectl = cachedBinary('kubernetes', 'kubectl', { HOMELAB_DR_CACHE: cache });
    mkdirSync(dirname(cachedKubectl), { recursive: true });
    writeFileSync(cachedKubectl, '#!/bin/sh\n');
    chmodSync(cachedKubectl, 0o755);
    const env = { PATH: onPath, HOMELAB_DR_CACHE: cache };
    expect(locateTool('kubectl', toolSourceOf({ cluster: { provider: 'k3d' } }, env)).path).toBe(join(onPath, 'kubectl'));
    expect(locateTool('kubectl', toolSourceOf({ cluster: { provider: 'existing' } }, env)).path).toBe(join(onPath, 'kubectl'));
    expect(locateTool('kubectl', toolSourceOf({ cluster: { provider: 'kwok' } }, env)).path).toBe(cachedKubectl);
    // nft is no pinned build: the rehearsal's message names the operator's PATH alone.
    expect(locateTool('nft', toolSourceOf({ cluster: { provider: 'kwok' } }, env))).toEqual({ from: `on PATH (${onPath})` });
  });
});

describe('supported versions', () => {
  it('a version inside the range passes, one outside names the version, the range and where it came from', () => {
    expect(versionProblem('kubectl', 'Client Version: v1.33.4', 'PATH (/usr/bin/kubectl)')).toBeUndefined();
    expect(versionProblem('helm', 'version.BuildInfo{Version:"v3.18.4", GitCommit:""}', 'PATH')).toBeUndefined();
    expect(versionProblem('kubectl', 'Client Version: v1.29.9', 'PATH (/usr/bin/kubectl)')).toBe(
      'kubectl 1.29.9 from PATH (/usr/bin/kubectl) is outside the supported range (supported: >=1.30.0 <1.35.0); install a supported kubectl or point HOMELAB_DR_KUBECTL or the config\'s tools.kubectl at one',
    );
    expect(versionProblem('helm', 'version.BuildInfo{Version:"v4.0.0"}', 'x')).toContain('helm 4.0.0 from x is outside the supported range (supported: >=3.12.0 <4.0.0)');
    expect(versionProblem('sops', 'sops', 'x')).toContain('printed no version this release can read');
  });

  it('the pinned builds the rehearsal runs are inside the ranges an operator is held to', async () => {
    const { pinnedVersion } = await import('../../src/util/binaries.js');
    expect(versionProblem('kubectl', pinnedVersion('kubernetes'), 'pin')).toBeUndefined();
    for (const tool of ['helm', 'sops', 'age'] as const) expect(versionProblem(tool, pinnedVersion(tool), 'pin')).toBeUndefined();
    expect(Object.keys(SUPPORTED_VERSIONS).sort()).toEqual(['age', 'helm', 'k3d', 'kubectl', 'sops']);
  });

  it('toolPath refuses a tool out of range with the check\'s message, and returns one in range', async () => {
    const old = binDir({ helm: 'echo \'version.BuildInfo{Version:"v3.11.3"}\'' });
    await expect(toolPath('helm', { env: { PATH: old } })).rejects.toThrow(`helm 3.11.3 from PATH (${join(old, 'helm')}) is outside the supported range (supported: >=3.12.0 <4.0.0)`);
    const good = binDir({ helm: 'echo \'version.BuildInfo{Version:"v3.18.4"}\'' });
    await expect(toolPath('helm', { env: { PATH: good } })).resolves.toBe(join(good, 'helm'));
  });
});

describe('checkTool', () => {
  it('runs the version command and reports its first line', async () => {
    const dir = binDir({ nft: 'echo "nftables v1.0.9 (Old Doc Yak #3)"' });
    const check = await checkTool('nft', { env: { PATH: dir } });
    expect(check).toEqual({ tool: 'nft', ok: true, detail: `${join(dir, 'nft')}: nftables v1.0.9 (Old Doc Yak #3)`, path: join(dir, 'nft') });
  });

  it('a tool not on PATH is named with the package that provides it', async () => {
    const check = await checkTool('nft', { env: { PATH: binDir({}) } });
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/^nft is not installed: not found on PATH \(.*\); to get it: apt-get install nftables$/);
  });

  it('a tool that is present but does not answer its version command fails, with its exit code', async () => {
    const dir = binDir({ k3d: 'echo "k3d: broken install" >&2; exit 3' });
    const check = await checkTool('k3d', { env: { PATH: dir } });
    expect(check.ok).toBe(false);
    expect(check.detail).toContain('k3d does not answer: `');
    expect(check.detail).toContain('exited 3 (k3d: broken install)');
    expect(check.detail).toContain('https://k3d.io');
  });

  it("a rehearsal component (kwokctl) is looked up in the build cache only, never on PATH", async () => {
    const check = await checkTool('kwokctl', { env: { PATH: binDir({ kwokctl: 'echo fake' }), HOMELAB_DR_CACHE: mkdtempSync(join(tmpdir(), 'hdr-cache-')) } });
    expect(check.ok).toBe(false);
    expect(check.detail).toContain('scripts/control-plane.sh');
  });

  it('every tool a step declares has a version check', async () => {
    const unknown = await checkTool('frobnicate', { env: { PATH: '' } });
    expect(unknown.detail).toContain('no version check is known for frobnicate');
    for (const tool of ['k3d', 'docker', 'nft', 'unshare', 'ip', 'kwokctl', 'kubectl', 'helm', 'sops', 'age', 'sealed-secrets-controller']) expect(TOOLS[tool]).toBeDefined();
  });
});

describe('toolProblems follows the selected steps', () => {
  it('with the firewall step selected and no nft, names nft, the step that runs it and how to get it', async () => {
    const env = { PATH: binDir({ k3d: 'echo k3d version v5.8.3', docker: 'echo Docker 27' }) };
    const problems = await toolProblems(context([stepUsing('create-cluster', ['k3d', 'docker']), firewallStep(env)]), env);
    expect(problems).toEqual([
      { check: 'tools', subject: 'tool nft', message: expect.stringMatching(/^nft is not installed: .*apt-get install nftables \(run by firewall\)$/) },
    ]);
  });

  it('with the firewall step not selected, nft is never asked for', async () => {
    const env = { PATH: binDir({ k3d: 'echo k3d version v5.8.3', docker: 'echo Docker 27' }) };
    const ctx = context([stepUsing('create-cluster', ['k3d', 'docker'])]);
    expect((await toolsOfSteps(ctx.selectedSteps!, ctx)).tools).toEqual(new Map([['k3d', ['create-cluster']], ['docker', ['create-cluster']]]));
    expect(await toolProblems(ctx, env)).toEqual([]);
  });

  it("a run asks each tool for its version once: preflight's verify, apply and second verify share the answer; another run asks again", async () => {
    const asked = join(mkdtempSync(join(tmpdir(), 'hdr-tools-asked-')), 'asked');
    const env = { PATH: binDir({ k3d: `echo asked >> ${asked}; echo k3d version v5.8.3` }) };
    const run = context([stepUsing('create-cluster', ['k3d'])]);
    for (let i = 0; i < 3; i++) expect(await toolProblems(run, env)).toEqual([]);
    expect(readFileSync(asked, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(await toolProblems(context([stepUsing('create-cluster', ['k3d'])]), env)).toEqual([]);
    expect(readFileSync(asked, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('a tool two steps run is checked once and names both', async () => {
    const env = { PATH: binDir({}) };
    const problems = await toolProblems(context([stepUsing('delete-cluster', ['k3d']), stepUsing('create-cluster', ['k3d'])]), env);
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/^k3d is not installed: .* \(run by delete-cluster, create-cluster\)$/)]);
  });
});
