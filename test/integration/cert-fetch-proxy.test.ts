// The sealing certificate while the controller is still starting, on the real control plane. Its
// Service exists but has no ready endpoint, so the apiserver's service proxy answers 503 "no endpoints
// available". That is the backend's answer, not an apiserver fault: reseal-secrets must fall back to the
// restored key Secret at once. Retried as a transient fault, it cost the whole retry budget (about 6 s)
// on every k3d hard-reset, because reseal-secrets now starts before the controller is Available.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import { KubeTransport } from '../../src/kube/transport.js';
import { ACTIVE_KEY_LABEL, findSealingCert, servedCert } from '../../src/secrets/cert-fetch.js';
import { certFingerprint } from '../../src/secrets/seal.js';
import { makeSealingKey } from '../fixtures/secrets/sealing-keys.js';
import { integrationCluster } from './context.js';

const ns = `hdr-cert-proxy-${process.pid}`;
const controllerName = 'sealed-secrets-controller';
const key = makeSealingKey();
let transport: KubeTransport;
let kube: KubeClient;
let request: ReturnType<typeof vi.spyOn>;

const proxyCalls = () => request.mock.calls.filter(([, path]) => String(path).includes('/proxy/')).length;

describe('the sealing certificate while the controller has no ready endpoint', () => {
  beforeAll(async () => {
    transport = await KubeTransport.fromKubeconfig(integrationCluster().kubeconfig);
    kube = new KubeClient(transport);
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    // The controller's Service as its manifests make it; no pod matches its selector.
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: controllerName, namespace: ns },
      spec: { selector: { name: controllerName }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] },
    });
    request = vi.spyOn(transport, 'request');
  }, 60_000);

  afterAll(async () => {
    request?.mockRestore();
    await kube.raw('DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined);
    kube.close();
  });

  it('the service proxy is asked once, and its 503 is given as the reason', async () => {
    request.mockClear();
    const { cert, tried } = await servedCert(kube, { namespace: ns, controllerName });
    expect(cert).toBeUndefined();
    expect(tried.join('; ')).toMatch(/apiserver service proxy: .*no endpoints available/);
    expect(proxyCalls()).toBe(1);
  });

  it('with a restored key Secret, that key is found after one proxy request', async () => {
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sealed-secrets-key-restored', namespace: ns, labels: { [ACTIVE_KEY_LABEL]: 'active' } },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': Buffer.from(key.certPem).toString('base64'), 'tls.key': Buffer.from(key.privateKeyPem).toString('base64') },
    });
    request.mockClear();
    const { cert } = await findSealingCert(kube, { namespace: ns, controllerName });
    expect(cert?.served).toBe(false);
    expect(certFingerprint(cert!.pem)).toBe(certFingerprint(key.certPem));
    expect(proxyCalls()).toBe(1);
  });

  it('a fault reaching the apiserver itself is still retried; an HTTP answer through the proxy is not', async () => {
    const path = `/api/v1/namespaces/${ns}/services/http:${controllerName}:http/proxy/v1/cert.pem`;
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    request.mockClear();
    request.mockRejectedValueOnce(reset);
    // The second attempt reaches the real apiserver, whose proxy answers 503.
    const error = await kube.proxyGet(path).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).status).toBe(503);
    expect(proxyCalls()).toBe(2);
  });
});
