// Pure parts of the sealed-secrets steps: the key backup's shape and the key Secret made from it.
import type { SealedSecretsConfig } from '../src/config/types.js';
import type { KubeObject } from '../src/k8s/types.js';
import { ACTIVE_KEY_LABEL } from '../src/secrets/cert-fetch.js';

export interface KeyPair {
  certPem: string;
  keyPem: string;
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const KEY_BLOCK = /-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA )?PRIVATE KEY-----/;

/** A key backup is one value holding the certificate and the private key as PEM blocks (tls.crt + tls.key). */
export function parseKeyBackup(value: Buffer, where: string): KeyPair {
  const text = value.toString('utf8');
  const cert = CERT_BLOCK.exec(text)?.[0];
  const key = KEY_BLOCK.exec(text)?.[0];
  // Never quote the value: it holds a private key.
  if (!cert || !key) {
    throw new Error(`key backup ${where} must hold a PEM certificate and a PEM private key (tls.crt followed by tls.key); found ${cert ? 'a certificate' : 'no certificate'} and ${key ? 'a key' : 'no private key'}`);
  }
  return { certPem: `${cert}\n`, keyPem: `${key}\n` };
}

export const RESTORED_KEY_NAME = 'sealed-secrets-key-restored';

export function keySecret(pair: KeyPair, namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name: RESTORED_KEY_NAME, namespace, labels: { [ACTIVE_KEY_LABEL]: 'active' } },
    data: { 'tls.crt': Buffer.from(pair.certPem).toString('base64'), 'tls.key': Buffer.from(pair.keyPem).toString('base64') },
  };
}

/** The controller's Deployment, which the step waits for: it must be among the manifests it applies. */
export function isControllerDeployment(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>, namespace: string, controllerName: string): boolean {
  return obj.apiVersion === 'apps/v1' && obj.kind === 'Deployment' && obj.metadata.name === controllerName && (obj.metadata.namespace ?? 'default') === namespace;
}

/** Why a wait for the controller would be a timeout: nothing the plan applies creates it. */
export function controllerNotPlanned(ss: SealedSecretsConfig): string {
  const where = ss.controller.manifests ? `the controller manifests ${ss.controller.manifests} hold no` : 'no controller manifests are configured (sealedSecrets.controller.manifests), so nothing creates';
  return `${where} Deployment ${ss.namespace}/${ss.controllerName}, which the sealed-secrets-available step waits for; set sealedSecrets.controller.manifests, or sealedSecrets.namespace/controllerName to match them`;
}
