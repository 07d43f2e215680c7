// The Pod Security Standards checks, one pure function each, written from the behaviour of
// k8s.io/pod-security-admission (policy/check_*.go, v0.33) so that reasons and details read the same.
// Each check returns the apiserver's reason and detail, plus the fields to change to pass.
import { isRecord } from '../util/helpers.js';

export type PsaLevel = 'privileged' | 'baseline' | 'restricted';

export interface ContainerRef {
  /** The pod spec list it is in: containers, initContainers or ephemeralContainers. */
  list: string;
  name: string;
  spec: Record<string, unknown>;
}

export interface PodView {
  annotations: Record<string, string>;
  spec: Record<string, unknown>;
  securityContext: Record<string, unknown>;
  /** In the apiserver's visiting order: init containers, containers, ephemeral containers. */
  containers: ContainerRef[];
}

export interface CheckOutcome {
  reason: string;
  detail: string;
  fix: string[];
}

export interface PsaCheck {
  id: string;
  level: 'baseline' | 'restricted';
  /** First Kubernetes minor version (1.N) the check exists in. */
  since: number;
  /** Baseline checks this restricted check replaces. */
  overrides?: string[];
  run: (pod: PodView, minor: number) => CheckOutcome | undefined;
}

const joinQuote = (items: readonly string[]): string => items.map((item) => `"${item}"`).join(', ');
const plural = (singular: string, pluralForm: string, count: number): string => (count === 1 ? singular : pluralForm);
const sortedUnique = (items: Iterable<string>): string[] => [...new Set(items)].sort();
const containersPhrase = (names: readonly string[]): string =>
  `${plural('container', 'containers', names.length)} ${joinQuote(names)}`;
const securityContextOf = (container: ContainerRef): Record<string, unknown> | undefined =>
  isRecord(container.spec.securityContext) ? container.spec.securityContext : undefined;
const field = (container: ContainerRef, path: string): string =>
  `${container.list}["${container.name}"].securityContext.${path}`;
const isWindows = (pod: PodView): boolean => isRecord(pod.spec.os) && pod.spec.os.name === 'windows';
const nested = (record: Record<string, unknown> | undefined, key: string): Record<string, unknown> | undefined =>
  record && isRecord(record[key]) ? record[key] : undefined;

function outcome(reason: string, detail: string, fix: string[]): CheckOutcome {
  return { reason, detail, fix };
}

const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

function appArmorProfile(pod: PodView): CheckOutcome | undefined {
  const allowedType = (type: unknown): boolean => type === 'RuntimeDefault' || type === 'Localhost';
  const badSetters: string[] = [];
  const badValues = new Set<string>();
  const fix: string[] = [];
  const podProfile = nested(pod.securityContext, 'appArmorProfile');
  if (podProfile && !allowedType(podProfile.type)) {
    badSetters.push('pod');
    badValues.add(String(podProfile.type ?? ''));
    fix.push('spec.securityContext.appArmorProfile.type=RuntimeDefault');
  }
  const badContainers = pod.containers.filter((container) => {
    const profile = nested(securityContextOf(container), 'appArmorProfile');
    if (!profile || allowedType(profile.type)) return false;
    badValues.add(String(profile.type ?? ''));
    fix.push(field(container, 'appArmorProfile.type=RuntimeDefault'));
    return true;
  });
  if (badContainers.length > 0) badSetters.push(containersPhrase(badContainers.map((c) => c.name)));
  const forbiddenAnnotations = Object.entries(pod.annotations)
    .filter(([key, value]) => key.startsWith(APPARMOR_ANNOTATION_PREFIX) &&
      !(value === '' || value === 'runtime/default' || value.startsWith('localhost/')))
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .sort();
  for (const annotation of forbiddenAnnotations) {
    fix.push(`metadata.annotations["${annotation.split('=')[0]}"]: remove it, or set runtime/default`);
  }
  const badValueList = [...sortedUnique(badValues), ...forbiddenAnnotations];
  if (forbiddenAnnotations.length > 0) badSetters.push(plural('annotation', 'annotations', forbiddenAnnotations.length));
  if (badSetters.length === 0) return undefined;
  return outcome(
    plural('forbidden AppArmor profile', 'forbidden AppArmor profiles', badValueList.length),
    `${badSetters.join(' and ')} must not set AppArmor profile type to ${joinQuote(badValueList)}`,
    fix,
  );
}

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE',
  'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);

function addedCapabilities(container: ContainerRef): string[] {
  const capabilities = nested(securityContextOf(container), 'capabilities');
  return Array.isArray(capabilities?.add) ? capabilities.add.map(String) : [];
}

function capabilitiesBaseline(pod: PodView): CheckOutcome | undefined {
  const forbidden = new Set<string>();
  const fix: string[] = [];
  const badContainers = pod.containers.filter((container) => {
    const extra = addedCapabilities(container).filter((cap) => !BASELINE_CAPABILITIES.has(cap));
    extra.forEach((cap) => forbidden.add(cap));
    if (extra.length > 0) fix.push(`${field(container, 'capabilities.add')}: remove ${joinQuote(extra)}`);
    return extra.length > 0;
  });
  if (badContainers.length === 0) return undefined;
  return outcome(
    'non-default capabilities',
    `${containersPhrase(badContainers.map((c) => c.name))} must not include ${joinQuote(sortedUnique(forbidden))} in securityContext.capabilities.add`,
    fix,
  );
}

function hostNamespaces(pod: PodView): CheckOutcome | undefined {
  const shared = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((key) => pod.spec[key] === true);
  if (shared.length === 0) return undefined;
  return outcome('host namespaces', shared.map((key) => `${key}=true`).join(', '), shared.map((key) => `spec.${key}=false`));
}

function volumesOf(pod: PodView): Array<Record<string, unknown>> {
  return Array.isArray(pod.spec.volumes) ? pod.spec.volumes.filter(isRecord) : [];
}

function hostPathVolumes(pod: PodView): CheckOutcome | undefined {
  const names = volumesOf(pod).filter((volume) => volume.hostPath != null).map((volume) => String(volume.name));
  if (names.length === 0) return undefined;
  return outcome(
    'hostPath volumes',
    `${plural('volume', 'volumes', names.length)} ${joinQuote(names)}`,
    names.map((name) => `spec.volumes["${name}"]: replace hostPath with a persistentVolumeClaim`),
  );
}

function hostPorts(pod: PodView): CheckOutcome | undefined {
  const ports = new Set<string>();
  const fix: string[] = [];
  const badContainers = pod.containers.filter((container) => {
    const list = Array.isArray(container.spec.ports) ? container.spec.ports.filter(isRecord) : [];
    const used = list.map((port) => Number(port.hostPort ?? 0)).filter((hostPort) => hostPort !== 0);
    used.forEach((hostPort) => {
      ports.add(String(hostPort));
      fix.push(`${container.list}["${container.name}"].ports[hostPort=${hostPort}]: remove hostPort`);
    });
    return used.length > 0;
  });
  if (badContainers.length === 0) return undefined;
  return outcome(
    'hostPort',
    `${containersPhrase(badContainers.map((c) => c.name))} ${plural('uses', 'use', badContainers.length)} ${plural('hostPort', 'hostPorts', ports.size)} ${sortedUnique(ports).join(', ')}`,
    fix,
  );
}

function privileged(pod: PodView): CheckOutcome | undefined {
  const bad = pod.containers.filter((container) => securityContextOf(container)?.privileged === true);
  if (bad.length === 0) return undefined;
  return outcome(
    'privileged',
    `${containersPhrase(bad.map((c) => c.name))} must not set securityContext.privileged=true`,
    bad.map((container) => field(container, 'privileged=false')),
  );
}

function procMount(pod: PodView): CheckOutcome | undefined {
  const types = new Set<string>();
  const bad = pod.containers.filter((container) => {
    const value = securityContextOf(container)?.procMount;
    if (value === undefined || value === null || value === 'Default') return false;
    types.add(String(value));
    return true;
  });
  if (bad.length === 0) return undefined;
  return outcome(
    'procMount',
    `${containersPhrase(bad.map((c) => c.name))} must not set securityContext.procMount to ${joinQuote(sortedUnique(types))}`,
    bad.map((container) => field(container, 'procMount=Default')),
  );
}

function seLinuxOptions(pod: PodView, minor: number): CheckOutcome | undefined {
  const allowedTypes = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
  if (minor >= 31) allowedTypes.add('container_engine_t');
  const badTypes = new Set<string>();
  let setUser = false;
  let setRole = false;
  const valid = (options: Record<string, unknown>): boolean => {
    let ok = true;
    const type = String(options.type ?? '');
    if (!allowedTypes.has(type)) { ok = false; badTypes.add(type); }
    if (String(options.user ?? '') !== '') { ok = false; setUser = true; }
    if (String(options.role ?? '') !== '') { ok = false; setRole = true; }
    return ok;
  };
  const badSetters: string[] = [];
  const fix: string[] = [];
  const podOptions = nested(pod.securityContext, 'seLinuxOptions');
  if (podOptions && !valid(podOptions)) {
    badSetters.push('pod');
    fix.push('spec.securityContext.seLinuxOptions: remove user and role; type empty or container_t');
  }
  const badContainers = pod.containers.filter((container) => {
    const options = nested(securityContextOf(container), 'seLinuxOptions');
    if (!options || valid(options)) return false;
    fix.push(`${field(container, 'seLinuxOptions')}: remove user and role; type empty or container_t`);
    return true;
  });
  if (badContainers.length > 0) badSetters.push(containersPhrase(badContainers.map((c) => c.name)));
  if (badSetters.length === 0) return undefined;
  const badData: string[] = [];
  if (badTypes.size > 0) badData.push(`${plural('type', 'types', badTypes.size)} ${joinQuote(sortedUnique(badTypes))}`);
  if (setUser) badData.push('user may not be set');
  if (setRole) badData.push('role may not be set');
  return outcome(
    'seLinuxOptions',
    `${badSetters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${badData.join('; ')}`,
    fix,
  );
}

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';
const validSeccompType = (type: unknown): boolean => type === 'RuntimeDefault' || type === 'Localhost';

// Before 1.19 seccomp was set by annotations only.
function seccompAnnotations(pod: PodView): CheckOutcome | undefined {
  const validValue = (value: string): boolean =>
    value === 'runtime/default' || value === 'docker/default' || value.startsWith('localhost/');
  const keys = [SECCOMP_POD_ANNOTATION, ...pod.containers.map((c) => SECCOMP_CONTAINER_ANNOTATION_PREFIX + c.name)];
  const forbidden = sortedUnique(
    keys.filter((key) => Object.hasOwn(pod.annotations, key) && !validValue(pod.annotations[key]!))
      .map((key) => `${key}=${JSON.stringify(pod.annotations[key])}`),
  );
  if (forbidden.length === 0) return undefined;
  return outcome(
    'seccompProfile',
    `forbidden ${plural('annotation', 'annotations', forbidden.length)} ${forbidden.join(', ')}`,
    forbidden.map((entry) => `metadata.annotations["${entry.split('=')[0]}"]=runtime/default`),
  );
}

interface SeccompFindings {
  badSetters: string[];
  badValues: string[];
  implicitlyBad: ContainerRef[];
  fix: string[];
}

function seccompFindings(pod: PodView): SeccompFindings {
  const badValues = new Set<string>();
  const fix: string[] = [];
  const badSetters: string[] = [];
  const podProfile = nested(pod.securityContext, 'seccompProfile');
  const podValid = podProfile !== undefined && validSeccompType(podProfile.type);
  if (podProfile && !podValid) {
    badSetters.push('pod');
    badValues.add(String(podProfile.type ?? ''));
    fix.push('spec.securityContext.seccompProfile.type=RuntimeDefault');
  }
  const explicitlyBad: ContainerRef[] = [];
  const implicitlyBad: ContainerRef[] = [];
  for (const container of pod.containers) {
    const profile = nested(securityContextOf(container), 'seccompProfile');
    if (profile && !validSeccompType(profile.type)) {
      explicitlyBad.push(container);
      badValues.add(String(profile.type ?? ''));
      fix.push(field(container, 'seccompProfile.type=RuntimeDefault'));
    } else if (!profile && !podValid) {
      implicitlyBad.push(container);
    }
  }
  if (explicitlyBad.length > 0) badSetters.push(containersPhrase(explicitlyBad.map((c) => c.name)));
  return { badSetters, badValues: sortedUnique(badValues), implicitlyBad, fix };
}

function seccompProfileBaseline(pod: PodView, minor: number): CheckOutcome | undefined {
  if (minor < 19) return seccompAnnotations(pod);
  const { badSetters, badValues, fix } = seccompFindings(pod);
  if (badSetters.length === 0) return undefined;
  return outcome(
    'seccompProfile',
    `${badSetters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(badValues)}`,
    fix,
  );
}

function seccompProfileRestricted(pod: PodView, minor: number): CheckOutcome | undefined {
  if (minor >= 25 && isWindows(pod)) return undefined;
  const explicit = seccompProfileBaseline(pod, minor);
  if (explicit) return explicit;
  const { implicitlyBad } = seccompFindings(pod);
  if (implicitlyBad.length === 0) return undefined;
  return outcome(
    'seccompProfile',
    `pod or ${containersPhrase(implicitlyBad.map((c) => c.name))} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
    ['spec.securityContext.seccompProfile.type=RuntimeDefault'],
  );
}

const SAFE_SYSCTLS_BY_VERSION: Array<[number, string[]]> = [
  [0, ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies',
    'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start']],
  [27, ['net.ipv4.ip_local_reserved_ports']],
  [29, ['net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl',
    'net.ipv4.tcp_keepalive_probes']],
  [32, ['net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem']],
];

function sysctls(pod: PodView, minor: number): CheckOutcome | undefined {
  const safe = new Set(SAFE_SYSCTLS_BY_VERSION.filter(([since]) => minor >= since).flatMap(([, names]) => names));
  const list = Array.isArray(pod.securityContext.sysctls) ? pod.securityContext.sysctls.filter(isRecord) : [];
  const forbidden = list.map((sysctl) => String(sysctl.name)).filter((name) => !safe.has(name));
  if (forbidden.length === 0) return undefined;
  return outcome(
    'forbidden sysctls',
    forbidden.join(', '),
    forbidden.map((name) => `spec.securityContext.sysctls: remove ${name}`),
  );
}

function windowsHostProcess(pod: PodView): CheckOutcome | undefined {
  const setsHostProcess = (context: Record<string, unknown> | undefined): boolean =>
    nested(context, 'windowsOptions')?.hostProcess === true;
  const setters: string[] = [];
  const fix: string[] = [];
  if (setsHostProcess(pod.securityContext)) {
    setters.push('pod');
    fix.push('spec.securityContext.windowsOptions.hostProcess=false');
  }
  const bad = pod.containers.filter((container) => setsHostProcess(securityContextOf(container)));
  if (bad.length > 0) setters.push(containersPhrase(bad.map((c) => c.name)));
  fix.push(...bad.map((container) => field(container, 'windowsOptions.hostProcess=false')));
  if (setters.length === 0) return undefined;
  return outcome('hostProcess', `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`, fix);
}

function allowPrivilegeEscalation(pod: PodView, minor: number): CheckOutcome | undefined {
  if (minor >= 25 && isWindows(pod)) return undefined;
  const bad = pod.containers.filter((container) => securityContextOf(container)?.allowPrivilegeEscalation !== false);
  if (bad.length === 0) return undefined;
  return outcome(
    'allowPrivilegeEscalation != false',
    `${containersPhrase(bad.map((c) => c.name))} must set securityContext.allowPrivilegeEscalation=false`,
    bad.map((container) => field(container, 'allowPrivilegeEscalation=false')),
  );
}

function capabilitiesRestricted(pod: PodView, minor: number): CheckOutcome | undefined {
  if (minor >= 25 && isWindows(pod)) return undefined;
  const missingDropAll: ContainerRef[] = [];
  const addingForbidden: ContainerRef[] = [];
  const forbidden = new Set<string>();
  const fix: string[] = [];
  for (const container of pod.containers) {
    const capabilities = nested(securityContextOf(container), 'capabilities');
    const drop = Array.isArray(capabilities?.drop) ? capabilities.drop.map(String) : [];
    if (!drop.includes('ALL')) {
      missingDropAll.push(container);
      fix.push(field(container, 'capabilities.drop=["ALL"]'));
    }
    const extra = addedCapabilities(container).filter((cap) => cap !== 'NET_BIND_SERVICE');
    if (extra.length > 0) {
      addingForbidden.push(container);
      extra.forEach((cap) => forbidden.add(cap));
      fix.push(`${field(container, 'capabilities.add')}: remove ${joinQuote(extra)}`);
    }
  }
  const details: string[] = [];
  if (missingDropAll.length > 0) {
    details.push(`${containersPhrase(missingDropAll.map((c) => c.name))} must set securityContext.capabilities.drop=["ALL"]`);
  }
  if (addingForbidden.length > 0) {
    details.push(`${containersPhrase(addingForbidden.map((c) => c.name))} must not include ${joinQuote(sortedUnique(forbidden))} in securityContext.capabilities.add`);
  }
  return details.length === 0 ? undefined : outcome('unrestricted capabilities', details.join('; '), fix);
}

// Inline volume sources the restricted level allows; anything else is reported by its type.
const RESTRICTED_ALLOWED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image',
  'persistentVolumeClaim', 'projected', 'secret'];
const RESTRICTED_VOLUME_TYPES = ['hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi',
  'glusterfs', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte',
  'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos'];

function restrictedVolumes(pod: PodView): CheckOutcome | undefined {
  const badVolumes: string[] = [];
  const badTypes = new Set<string>();
  const fix: string[] = [];
  for (const volume of volumesOf(pod)) {
    if (RESTRICTED_ALLOWED_VOLUMES.some((key) => volume[key] != null)) continue;
    const type = RESTRICTED_VOLUME_TYPES.find((key) => volume[key] != null) ?? 'unknown';
    badVolumes.push(String(volume.name));
    badTypes.add(type);
    fix.push(`spec.volumes["${String(volume.name)}"]: replace ${type} with a persistentVolumeClaim, configMap, secret, emptyDir or projected volume`);
  }
  if (badVolumes.length === 0) return undefined;
  return outcome(
    'restricted volume types',
    `${plural('volume', 'volumes', badVolumes.length)} ${joinQuote(badVolumes)} ${plural('uses', 'use', badVolumes.length)} ${plural('restricted volume type', 'restricted volume types', badTypes.size)} ${joinQuote(sortedUnique(badTypes))}`,
    fix,
  );
}

function runAsNonRoot(pod: PodView): CheckOutcome | undefined {
  const badSetters: string[] = [];
  const fix: string[] = [];
  const podValue = pod.securityContext.runAsNonRoot;
  if (podValue === false) {
    badSetters.push('pod');
    fix.push('spec.securityContext.runAsNonRoot=true');
  }
  const explicitlyBad: ContainerRef[] = [];
  const implicitlyBad: ContainerRef[] = [];
  for (const container of pod.containers) {
    const value = securityContextOf(container)?.runAsNonRoot;
    if (value === false) explicitlyBad.push(container);
    else if ((value === undefined || value === null) && podValue !== true) implicitlyBad.push(container);
  }
  if (explicitlyBad.length > 0) {
    badSetters.push(containersPhrase(explicitlyBad.map((c) => c.name)));
    fix.push(...explicitlyBad.map((container) => field(container, 'runAsNonRoot=true')));
  }
  if (badSetters.length > 0) {
    return outcome('runAsNonRoot != true', `${badSetters.join(' and ')} must not set securityContext.runAsNonRoot=false`, fix);
  }
  if (implicitlyBad.length === 0) return undefined;
  return outcome(
    'runAsNonRoot != true',
    `pod or ${containersPhrase(implicitlyBad.map((c) => c.name))} must set securityContext.runAsNonRoot=true`,
    ['spec.securityContext.runAsNonRoot=true'],
  );
}

function runAsUser(pod: PodView): CheckOutcome | undefined {
  const badSetters: string[] = [];
  const fix: string[] = [];
  if (pod.securityContext.runAsUser === 0) {
    badSetters.push('pod');
    fix.push('spec.securityContext.runAsUser: set a non-zero UID');
  }
  const bad = pod.containers.filter((container) => securityContextOf(container)?.runAsUser === 0);
  if (bad.length > 0) badSetters.push(containersPhrase(bad.map((c) => c.name)));
  fix.push(...bad.map((container) => `${field(container, 'runAsUser')}: set a non-zero UID`));
  if (badSetters.length === 0) return undefined;
  return outcome('runAsUser=0', `${badSetters.join(' and ')} must not set runAsUser=0`, fix);
}

export const PSA_CHECKS: readonly PsaCheck[] = [
  { id: 'appArmorProfile', level: 'baseline', since: 0, run: appArmorProfile },
  { id: 'capabilities_baseline', level: 'baseline', since: 0, run: capabilitiesBaseline },
  { id: 'hostNamespaces', level: 'baseline', since: 0, run: hostNamespaces },
  { id: 'hostPathVolumes', level: 'baseline', since: 0, run: hostPathVolumes },
  { id: 'hostPorts', level: 'baseline', since: 0, run: hostPorts },
  { id: 'privileged', level: 'baseline', since: 0, run: privileged },
  { id: 'procMount', level: 'baseline', since: 0, run: procMount },
  { id: 'seLinuxOptions', level: 'baseline', since: 0, run: seLinuxOptions },
  { id: 'seccompProfile_baseline', level: 'baseline', since: 0, run: seccompProfileBaseline },
  { id: 'sysctls', level: 'baseline', since: 0, run: sysctls },
  { id: 'windowsHostProcess', level: 'baseline', since: 0, run: windowsHostProcess },
  { id: 'allowPrivilegeEscalation', level: 'restricted', since: 8, run: allowPrivilegeEscalation },
  { id: 'capabilities_restricted', level: 'restricted', since: 22, overrides: ['capabilities_baseline'], run: capabilitiesRestricted },
  { id: 'restrictedVolumes', level: 'restricted', since: 0, overrides: ['hostPathVolumes'], run: restrictedVolumes },
  { id: 'runAsNonRoot', level: 'restricted', since: 0, run: runAsNonRoot },
  { id: 'runAsUser', level: 'restricted', since: 23, run: runAsUser },
  { id: 'seccompProfile_restricted', level: 'restricted', since: 19, overrides: ['seccompProfile_baseline'], run: seccompProfileRestricted },
];
