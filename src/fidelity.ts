// Rehearsal fidelity, said aloud: the kwok rehearsal runs the pinned Kubernetes and sealed-secrets
// (src/pins.ts); production runs the config's k3s image and its sealed-secrets controller manifests.
// When they differ, a green rehearsal proves less, and plan and the drill report say by how much.
import type { KubeObject } from './k8s/types.js';
import { podTemplateOf } from './k8s/podsecurity.js';
import { readPins, type Pins } from './pins.js';
import { errorMessage } from './util/errors.js';

export interface ProductionVersions {
  /** cluster.image, e.g. rancher/k3s:v1.33.4-k3s1; absent when the config names none. */
  k3sImage?: string;
  /** The sealed-secrets controller manifests' objects (their containers' images are read). */
  sealedSecretsObjects: readonly KubeObject[];
}

/** "v1.33.4" from "rancher/k3s:v1.33.4-k3s1" or "...sealed-secrets-controller:0.27.1"; undefined without a version tag. */
export function versionOfImage(image: string): string | undefined {
  const tag = /:([^:/@]+)(@sha256:[0-9a-f]+)?$/.exec(image)?.[1];
  const m = tag ? /^v?(\d+\.\d+\.\d+)/.exec(tag) : null;
  return m ? `v${m[1]}` : undefined;
}

const SEALED_SECRETS_IMAGE = /(^|\/)sealed-secrets-controller(:|@|$)/;

function sealedSecretsImages(objects: readonly KubeObject[]): string[] {
  const images = new Set<string>();
  for (const obj of objects) {
    const spec = podTemplateOf(obj)?.spec as { containers?: { image?: string }[] } | undefined;
    for (const c of spec?.containers ?? []) if (c.image && SEALED_SECRETS_IMAGE.test(c.image)) images.add(c.image);
  }
  return [...images];
}

export interface Fidelity {
  /** True when every compared version is known and equal to its pin. */
  exact: boolean;
  /** One line per compared component. */
  lines: string[];
}

function compare(what: string, pinned: string, production: string | undefined, source: string, unknown: string): { same: boolean; line: string } {
  if (!production) return { same: false, line: `${what}: the rehearsal runs ${pinned}; production's version is unknown (${unknown})` };
  if (production === pinned) return { same: true, line: `${what}: the rehearsal runs ${pinned}, as production does (${source})` };
  return { same: false, line: `${what}: the rehearsal runs ${pinned} where production runs ${production} (${source}); a green rehearsal does not prove ${production}` };
}

export function fidelityOf(production: ProductionVersions, pins: Pick<Pins, 'kubernetes' | 'sealed-secrets'>): Fidelity {
  const image = production.k3sImage;
  const kube = compare(
    'Kubernetes',
    pins.kubernetes,
    image ? versionOfImage(image) : undefined,
    `cluster.image ${image}`,
    image ? `cluster.image ${image} has no version tag` : 'the config sets no cluster.image',
  );
  const images = sealedSecretsImages(production.sealedSecretsObjects);
  const versions = [...new Set(images.map(versionOfImage).filter((v): v is string => !!v))];
  const sealed = compare(
    'sealed-secrets',
    pins['sealed-secrets'],
    versions.length === 1 ? versions[0] : undefined,
    `controller image ${images.join(', ')}`,
    images.length === 0 ? 'no sealed-secrets-controller image in sealedSecrets.controller.manifests' : `controller images ${images.join(', ')} name no single version`,
  );
  return { exact: kube.same && sealed.same, lines: [kube.line, sealed.line] };
}

/** The fidelity of a config's production against the pins in scripts/control-plane.pins (never throws). */
export function fidelityOfConfig(k3sImage: string | undefined, sealedSecretsObjects: readonly KubeObject[]): Fidelity {
  let pins: Pins;
  try {
    pins = readPins();
  } catch (err) {
    return { exact: false, lines: [`the rehearsal pins cannot be read: ${errorMessage(err)}`] };
  }
  return fidelityOf({ ...(k3sImage ? { k3sImage } : {}), sealedSecretsObjects }, pins);
}
