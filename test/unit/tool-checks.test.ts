// Preflight's tool check, with PATH pointing at a directory of this test's own: the tools come from the
// selected steps' declared uses, each is asked for its version, and a missing or silent one is named
// with how to get it.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { HomelabConfig } from '../../src/config/types.js';
import type { Step } from '../../src/engine/types.js';
import { checkTool, TOOLS } from '../../src/util/tools.js';
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

describe('checkTool', () => {
  it('runs the version command and reports its first line', async () => {
    const dir = binDir({ nft: 'echo "nftables v1.0.9 (Old Doc Yak #3)"' });
    const check = await checkTool('nft', { PATH: dir });
    expect(check).toEqual({ tool: 'nft', ok: true, detail: `${join(dir, 'nft')}: nftables v1.0.9 (Old Doc Yak #3)` });
  });

  it('a tool not on PATH is named with the package that provides it', async () => {
    const check = await checkTool('nft', { PATH: binDir({}) });
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/^nft is not installed: not found on PATH \(.*\); to get it: apt-get install nftables$/);
  });

  it('a tool that is present but does not answer its version command fails, with its exit code', async () => {
    const dir = binDir({ k3d: 'echo "k3d: broken install" >&2; exit 3' });
    const check = await checkTool('k3d', { PATH: dir });
    expect(check.ok).toBe(false);
    expect(check.detail).toContain('k3d does not answer: `');
    expect(check.detail).toContain('exited 3 (k3d: broken install)');
    expect(check.detail).toContain('https://k3d.io');
  });

  it('a pinned tool is looked up in the build cache only, never on PATH', async () => {
    const check = await checkTool('kubectl', { PATH: binDir({ kubectl: 'echo fake' }), HOMELAB_DR_CACHE: mkdtempSync(join(tmpdir(), 'hdr-cache-')) });
    expect(check.ok).toBe(false);
    expect(check.detail).toContain('scripts/control-plane.sh');
  });

  it('every tool a step declares has a version check', async () => {
    const unknown = await checkTool('frobnicate', { PATH: '' });
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

  it('a tool two steps run is checked once and names both', async () => {
    const env = { PATH: binDir({}) };
    const problems = await toolProblems(context([stepUsing('delete-cluster', ['k3d']), stepUsing('create-cluster', ['k3d'])]), env);
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/^k3d is not installed: .* \(run by delete-cluster, create-cluster\)$/)]);
  });
});
