// What the k3d and existing providers share: private files under homelab-dr's state directory, and
// reading node names and the apiserver address through a kubeconfig.
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError } from '../util/errors.js';

/**
 * Writes a file only its owner can read, in a directory only its owner can enter. The file appears
 * whole (rename), so a reader never sees half a kubeconfig.
 */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, text, { mode: 0o600 });
  await chmod(partial, 0o600);
  await rename(partial, path);
}

// The Kubernetes client is loaded on first use: plan reaches providers (to count a blast radius) and
// must not pay for @kubernetes/client-node when no cluster answers.
export async function nodeNamesVia(kubeconfigPath: string): Promise<string[]> {
  const { KubeClient } = await import('../kube/client.js');
  const client = await KubeClient.fromKubeconfig(kubeconfigPath);
  try {
    return (await client.list({ apiVersion: 'v1', kind: 'Node' })).map((node) => node.metadata.name);
  } finally {
    client.close();
  }
}

export async function apiServerOf(kubeconfigPath: string): Promise<string> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new InputError(`kubeconfig ${kubeconfigPath} names no server for its current context`);
  return server;
}
