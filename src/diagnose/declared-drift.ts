// What broke because the cluster drifted from the config, not because the config is wrong: a namespace
// whose PodSecurity label was changed on the cluster (the incident's time bomb), and a node running
// settings the config gives only at creation (registries.yaml). Pure: the caller fetches both.
import type { KubeObject } from '../kube/types.js';
import type { Finding } from './findings.js';

const ENFORCE = 'pod-security.kubernetes.io/enforce';

/**
 * When PodSecurity rejects pods at `policy` ("restricted:latest") in a namespace the namespaces file
 * declares at another level, the label drifted: the first fix is restoring it, not rewriting the workload.
 */
export function enforceLabelDrift(
  declaredNamespaces: readonly KubeObject[] | undefined,
  namespace: string,
  policy: string,
): { drift: string; fix: string } | undefined {
  const declared = declaredNamespaces?.find((ns) => ns.kind === 'Namespace' && ns.metadata.name === namespace);
  if (!declared) return undefined;
  // No label is PodSecurity's default, privileged.
  const declaredLevel = declared.metadata.labels?.[ENFORCE] ?? 'privileged';
  const liveLevel = policy.split(':')[0] ?? policy;
  if (liveLevel === declaredLevel) return undefined;
  return {
    drift: `namespace ${namespace} enforces ${liveLevel}, but the namespaces file declares ${declaredLevel}: the label was changed on the cluster, not in the config`,
    fix: `restore the declared label: \`kubectl label namespace ${namespace} ${ENFORCE}=${declaredLevel} --overwrite\` (a hard-reset restores it too); only if ${liveLevel} is wanted, declare it and make the changes below`,
  };
}

/**
 * The provider's config drift as findings. Its message is a headline, the differences as "  - " lines,
 * then what to do (registriesDriftMessage).
 */
export function configDriftFindings(cluster: string, messages: readonly string[]): Finding[] {
  return messages.map((message) => {
    const [headline = message, ...rest] = message.split('\n');
    return {
      object: `Cluster ${cluster}`,
      problem: headline.replace(/:$/, ''),
      evidence: rest.filter((line) => line.startsWith('  - ')).map((line) => line.slice(4)),
      fix: rest.filter((line) => !line.startsWith('  - ')),
    };
  });
}
