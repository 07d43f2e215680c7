import { defineConfig } from 'vitest/config';
import { rehearsalPath } from './src/util/binaries.js';

// The tests run the pinned builds of kubectl, helm, age and sops (the Go-built cache), never whatever
// the machine has on PATH; a test that needs another PATH (tools-from-path) gives its child its own.
process.env.PATH = rehearsalPath(process.env);

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Some hooks make 4096-bit RSA keys: seconds of CPU, past the 10 s default on a loaded machine
          // (seen: seal-kubeseal.test.ts's beforeAll timed out at load 17). A hook still has a bound.
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          // Real host facilities in namespaces of our own (nftables in `ip netns`), no cluster.
          name: 'host',
          include: ['test/host/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          // Whole-system runs against real external tools; each file says when and why it skips.
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
        },
      },
      {
        test: {
          // Issue 8's corpus: one broken homelab per case, run through the compiled CLI as a child process.
          name: 'bad-input',
          include: ['test/bad-input/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          // Issue 8's fault injection: the compiled CLI killed, resumed, cut off from its apiserver, behind
          // a faulty proxy, and without its sealed-secrets controller, all on the real control plane.
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/faults/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
