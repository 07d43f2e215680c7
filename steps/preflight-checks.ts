// The offline half of preflight: pure checks over the parsed inputs. Each problem names the object,
// where it was written, and what to do; nothing here touches a cluster or a store.
import type { HomelabConfig } from '../src/config/types.js';
import { duplicateObjects, unnamedObjects } from '../src/k8s/identity.js';
import { checkDeclared, namespacesNeeded } from '../src/k8s/namespaces.js';
import { enforcePolicyOf, evaluatePodSecurity, hasPodTemplate, podSecurityMessage } from '../src/k8s/podsecurity.js';
import { checkClaims, checkRequiredLabels } from '../src/k8s/pv-match.js';
import { describeObject, describeSource, type KubeObject, type LoadedObject } from '../src/k8s/types.js';
import { problemRecord, type ProblemRecord } from '../src/report/problems.js';
import type { RenderedApp } from './inputs.js';

export interface Problem {
  check: 'namespaces' | 'pv-labels' | 'pv-claims' | 'podsecurity' | 'objects' | 'values' | 'tools' | 'litmus' | 'inputs' | 'apps' | 'references' | 'waits' | 'sealing-key' | 'crds';
  subject: string;
  message: string;
  /** Where the object was written, when the problem is about one manifest. */
  file?: string;
  line?: number;
  /** What to do, when it reads apart from the message (rendered after it: problemSentence). */
  fix?: string;
}

/** The problem as the record plan, lint and -o json carry. */
export function recordOf(step: string, p: Problem): ProblemRecord {
  return problemRecord({ step, check: p.check, object: p.subject, file: p.file, line: p.line, message: p.message, fix: p.fix });
}

export interface OfflineInputs {
  config: HomelabConfig;
  namespaces: LoadedObject[];
  storage: LoadedObject[];
  apps: RenderedApp[];
  /** The sealed-secrets controller manifests (applied on k3d and existing; none when not configured). */
  sealedSecretsController?: LoadedObject[];
}

/** Objects of an app with the namespace they will land in filled in. */
export function appObjects(apps: readonly RenderedApp[]): LoadedObject[] {
  return apps.flatMap(({ app, objects }) => {
    const fallback = 'helm' in app ? app.helm.namespace : 'default';
    return objects.map((o) =>
      o.obj.metadata.namespace || !o.obj.metadata.name ? o : { ...o, obj: { ...o.obj, metadata: { ...o.obj.metadata, namespace: fallback } } },
    );
  });
}

export function namespaceProblems(inputs: OfflineInputs, secretsNeed: { namespace: string; object: string }[]): Problem[] {
  if (inputs.config.namespaces?.createMissing) return [];
  const declared = inputs.namespaces.filter((o) => o.obj.kind === 'Namespace').map((o) => o.obj.metadata.name ?? '');
  const needed = [
    ...namespacesNeeded(appObjects(inputs.apps)),
    ...namespacesNeeded(inputs.storage),
    ...secretsNeed.map((s) => ({ ...s, source: { file: inputs.config.source, line: 0 } })),
  ];
  return checkDeclared(declared, needed).map((u) => ({
    check: 'namespaces' as const,
    subject: `Namespace ${u.namespace}`,
    ...u.neededBy[0]!.source,
    message: u.message,
    fix: `declare it in ${inputs.config.namespaces?.file ?? 'a namespaces file'}, or set namespaces.createMissing: true`,
  }));
}

/** The CRD an in-cluster sealed-secrets controller serves SealedSecrets through (upstream's controller.yaml carries it). */
export const SEALED_SECRETS_CRD = 'sealedsecrets.bitnami.com';

/**
 * Secrets are resealed into a rebuilt cluster whose controller the config's manifests install: they must
 * bring the SealedSecret CRD, or reseal-secrets fails after the old cluster is gone ("the cluster serves
 * no kind SealedSecret"). A controller run as a local process (kwok) installs the CRD itself.
 */
export function sealedSecretsCrdProblems(inputs: OfflineInputs, controllerInCluster: boolean): Problem[] {
  const manifests = inputs.config.sealedSecrets?.controller?.manifests;
  if (!controllerInCluster || inputs.config.secrets.length === 0 || !manifests) return [];
  const objects = [...(inputs.sealedSecretsController ?? []), ...appObjects(inputs.apps)];
  if (objects.some((o) => o.obj.kind === 'CustomResourceDefinition' && o.obj.metadata.name === SEALED_SECRETS_CRD)) return [];
  return [
    {
      check: 'crds',
      subject: `CustomResourceDefinition ${SEALED_SECRETS_CRD}`,
      file: manifests,
      message: `the sealed-secrets controller manifests (${manifests}) define no CustomResourceDefinition ${SEALED_SECRETS_CRD}, so the rebuilt cluster would serve no kind SealedSecret and reseal-secrets would fail after the old cluster is gone`,
      fix: "add the CRD to the controller manifests (upstream's controller.yaml release asset carries it)",
    },
  ];
}

export function storageProblems(inputs: OfflineInputs): Problem[] {
  const st = inputs.config.storage;
  if (!st) return [];
  const pvs = inputs.storage.map((o) => o.obj).filter((o) => o.kind === 'PersistentVolume');
  const claims = appObjects(inputs.apps).map((o) => o.obj).filter((o) => o.kind === 'PersistentVolumeClaim');
  return [
    ...checkRequiredLabels(pvs, st.requiredLabels).map((p) => ({ check: 'pv-labels' as const, subject: `PV ${p.pv}`, message: p.message })),
    ...checkClaims(pvs, claims)
      .filter((c) => !c.ok)
      .map((c) => ({ check: 'pv-claims' as const, subject: `PVC ${c.claim}`, message: c.ok ? '' : c.message })),
  ];
}

/** Pod templates against the enforce level of their namespace, as declared (the time bomb, offline). */
export function podSecurityProblems(inputs: OfflineInputs): Problem[] {
  const namespaces = new Map<string, KubeObject>(
    inputs.namespaces.filter((o) => o.obj.kind === 'Namespace').map((o) => [o.obj.metadata.name ?? '', o.obj]),
  );
  const problems: Problem[] = [];
  for (const { obj, source } of appObjects(inputs.apps)) {
    if (!hasPodTemplate(obj)) continue;
    const ns = namespaces.get(obj.metadata.namespace ?? 'default');
    if (!ns) continue;
    const result = evaluatePodSecurity(obj, enforcePolicyOf(ns));
    if (result.allowed) continue;
    const fixes = result.violations.flatMap((v) => v.fix);
    problems.push({
      check: 'podsecurity',
      subject: describeObject(obj),
      ...source,
      message: `${describeObject(obj)} (${describeSource(source)}): its pods would be rejected: ${podSecurityMessage(result)}`,
      ...(fixes.length ? { fix: `add: ${fixes.join(', ')}` } : {}),
    });
  }
  return problems;
}

/**
 * Every object homelab-dr applies must have a name, and no two manifests may declare the same object:
 * the apiserver rejects an unnamed object, and lets a second declaration silently replace the first.
 */
export function objectProblems(inputs: OfflineInputs): Problem[] {
  const all = [...inputs.namespaces, ...inputs.storage, ...(inputs.sealedSecretsController ?? []), ...appObjects(inputs.apps)];
  return [
    ...unnamedObjects(all).map((u) => ({
      check: 'objects' as const,
      subject: `${u.object.obj.kind} (${describeSource(u.object.source)})`,
      ...u.object.source,
      message: u.message,
    })),
    ...duplicateObjects(all).map((d) => ({ check: 'objects' as const, subject: d.object, ...d.declaredAt[0]!.source, message: d.message })),
  ];
}
