// seal without --cert: the controller's certificate, fetched through the cluster as kubeseal does (the
// apiserver's service proxy to the controller's /v1/cert.pem), or from the kwok rehearsal's local
// controller at its own address (a local process has no Service an apiserver could proxy to), else the
// active sealing key's certificate. It must parse, be RSA and be valid now.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../../util/errors.js';
import { ExistingProvider } from '../../cluster/existing.js';
import { KubeClient } from '../../kube/client.js';
import { sealingCert, type FetchedCert } from '../../secrets/cert-fetch.js';
import { localCertUrl } from '../../../steps/sealed-secrets-controller.js';
import type { CliOptions } from '../args.js';
import { loadForCommand, stateDirOf } from '../context.js';

/** kubeseal's defaults. */
const DEFAULT_NAMESPACE = 'kube-system';
const DEFAULT_NAME = 'sealed-secrets-controller';

async function withKube<T>(kube: KubeClient, use: (kube: KubeClient) => Promise<T>): Promise<T> {
  try {
    return await use(kube);
  } finally {
    kube.close();
  }
}

export async function fetchControllerCert(opts: CliOptions): Promise<FetchedCert> {
  if ((opts.kubeconfig !== undefined || opts.context !== undefined) && !opts.secret) {
    // Like kubeseal, the kubeconfig alone names the cluster: no config file is needed.
    const provider = new ExistingProvider({
      ...(opts.kubeconfig !== undefined ? { kubeconfig: resolve(opts.kubeconfig) } : {}),
      ...(opts.context !== undefined ? { context: opts.context } : {}),
      root: join(stateDirOf(opts), 'existing'),
    });
    const kube = await KubeClient.fromKubeconfig(await provider.kubeconfig('seal'));
    const where = { namespace: opts.controllerNamespace ?? DEFAULT_NAMESPACE, controllerName: opts.controllerName ?? DEFAULT_NAME };
    return withKube(kube, (k) => sealingCert(k, where));
  }
  if (opts.configFrom === 'default' && !existsSync(opts.config)) {
    throw new InputError(`seal needs a certificate: give --cert FILE|URL, or --kubeconfig/--context for the cluster the controller runs in, or a config whose cluster it is (--config FILE or HOMELAB_DR_CONFIG; ${opts.config} does not exist)`);
  }
  // The config's cluster; seal's --name names the Secret (with --raw), never the cluster.
  const { config, ctx } = await loadForCommand({ ...opts, name: undefined }, 'verify');
  const where = {
    namespace: opts.controllerNamespace ?? config.sealedSecrets?.namespace ?? DEFAULT_NAMESPACE,
    controllerName: opts.controllerName ?? config.sealedSecrets?.controllerName ?? DEFAULT_NAME,
  };
  const localUrl = await localCertUrl(ctx);
  return withKube(await ctx.kube(), (k) => sealingCert(k, { ...where, ...(localUrl ? { localUrl } : {}) }));
}
