// Offline checks that keep the health wait honest: an app that renders nothing, a pod that references
// an object nothing in the plan produces, and a wait for an object nothing in the plan creates. Each
// would otherwise show as a green with nothing in it, a pod stuck on a real kubelet, or a timeout.
import { createdByControllers, podReferences } from '../src/k8s/pod-references.js';
import { describeObject, describeSource } from '../src/k8s/types.js';
import { appSource } from './inputs.js';
import { appObjects, type OfflineInputs, type Problem } from './preflight-checks.js';
import { controllerNotPlanned, isControllerDeployment } from './sealed-secrets-logic.js';

/** An app that renders zero objects, unless the config says it may (`allowEmpty: true`). */
export function emptyAppProblems(inputs: OfflineInputs): Problem[] {
  return inputs.apps
    .filter((r) => r.objects.length === 0 && r.app.allowEmpty !== true)
    .map((r) => {
      const { how, path } = appSource(r.app);
      return {
        check: 'apps' as const,
        subject: `app ${r.app.name}`,
        message: `app ${r.app.name} (${how} ${path}) renders no objects: check the path, the kustomization's resources or the chart's values; if it may be empty, set allowEmpty: true on it in ${inputs.config.source}`,
      };
    });
}

/** `Kind namespace/name` of everything the plan applies or makes: objects, re-sealed Secrets, Secrets of SealedSecrets. */
function producedKeys(inputs: OfflineInputs): Set<string> {
  const produced = new Set<string>();
  const objects = [...inputs.namespaces, ...inputs.storage, ...(inputs.sealedSecretsController ?? []), ...appObjects(inputs.apps)].map((o) => o.obj);
  for (const obj of objects) {
    const ns = obj.metadata.namespace ?? 'default';
    produced.add(`${obj.kind} ${ns}/${obj.metadata.name}`);
    // The sealed-secrets controller makes a Secret of the same name from each SealedSecret.
    if (obj.kind === 'SealedSecret') produced.add(`Secret ${ns}/${obj.metadata.name}`);
  }
  for (const s of inputs.config.secrets) produced.add(`Secret ${s.namespace}/${s.name}`);
  return produced;
}

/** A pod template that references a Secret, ConfigMap, PVC or ServiceAccount nothing in the plan produces. */
export function danglingReferenceProblems(inputs: OfflineInputs): Problem[] {
  const produced = producedKeys(inputs);
  const problems: Problem[] = [];
  for (const { obj, source } of appObjects(inputs.apps)) {
    const ns = obj.metadata.namespace ?? 'default';
    for (const ref of podReferences(obj)) {
      if (createdByControllers(ref.kind, ref.name) || produced.has(`${ref.kind} ${ns}/${ref.name}`)) continue;
      problems.push({
        check: 'references',
        subject: describeObject(obj),
        message: `${describeObject(obj)} (${describeSource(source)}): ${ref.field} references ${ref.kind} ${ns}/${ref.name}, which nothing in the plan creates (not in any app, secrets or SealedSecret); a real kubelet will not start its pods`,
      });
    }
  }
  return problems;
}

/** The sealed-secrets controller step waits for its Deployment: the manifests it applies must hold it. */
export function unplannedWaitProblems(inputs: OfflineInputs, controllerIsLocal: boolean): Problem[] {
  const ss = inputs.config.sealedSecrets;
  if (!ss || controllerIsLocal) return [];
  const planned = (inputs.sealedSecretsController ?? []).some((o) => isControllerDeployment(o.obj, ss.namespace, ss.controllerName));
  return planned ? [] : [{ check: 'waits', subject: `Deployment ${ss.namespace}/${ss.controllerName}`, message: controllerNotPlanned(ss) }];
}

export function healthProblems(inputs: OfflineInputs, controllerIsLocal: boolean): Problem[] {
  return [...emptyAppProblems(inputs), ...danglingReferenceProblems(inputs), ...unplannedWaitProblems(inputs, controllerIsLocal)];
}
