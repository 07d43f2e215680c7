// Issue 14 §7: the kwok rehearsal's pinned versions against the config's production versions, said in
// plan and in the drill report; the pins come from scripts/control-plane.pins and are not repeated.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseCli } from '../../src/cli/args.js';
import { buildPlanReport, renderPlan } from '../../src/cli/commands/plan.js';
import { describe, expect, it } from 'vitest';
import { fidelityOf, fidelityOfConfig, versionOfImage } from '../../src/fidelity.js';
import type { KubeObject } from '../../src/k8s/types.js';
import { Journal } from '../../src/engine/journal.js';
import { readPins, PINNED_COMPONENTS } from '../../src/pins.js';
import { renderReportMarkdown } from '../../src/report/markdown.js';
import { summarizeDrill } from '../../src/report/summary.js';
import { parsePins } from '../../src/util/binaries.js';

const PINS = { kubernetes: 'v1.33.4', 'sealed-secrets': 'v0.27.1' };

function controller(image: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'sealed-secrets-controller', namespace: 'kube-system' },
    spec: { template: { metadata: {}, spec: { containers: [{ name: 'c', image }] } } },
  } as unknown as KubeObject;
}

describe('versionOfImage', () => {
  it('reads the version of a k3s tag and of a sealed-secrets tag, with or without v, with a digest', () => {
    expect(versionOfImage('rancher/k3s:v1.32.2-k3s1')).toBe('v1.32.2');
    expect(versionOfImage('docker.io/bitnami/sealed-secrets-controller:0.27.1')).toBe('v0.27.1');
    expect(versionOfImage('registry.local:5000/k3s:v1.33.4-k3s1@sha256:abcd')).toBe('v1.33.4');
    expect(versionOfImage('registry.local:5000/rancher/k3s')).toBeUndefined();
    expect(versionOfImage('rancher/k3s:latest')).toBeUndefined();
  });
});

describe('fidelityOf', () => {
  it('says exact when production runs the pinned versions', () => {
    const f = fidelityOf({ k3sImage: 'rancher/k3s:v1.33.4-k3s1', sealedSecretsObjects: [controller('bitnami/sealed-secrets-controller:v0.27.1')] }, PINS);
    expect(f.exact).toBe(true);
    expect(f.lines).toEqual([
      'Kubernetes: the rehearsal runs v1.33.4, as production does (cluster.image rancher/k3s:v1.33.4-k3s1)',
      'sealed-secrets: the rehearsal runs v0.27.1, as production does (controller image bitnami/sealed-secrets-controller:v0.27.1)',
    ]);
  });

  it('says aloud where production differs from the rehearsal', () => {
    const f = fidelityOf({ k3sImage: 'rancher/k3s:v1.32.2-k3s1', sealedSecretsObjects: [controller('docker.io/bitnami/sealed-secrets-controller:0.26.3')] }, PINS);
    expect(f.exact).toBe(false);
    expect(f.lines).toEqual([
      'Kubernetes: the rehearsal runs v1.33.4 where production runs v1.32.2 (cluster.image rancher/k3s:v1.32.2-k3s1); a green rehearsal does not prove v1.32.2',
      'sealed-secrets: the rehearsal runs v0.27.1 where production runs v0.26.3 (controller image docker.io/bitnami/sealed-secrets-controller:0.26.3); a green rehearsal does not prove v0.26.3',
    ]);
  });

  it('an unknown production version is not taken for a match', () => {
    const f = fidelityOf({ sealedSecretsObjects: [controller('nginx:1.27'), controller('a/sealed-secrets-controller:0.26.0'), controller('b/sealed-secrets-controller:0.27.1')] }, PINS);
    expect(f.exact).toBe(false);
    expect(f.lines[0]).toBe('Kubernetes: the rehearsal runs v1.33.4; production\'s version is unknown (the config sets no cluster.image)');
    expect(f.lines[1]).toContain("production's version is unknown (controller images a/sealed-secrets-controller:0.26.0, b/sealed-secrets-controller:0.27.1 name no single version)");
    expect(fidelityOf({ k3sImage: 'rancher/k3s:latest', sealedSecretsObjects: [] }, PINS).lines).toEqual([
      "Kubernetes: the rehearsal runs v1.33.4; production's version is unknown (cluster.image rancher/k3s:latest has no version tag)",
      "sealed-secrets: the rehearsal runs v0.27.1; production's version is unknown (no sealed-secrets-controller image in sealedSecrets.controller.manifests)",
    ]);
  });

  it('compares against the pins file, the one place the numbers live', () => {
    const file = parsePins(readFileSync(join(import.meta.dirname, '../../scripts/control-plane.pins'), 'utf8'));
    const pins = readPins();
    expect(pins.kubernetes).toBe(file.get('K8S_VERSION'));
    expect(pins['sealed-secrets']).toBe(file.get('SEALED_SECRETS_VERSION'));
    for (const c of PINNED_COMPONENTS) expect(pins[c]).toMatch(/^v\d+\.\d+\.\d+$/);
    const older = fidelityOfConfig('rancher/k3s:v1.30.0-k3s1', []);
    expect(older.lines[0]).toBe(`Kubernetes: the rehearsal runs ${pins.kubernetes} where production runs v1.30.0 (cluster.image rancher/k3s:v1.30.0-k3s1); a green rehearsal does not prove v1.30.0`);
  });
});

describe('the drill report says the fidelity', () => {
  const journal = () => Journal.read(join(import.meta.dirname, '../fixtures/report', 'green-kwok.jsonl'));
  const base = { versions: { 'homelab-dr': '0.1.0' }, config: 'homelab.yaml', now: new Date('2026-11-25T20:00:00.000Z') };

  it('a rehearsal report has a fidelity section in report.md and the lines in report.json', () => {
    const fidelity = fidelityOf({ k3sImage: 'rancher/k3s:v1.32.2-k3s1', sealedSecretsObjects: [] }, PINS).lines;
    const summary = summarizeDrill({ journal: journal(), fidelity, ...base });
    expect(summary.fidelity).toEqual(fidelity);
    const md = renderReportMarkdown(summary);
    expect(md).toContain('## Rehearsal fidelity\n\n- Kubernetes: the rehearsal runs v1.33.4 where production runs v1.32.2');
  });

  it('a report without fidelity (a drill on k3d runs the config\'s own image) has no such section', () => {
    const summary = summarizeDrill({ journal: journal(), ...base });
    expect(summary.fidelity).toBeUndefined();
    expect(renderReportMarkdown(summary)).not.toContain('Rehearsal fidelity');
  });
});

describe('plan says the fidelity', { timeout: 60_000 }, () => {
  it("the bundled example: its sealed-secrets is the pin's; its k3s image (v1.33.4, a tag that exists) is older than the pinned Kubernetes, and plan says so", async () => {
    const report = await buildPlanReport(parseCli(['plan', '-c', resolve('config/example/homelab.yaml')]));
    const pins = readPins();
    expect(report.fidelity.exact).toBe(false);
    const text = renderPlan(report);
    expect(text).toContain('Rehearsal fidelity (--provider kwok runs the pinned control plane):\n');
    expect(text).toContain(`  Kubernetes: the rehearsal runs ${pins.kubernetes} where production runs v1.33.4 (cluster.image rancher/k3s:v1.33.4-k3s1); a green rehearsal does not prove v1.33.4\n`);
    expect(text).toContain(`  sealed-secrets: the rehearsal runs ${pins['sealed-secrets']}, as production does (controller image docker.io/bitnami/sealed-secrets-controller:0.27.3)\n`);
  });

  it('a config whose k3s image and controller are older than the pins: both named in plan', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hdr-fidelity-'));
    try {
      cpSync(resolve('config/example'), dir, { recursive: true });
      const config = join(dir, 'homelab.yaml');
      writeFileSync(config, readFileSync(config, 'utf8').replace('rancher/k3s:v1.33.4-k3s1', 'rancher/k3s:v1.32.2-k3s1'));
      const controller = join(dir, 'kubernetes/sealed-secrets/controller.yaml');
      writeFileSync(controller, readFileSync(controller, 'utf8').replace('sealed-secrets-controller:0.27.3', 'sealed-secrets-controller:0.26.3'));
      const text = renderPlan(await buildPlanReport(parseCli(['plan', '-c', config])));
      const pins = readPins();
      expect(text).toContain('Rehearsal fidelity (--provider kwok runs the pinned control plane):\n');
      expect(text).toContain(`  Kubernetes: the rehearsal runs ${pins.kubernetes} where production runs v1.32.2 (cluster.image rancher/k3s:v1.32.2-k3s1)`);
      expect(text).toContain(`  sealed-secrets: the rehearsal runs ${pins['sealed-secrets']} where production runs v0.26.3 (controller image docker.io/bitnami/sealed-secrets-controller:0.26.3)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
