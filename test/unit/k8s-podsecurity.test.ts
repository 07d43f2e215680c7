import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../src/k8s/manifests.js';
import { enforcePolicyOf, evaluatePodSecurity, podSecurityMessage, type PsaPolicy } from '../../src/k8s/podsecurity.js';
import type { KubeObject } from '../../src/k8s/types.js';

const corpusFile = fileURLToPath(new URL('../fixtures/k8s/psa-corpus.yaml', import.meta.url));
const corpus = parseManifests(readFileSync(corpusFile, 'utf8'), corpusFile).map(({ obj }) => obj);
const restricted: PsaPolicy = { level: 'restricted', version: 'latest' };
const baseline: PsaPolicy = { level: 'baseline', version: 'latest' };

function pod(spec: Record<string, unknown>, annotations?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations }, spec };
}

const compliantContainer = {
  name: 'app',
  image: 'pause',
  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
};
const compliantPodContext = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };

describe('PodSecurity corpus', () => {
  it('holds at least 25 pods, each with both expected verdicts', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(25);
    for (const obj of corpus) {
      expect(['allowed', 'forbidden']).toContain(obj.metadata.annotations?.['psa.homelab-dr.test/baseline']);
      expect(['allowed', 'forbidden']).toContain(obj.metadata.annotations?.['psa.homelab-dr.test/restricted']);
    }
  });

  it('covers every check with at least one forbidden pod', () => {
    const forbiddenCovers = new Set(
      corpus
        .filter((obj) => !evaluatePodSecurity(obj, restricted).allowed)
        .flatMap((obj) => evaluatePodSecurity(obj, restricted).violations.concat(evaluatePodSecurity(obj, baseline).violations))
        .map((violation) => violation.check),
    );
    for (const check of ['appArmorProfile', 'capabilities_baseline', 'hostNamespaces', 'hostPathVolumes', 'hostPorts',
      'privileged', 'procMount', 'seLinuxOptions', 'seccompProfile_baseline', 'sysctls', 'windowsHostProcess',
      'allowPrivilegeEscalation', 'capabilities_restricted', 'restrictedVolumes', 'runAsNonRoot', 'runAsUser',
      'seccompProfile_restricted']) {
      expect(forbiddenCovers, check).toContain(check);
    }
  });

  for (const obj of corpus) {
    it(`${obj.metadata.name}: verdicts equal the expected apiserver verdicts`, () => {
      const expected = {
        baseline: obj.metadata.annotations?.['psa.homelab-dr.test/baseline'],
        restricted: obj.metadata.annotations?.['psa.homelab-dr.test/restricted'],
      };
      const verdict = (policy: PsaPolicy) => (evaluatePodSecurity(obj, policy).allowed ? 'allowed' : 'forbidden');
      expect({ baseline: verdict(baseline), restricted: verdict(restricted) }).toEqual(expected);
      expect(evaluatePodSecurity(obj, { level: 'privileged', version: 'latest' }).allowed).toBe(true);
    });
  }
});

describe('evaluatePodSecurity messages', () => {
  it('words a bare pod exactly as the apiserver does (Kubernetes docs example)', () => {
    const result = evaluatePodSecurity(pod({ containers: [{ name: 'nginx', image: 'nginx' }] }), restricted);
    expect(podSecurityMessage(result)).toBe(
      'violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "nginx" must set ' +
        'securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "nginx" must set ' +
        'securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "nginx" must set ' +
        'securityContext.runAsNonRoot=true), seccompProfile (pod or container "nginx" must set ' +
        'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  it('reports runAsUser=0 between runAsNonRoot and seccompProfile, as a v1.25 warning shows', () => {
    const obj = pod({ containers: [{ name: 'pod-2', image: 'nginx', securityContext: { runAsUser: 0 } }] });
    const messages = evaluatePodSecurity(obj, { level: 'restricted', version: 'v1.25' }).violations.map((v) => v.message);
    expect(messages).toEqual([
      'allowPrivilegeEscalation != false (container "pod-2" must set securityContext.allowPrivilegeEscalation=false)',
      'unrestricted capabilities (container "pod-2" must set securityContext.capabilities.drop=["ALL"])',
      'runAsNonRoot != true (pod or container "pod-2" must set securityContext.runAsNonRoot=true)',
      'runAsUser=0 (container "pod-2" must not set runAsUser=0)',
      'seccompProfile (pod or container "pod-2" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    ]);
  });

  it('pluralizes and sorts like the apiserver', () => {
    const obj = pod({
      containers: [
        { name: 'a', image: 'x', securityContext: { capabilities: { add: ['SYS_ADMIN', 'NET_ADMIN'] } } },
        { name: 'b', image: 'x', securityContext: { capabilities: { add: ['NET_ADMIN'] } } },
      ],
    });
    expect(evaluatePodSecurity(obj, baseline).violations.map((v) => v.message)).toEqual([
      'non-default capabilities (containers "a", "b" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add)',
    ]);
  });

  it('defaults hostPort from containerPort on a hostNetwork Pod, but not in a Deployment template', () => {
    const spec = { hostNetwork: true, containers: [{ name: 'web', image: 'x', ports: [{ containerPort: 8080 }] }] };
    expect(evaluatePodSecurity(pod(spec), baseline).violations.map((v) => v.message)).toEqual([
      'host namespaces (hostNetwork=true)',
      'hostPort (container "web" uses hostPort 8080)',
    ]);
    const deployment: KubeObject = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec } },
    };
    expect(evaluatePodSecurity(deployment, baseline).violations.map((v) => v.check)).toEqual(['hostNamespaces']);
  });

  it('copies an AppArmor field into its annotation on a Pod, as the pod registry does', () => {
    const obj = pod({ securityContext: { appArmorProfile: { type: 'Unconfined' } }, containers: [{ name: 'app', image: 'x' }] });
    expect(evaluatePodSecurity(obj, baseline).violations[0]?.message).toBe(
      'forbidden AppArmor profiles (pod and annotation must not set AppArmor profile type to "Unconfined", ' +
        '"container.apparmor.security.beta.kubernetes.io/app="unconfined"")',
    );
  });
});

describe('evaluatePodSecurity fixes', () => {
  it('lists the exact securityContext fields to add, per container', () => {
    const obj = pod({
      initContainers: [{ name: 'init', image: 'x' }],
      containers: [{ name: 'cloudflared', image: 'x' }],
    });
    const fixes = evaluatePodSecurity(obj, restricted).violations.flatMap((v) => v.fix);
    expect(fixes).toEqual([
      'initContainers["init"].securityContext.allowPrivilegeEscalation=false',
      'containers["cloudflared"].securityContext.allowPrivilegeEscalation=false',
      'initContainers["init"].securityContext.capabilities.drop=["ALL"]',
      'containers["cloudflared"].securityContext.capabilities.drop=["ALL"]',
      'spec.securityContext.runAsNonRoot=true',
      'spec.securityContext.seccompProfile.type=RuntimeDefault',
    ]);
  });

  it('names what to remove for baseline violations', () => {
    const obj = pod({
      hostPID: true,
      volumes: [{ name: 'root', hostPath: { path: '/' } }],
      containers: [{ name: 'x', image: 'x', securityContext: { privileged: true } }],
    });
    expect(evaluatePodSecurity(obj, baseline).violations.flatMap((v) => v.fix)).toEqual([
      'spec.hostPID=false',
      'spec.volumes["root"]: replace hostPath with a persistentVolumeClaim',
      'containers["x"].securityContext.privileged=false',
    ]);
  });
});

describe('pod templates', () => {
  const badSpec = { containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] };
  for (const [kind, spec] of [
    ['Deployment', { template: { spec: badSpec } }],
    ['StatefulSet', { template: { spec: badSpec } }],
    ['DaemonSet', { template: { spec: badSpec } }],
    ['ReplicaSet', { template: { spec: badSpec } }],
    ['Job', { template: { spec: badSpec } }],
    ['CronJob', { jobTemplate: { spec: { template: { spec: badSpec } } } }],
  ] as const) {
    it(`evaluates the pod template of a ${kind}`, () => {
      const obj: KubeObject = { apiVersion: 'apps/v1', kind, metadata: { name: 'w' }, spec };
      expect(evaluatePodSecurity(obj, baseline).violations.map((v) => v.check)).toEqual(['privileged']);
    });
  }

  it('defaults a volume without a source to emptyDir, as the API does before admission, without changing the object', () => {
    const spec = { securityContext: compliantPodContext, containers: [compliantContainer], volumes: [{ name: 'scratch' }, { name: 'h', hostPath: null }] };
    const deployment: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w' }, spec: { template: { spec } } };
    expect(evaluatePodSecurity(pod(spec), restricted).allowed).toBe(true);
    expect(evaluatePodSecurity(deployment, restricted).allowed).toBe(true);
    expect(spec.volumes).toEqual([{ name: 'scratch' }, { name: 'h', hostPath: null }]);
    const hostPath = { ...spec, volumes: [{ name: 'h', hostPath: { path: '/' } }] };
    expect(evaluatePodSecurity(pod(hostPath), restricted).violations.map((v) => v.check)).toEqual(['restrictedVolumes']);
  });

  it('allows objects without a pod template', () => {
    const obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    expect(evaluatePodSecurity(obj, restricted)).toEqual({ allowed: true, policy: 'restricted:latest', violations: [] });
  });
});

describe('policy versions', () => {
  const withContainerContext = (securityContext: Record<string, unknown>) =>
    pod({ securityContext: compliantPodContext, containers: [{ ...compliantContainer, securityContext: { ...compliantContainer.securityContext, ...securityContext } }] });

  it('allows container_engine_t only from v1.31', () => {
    const obj = withContainerContext({ seLinuxOptions: { type: 'container_engine_t' } });
    expect(evaluatePodSecurity(obj, { level: 'baseline', version: 'v1.30' }).allowed).toBe(false);
    expect(evaluatePodSecurity(obj, { level: 'baseline', version: 'v1.31' }).allowed).toBe(true);
  });

  it('adds safe sysctls by version', () => {
    const obj = pod({ securityContext: { sysctls: [{ name: 'net.ipv4.tcp_rmem', value: '4096 87380 6291456' }] }, containers: [compliantContainer] });
    expect(evaluatePodSecurity(obj, { level: 'baseline', version: 'v1.31' }).allowed).toBe(false);
    expect(evaluatePodSecurity(obj, { level: 'baseline', version: 'v1.32' }).allowed).toBe(true);
  });

  it('checks runAsUser=0 only from v1.23, and capabilities drop ALL only from v1.22', () => {
    const obj = withContainerContext({ runAsUser: 0 });
    expect(evaluatePodSecurity(obj, { level: 'restricted', version: 'v1.22' }).allowed).toBe(true);
    expect(evaluatePodSecurity(obj, { level: 'restricted', version: 'v1.23' }).allowed).toBe(false);
    const noDrop = pod({ securityContext: compliantPodContext, containers: [{ name: 'c', image: 'x', securityContext: { allowPrivilegeEscalation: false } }] });
    expect(evaluatePodSecurity(noDrop, { level: 'restricted', version: 'v1.21' }).allowed).toBe(true);
    expect(evaluatePodSecurity(noDrop, { level: 'restricted', version: 'v1.22' }).allowed).toBe(false);
  });

  it('exempts Windows pods from Linux-only restricted checks only from v1.25', () => {
    const obj = pod({ os: { name: 'windows' }, securityContext: { runAsNonRoot: true }, containers: [{ name: 'c', image: 'x' }] });
    expect(evaluatePodSecurity(obj, { level: 'restricted', version: 'v1.24' }).allowed).toBe(false);
    expect(evaluatePodSecurity(obj, { level: 'restricted', version: 'v1.25' }).allowed).toBe(true);
  });

  it('uses seccomp annotations before v1.19', () => {
    const obj = pod({ containers: [compliantContainer] }, { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' });
    expect(evaluatePodSecurity(obj, { level: 'baseline', version: 'v1.18' }).violations[0]?.message).toBe(
      'seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")',
    );
    expect(evaluatePodSecurity(obj, { level: 'baseline', version: 'v1.19' }).allowed).toBe(true);
  });

  it('rejects an unknown version string', () => {
    expect(() => evaluatePodSecurity(pod({ containers: [] }), { level: 'restricted', version: '1.30' })).toThrow(/not "latest" or "v1.N"/);
  });
});

describe('enforcePolicyOf', () => {
  it('reads the enforce labels, defaulting to privileged:latest', () => {
    const ns = (labels?: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', labels } });
    expect(enforcePolicyOf(ns())).toEqual({ level: 'privileged', version: 'latest' });
    expect(enforcePolicyOf(ns({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.30' })))
      .toEqual({ level: 'restricted', version: 'v1.30' });
    expect(() => enforcePolicyOf(ns({ 'pod-security.kubernetes.io/enforce': 'strict' }))).toThrow(/unknown PodSecurity level "strict"/);
  });
});
