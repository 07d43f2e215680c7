// An offline PodSecurity admission evaluator: the verdict kube-apiserver would give a pod built from
// any pod-template-bearing object, at a namespace's enforce level and version. A workload itself is
// never rejected, only its pods are, so this is where a PodSecurity time bomb shows before an outage.
import { InputError } from '../util/errors.js';
import { PSA_CHECKS, type ContainerRef, type PodView, type PsaCheck, type PsaLevel } from './podsecurity-checks.js';
import { isRecord } from '../util/helpers.js';
import type { KubeObject } from './types.js';

export type { PsaLevel } from './podsecurity-checks.js';

export interface PsaPolicy {
  level: PsaLevel;
  /** "latest" or "v1.N", as in the pod-security.kubernetes.io/enforce-version label. */
  version: string;
}

export interface PsaViolation {
  /** The check's id in pod-security-admission, e.g. "allowPrivilegeEscalation". */
  check: string;
  /** "allowPrivilegeEscalation != false (container "x" must set ...)" */
  message: string;
  /** The exact fields to change, e.g. containers["x"].securityContext.allowPrivilegeEscalation=false */
  fix: string[];
}

export interface PsaResult {
  allowed: boolean;
  /** "restricted:latest" */
  policy: string;
  violations: PsaViolation[];
}

const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job',
  'ReplicationController']);
const LATEST_MINOR = Number.MAX_SAFE_INTEGER;
const LEVELS: readonly string[] = ['privileged', 'baseline', 'restricted'];

export function hasPodTemplate(obj: KubeObject): boolean {
  return obj.kind === 'Pod' || obj.kind === 'CronJob' || obj.kind === 'PodTemplate' || POD_TEMPLATE_KINDS.has(obj.kind);
}

/** The pod metadata and spec an object would create, as the apiserver's PodSpecExtractor finds them. */
export function podTemplateOf(obj: KubeObject): { metadata: Record<string, unknown>; spec: Record<string, unknown> } | undefined {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  let template: unknown;
  if (obj.kind === 'Pod') return { metadata: obj.metadata, spec };
  if (obj.kind === 'PodTemplate') template = obj.template;
  else if (obj.kind === 'CronJob') {
    const jobTemplate = isRecord(spec.jobTemplate) ? spec.jobTemplate : {};
    template = isRecord(jobTemplate.spec) ? jobTemplate.spec.template : undefined;
  } else if (POD_TEMPLATE_KINDS.has(obj.kind)) template = spec.template;
  if (!isRecord(template)) return undefined;
  return {
    metadata: isRecord(template.metadata) ? template.metadata : {},
    spec: isRecord(template.spec) ? template.spec : {},
  };
}

/** Reads the namespace labels pod-security.kubernetes.io/enforce and enforce-version. */
export function enforcePolicyOf(namespace: KubeObject): PsaPolicy {
  const labels = namespace.metadata.labels ?? {};
  const level = labels['pod-security.kubernetes.io/enforce'] ?? 'privileged';
  if (!LEVELS.includes(level)) {
    throw new InputError(`Namespace ${namespace.metadata.name}: unknown PodSecurity level "${level}" (privileged, baseline or restricted)`);
  }
  const version = labels['pod-security.kubernetes.io/enforce-version'] ?? 'latest';
  parseMinor(version, `Namespace ${namespace.metadata.name}`);
  return { level: level as PsaLevel, version };
}

function parseMinor(version: string, where: string): number {
  if (version === 'latest') return LATEST_MINOR;
  const match = /^v1\.(\d+)$/.exec(version);
  if (!match) throw new InputError(`${where}: PodSecurity version "${version}" is not "latest" or "v1.N"`);
  return Number(match[1]);
}

function containerRefs(spec: Record<string, unknown>): ContainerRef[] {
  const refs: ContainerRef[] = [];
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    const containers = Array.isArray(spec[list]) ? (spec[list] as unknown[]).filter(isRecord) : [];
    for (const container of containers) refs.push({ list, name: String(container.name ?? ''), spec: container });
  }
  return refs;
}

// The apiserver mutates a Pod (not a template) before PodSecurity sees it; two of those mutations
// change what the checks report, so they are repeated here to keep the messages identical.
function podAsAdmitted(metadata: Record<string, unknown>, spec: Record<string, unknown>): PodView {
  const view = toPodView(annotationsOf(metadata), structuredClone(spec));
  if (view.spec.hostNetwork === true) defaultHostNetworkPorts(view.containers);
  syncAppArmorAnnotations(view);
  return view;
}

function annotationsOf(metadata: Record<string, unknown>): Record<string, string> {
  return isRecord(metadata.annotations)
    ? Object.fromEntries(Object.entries(metadata.annotations).map(([key, value]) => [key, String(value)]))
    : {};
}

function toPodView(annotations: Record<string, string>, spec: Record<string, unknown>): PodView {
  const securityContext = isRecord(spec.securityContext) ? spec.securityContext : {};
  return { annotations, spec, securityContext, containers: containerRefs(spec) };
}

// SetDefaults_Pod: with hostNetwork, every container port is also a host port.
function defaultHostNetworkPorts(containers: ContainerRef[]): void {
  for (const container of containers.filter((c) => c.list !== 'ephemeralContainers')) {
    const ports = Array.isArray(container.spec.ports) ? container.spec.ports.filter(isRecord) : [];
    for (const port of ports) if (!port.hostPort) port.hostPort = port.containerPort;
  }
}

// SetDefaults_Volume, which runs on a Pod and on a template before any admission: a volume without a
// source is an emptyDir (the upstream fixtures' restrictedvolumes0 is such a pod, allowed at restricted).
function withDefaultedVolumes(spec: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(spec.volumes)) return spec;
  const hasSource = (volume: Record<string, unknown>): boolean =>
    Object.entries(volume).some(([field, value]) => field !== 'name' && value !== null && value !== undefined);
  const volumes = spec.volumes.map((volume: unknown) => (isRecord(volume) && !hasSource(volume) ? { ...volume, emptyDir: {} } : volume));
  return { ...spec, volumes };
}

const APPARMOR_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

function appArmorAnnotationFor(profile: Record<string, unknown>): string {
  if (profile.type === 'Unconfined') return 'unconfined';
  if (profile.type === 'RuntimeDefault') return 'runtime/default';
  if (profile.type === 'Localhost' && typeof profile.localhostProfile === 'string') return `localhost/${profile.localhostProfile}`;
  return '';
}

function appArmorFieldFor(annotation: string): Record<string, unknown> | undefined {
  if (annotation === 'unconfined') return { type: 'Unconfined' };
  if (annotation === 'runtime/default') return { type: 'RuntimeDefault' };
  const localhostProfile = annotation.startsWith('localhost/') ? annotation.slice('localhost/'.length) : '';
  return localhostProfile.trim() !== '' && localhostProfile.trim() === localhostProfile
    ? { type: 'Localhost', localhostProfile }
    : undefined;
}

// The pod registry's AppArmor version skew: annotation and field are copied into each other.
function syncAppArmorAnnotations(pod: PodView): void {
  if (isRecord(pod.spec.os) && pod.spec.os.name === 'windows') return;
  const podProfile = isRecord(pod.securityContext.appArmorProfile) ? pod.securityContext.appArmorProfile : undefined;
  for (const container of pod.containers) {
    const key = APPARMOR_PREFIX + container.name;
    const context = isRecord(container.spec.securityContext) ? container.spec.securityContext : undefined;
    const containerProfile = context && isRecord(context.appArmorProfile) ? context.appArmorProfile : undefined;
    if (!Object.hasOwn(pod.annotations, key)) {
      const profile = containerProfile ?? podProfile;
      const annotation = profile ? appArmorAnnotationFor(profile) : '';
      if (annotation !== '') pod.annotations[key] = annotation;
    } else if (!containerProfile) {
      const derived = appArmorFieldFor(pod.annotations[key]!);
      if (derived && JSON.stringify(derived) !== JSON.stringify(podProfile)) {
        container.spec.securityContext = { ...(context ?? {}), appArmorProfile: derived };
      }
    }
  }
}

function activeChecks(level: PsaLevel, minor: number): PsaCheck[] {
  if (level === 'privileged') return [];
  const existing = PSA_CHECKS.filter((check) => check.since <= minor);
  const restricted = level === 'restricted' ? existing.filter((check) => check.level === 'restricted') : [];
  const overridden = new Set(restricted.flatMap((check) => check.overrides ?? []));
  const baseline = existing.filter((check) => check.level === 'baseline' && !overridden.has(check.id));
  // The apiserver runs baseline checks, then restricted ones, each group sorted by id.
  const byId = (a: PsaCheck, b: PsaCheck): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return [...baseline.sort(byId), ...restricted.sort(byId)];
}

/** Evaluates the pod an object would create against a PodSecurity level and version. */
export function evaluatePodSecurity(obj: KubeObject, policy: PsaPolicy): PsaResult {
  const minor = parseMinor(policy.version, `${obj.kind} ${obj.metadata.name ?? ''}`);
  const policyName = `${policy.level}:${policy.version}`;
  const template = podTemplateOf(obj);
  if (!template) return { allowed: true, policy: policyName, violations: [] };
  const spec = withDefaultedVolumes(template.spec);
  const pod = obj.kind === 'Pod'
    ? podAsAdmitted(template.metadata, spec)
    : toPodView(annotationsOf(template.metadata), spec);
  const violations: PsaViolation[] = [];
  for (const check of activeChecks(policy.level, minor)) {
    const outcome = check.run(pod, minor);
    if (!outcome) continue;
    const message = outcome.detail === '' ? outcome.reason : `${outcome.reason} (${outcome.detail})`;
    violations.push({ check: check.id, message, fix: outcome.fix });
  }
  return { allowed: violations.length === 0, policy: policyName, violations };
}

/** The apiserver's wording: violates PodSecurity "restricted:latest": reason (detail), reason (detail) */
export function podSecurityMessage(result: PsaResult): string {
  if (result.allowed) return `allowed by PodSecurity "${result.policy}"`;
  return `violates PodSecurity "${result.policy}": ${result.violations.map((violation) => violation.message).join(', ')}`;
}
