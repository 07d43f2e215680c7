// Starts one real control plane (kwok provider) for the integration tests and always tears it down:
// on normal completion, on a failed setup, and on SIGINT/SIGTERM or any other process exit. Missing
// binaries fail the run loudly: CI builds them first, so a silent skip would hide a broken pipeline.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { controlPlaneBinaries } from '../../src/cluster/control-plane-binaries.js';
import { KwokProvider } from '../../src/cluster/kwok.js';
import './context.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  controlPlaneBinaries(['kubeApiserver', 'kubeControllerManager', 'kubeScheduler', 'kubectl', 'etcd', 'kwok', 'kwokctl', 'sealedSecretsController', 'kubeseal', 'helm', 'sealedSecretsModuleDir']);
  const root = mkdtempSync(join(tmpdir(), 'hdr-it-'));
  const provider = new KwokProvider({ root: join(root, 'kwok') });
  const cluster = `hdr-it-${process.pid}`;
  const nodeName = `${cluster}-server-0`;

  let tornDown = false;
  const teardown = async (): Promise<void> => {
    if (tornDown) return;
    tornDown = true;
    const started = Date.now();
    try {
      await provider.delete(cluster);
      console.log(`[integration] kwok cluster ${cluster} deleted in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  // Vitest answers SIGINT/SIGTERM with process.exit() a millisecond later, so an awaited teardown
  // would never finish: the 'exit' hook tears down synchronously instead.
  const teardownNow = (): void => {
    if (tornDown) return;
    tornDown = true;
    try {
      provider.deleteNow(cluster);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  const exitOnSignal = (signal: NodeJS.Signals): void => process.exit(signal === 'SIGINT' ? 130 : 143);
  process.once('exit', teardownNow);
  process.once('SIGINT', exitOnSignal);
  process.once('SIGTERM', exitOnSignal);

  const started = Date.now();
  try {
    await provider.create(cluster, { nodeName });
  } catch (err) {
    await teardown();
    throw err;
  }
  console.log(`[integration] kwok cluster ${cluster} ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);

  const kubeconfig = await provider.kubeconfig(cluster);
  process.env.HOMELAB_DR_IT_KUBECONFIG = kubeconfig;
  project.provide('kwokRoot', provider.root);
  project.provide('kwokCluster', cluster);
  project.provide('kwokKubeconfig', kubeconfig);
  project.provide('kwokNodeName', nodeName);

  return async () => {
    await teardown();
    process.off('exit', teardownNow);
    process.off('SIGINT', exitOnSignal);
    process.off('SIGTERM', exitOnSignal);
  };
}
