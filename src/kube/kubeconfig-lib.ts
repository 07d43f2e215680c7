// client-node's KubeConfig (kubeconfig parsing, contexts, exec/token/certificate auth), the one thing this
// project takes from @kubernetes/client-node. Importing the package loads all of its ~2,500 generated API
// model modules first: about 550 ms of every command that touches a cluster, on this project's 2-core
// machines. `npm run build` therefore replaces this file's compiled form (dist/src/kube/kubeconfig-lib.js)
// with one esbuild bundle of the same export, the unused models shaken out (scripts/bundle-kubeconfig.mjs);
// the source form here is what vitest and the type checker see.
export { KubeConfig } from '@kubernetes/client-node';
