// What the global setup hands to the integration tests.
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    kwokRoot: string;
    kwokCluster: string;
    kwokKubeconfig: string;
    kwokNodeName: string;
  }
}

export function integrationCluster(): { root: string; cluster: string; kubeconfig: string; nodeName: string } {
  return { root: inject('kwokRoot'), cluster: inject('kwokCluster'), kubeconfig: inject('kwokKubeconfig'), nodeName: inject('kwokNodeName') };
}
