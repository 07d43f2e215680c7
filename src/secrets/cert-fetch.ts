// Where the sealing certificate comes from: the controller itself (local on kwok, or through the
// apiserver's service proxy, as kubeseal does), falling back to the active key Secret's tls.crt.
import type { KubeClient } from '../kube/client.js';
import { errorMessage } from '../util/errors.js';
import { parseSealingCert } from './seal.js';

export const ACTIVE_KEY_LABEL = 'sealedsecrets.bitnami.com/sealed-secrets-key';

export interface FetchedCert {
  pem: string;
  /** "served by http://127.0.0.1:x/v1/cert.pem", "served through the apiserver proxy", "key Secret ..." */
  from: string;
  served: boolean;
}

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.text();
}

/** The certificate the controller serves, or undefined with the reasons it could not be read. */
export async function servedCert(
  kube: KubeClient,
  opts: { namespace: string; controllerName: string; localUrl?: string },
): Promise<{ cert?: FetchedCert; tried: string[] }> {
  const tried: string[] = [];
  if (opts.localUrl) {
    try {
      return { cert: { pem: await fetchText(opts.localUrl), from: `served by ${opts.localUrl}`, served: true }, tried };
    } catch (err) {
      tried.push(`local controller: ${errorMessage(err)}`);
    }
  }
  try {
    // As kubeseal: the Service's first port, by name (or unnamed), behind the apiserver's service proxy.
    const service = (await kube.raw('GET', `/api/v1/namespaces/${opts.namespace}/services/${opts.controllerName}`)) as { spec?: { ports?: Array<{ name?: string }> } };
    const port = service.spec?.ports?.[0]?.name ?? '';
    const body = await kube.proxyGet(`/api/v1/namespaces/${opts.namespace}/services/http:${opts.controllerName}:${port}/proxy/v1/cert.pem`);
    if (typeof body === 'string' && body.includes('BEGIN CERTIFICATE')) {
      return { cert: { pem: body, from: 'served through the apiserver service proxy', served: true }, tried };
    }
    tried.push('apiserver service proxy: the answer is not a PEM certificate');
  } catch (err) {
    tried.push(`apiserver service proxy: ${errorMessage(err)}`);
  }
  return { tried };
}

/** The newest active key Secret's certificate (what the controller would serve). */
export async function activeKeyCert(kube: KubeClient, namespace: string): Promise<FetchedCert | undefined> {
  const secrets = await kube.list({ apiVersion: 'v1', kind: 'Secret', namespace, labelSelector: `${ACTIVE_KEY_LABEL}=active` });
  const newest = secrets.sort((a, b) => String(b.metadata['creationTimestamp'] ?? '').localeCompare(String(a.metadata['creationTimestamp'] ?? '')))[0];
  const crt = (newest?.['data'] as Record<string, string> | undefined)?.['tls.crt'];
  if (!newest || !crt) return undefined;
  return { pem: Buffer.from(crt, 'base64').toString('utf8'), from: `key Secret ${namespace}/${newest.metadata.name}`, served: false };
}

/** The certificate the controller serves, else the active key's; undefined (with why) when there is neither yet. */
export async function findSealingCert(
  kube: KubeClient,
  opts: { namespace: string; controllerName: string; localUrl?: string },
): Promise<{ cert?: FetchedCert; why: string }> {
  const { cert, tried } = await servedCert(kube, opts);
  const chosen = cert ?? (await activeKeyCert(kube, opts.namespace));
  return chosen ? { cert: chosen, why: '' } : { why: `no sealing certificate: the controller does not serve one (${tried.join('; ')}) and no active key Secret exists in ${opts.namespace}` };
}

/** The certificate found must parse, be RSA and be valid now. */
export function checkedSealingCert(cert: FetchedCert): FetchedCert {
  parseSealingCert(cert.pem, undefined, `the controller's certificate (${cert.from})`);
  return cert;
}

/** A certificate to seal with: served first, else the active key; it must parse, be RSA and be valid now. */
export async function sealingCert(
  kube: KubeClient,
  opts: { namespace: string; controllerName: string; localUrl?: string },
): Promise<FetchedCert> {
  const { cert, why } = await findSealingCert(kube, opts);
  if (!cert) throw new Error(why);
  return checkedSealingCert(cert);
}
