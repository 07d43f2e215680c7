// Build step after tsc (see src/kube/kubeconfig-lib.ts): bundles client-node's KubeConfig into the compiled
// kubeconfig-lib.js in place, so a command loads one file instead of client-node's ~2,500 modules. The
// bundle is made at build time from the installed package and never committed; its licence comments stay.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'dist', 'src', 'kube', 'kubeconfig-lib.js');
if (!readFileSync(target, 'utf8').includes("from '@kubernetes/client-node'")) {
  throw new Error(`${target} is not tsc's output of src/kube/kubeconfig-lib.ts (run tsc first)`);
}
await build({
  entryPoints: [target],
  outfile: target,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Bundled CommonJS dependencies call require() for Node's built-ins, which an ES module lacks.
  banner: { js: "import { createRequire as __homelabDrCreateRequire } from 'node:module';\nconst require = __homelabDrCreateRequire(import.meta.url);" },
  legalComments: 'eof',
  logLevel: 'warning',
});
