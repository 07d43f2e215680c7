// The fault tests run the compiled CLI (bin/homelab-dr.js → dist/) as a child process, against the real
// control plane from the build cache. Compile first, so a test never runs yesterday's dist/; missing
// binaries fail loudly, as in the integration project (a silent skip would hide a broken pipeline).
import { execFileSync } from 'node:child_process';
import { controlPlaneBinaries } from '../../src/cluster/control-plane-binaries.js';

export default function setup(): void {
  controlPlaneBinaries(['kubeApiserver', 'kubeControllerManager', 'kubeScheduler', 'kubectl', 'etcd', 'kwok', 'kwokctl', 'sealedSecretsController', 'helm', 'sealedSecretsModuleDir']);
  const started = Date.now();
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  console.log(`[faults] compiled in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}
