// The I/O behind the access-path verdict that the kube client does not cover: the cluster's docker
// networks, and the configured alternate ways in, each checked by running its command.
import type { AccessConfig } from '../config/types.js';
import { errorMessage } from '../util/errors.js';
import { run } from '../util/exec.js';
import type { DockerNetwork } from './access-path.js';

export const ALTERNATE_CHECK_TIMEOUT_MS = 10_000;

/** k3d puts every node of cluster <name> on the docker network k3d-<name>. */
export function k3dNetworkName(cluster: string): string {
  return `k3d-${cluster}`;
}

/** Subnets of `docker network inspect`'s IPAM config ("[{"Subnet":"172.18.0.0/16",...}]"). */
export function subnetsOfIpamJson(json: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.flatMap((entry: unknown) => {
    const subnet = (entry as { Subnet?: unknown } | null)?.Subnet;
    return typeof subnet === 'string' ? [subnet] : [];
  });
}

/** The named docker networks that exist, with their subnets; a missing docker or network yields none. */
export async function dockerNetworks(names: readonly string[]): Promise<DockerNetwork[]> {
  const found: DockerNetwork[] = [];
  for (const name of names) {
    try {
      const result = await run('docker', ['network', 'inspect', name, '--format', '{{json .IPAM.Config}}'], { allowFailure: true, timeoutMs: 10_000 });
      if (result.code === 0) found.push({ name, subnets: subnetsOfIpamJson(result.stdout.trim()) });
    } catch {
      // No docker on this host: the cluster then has no docker network a session could cross.
    }
  }
  return found;
}

export interface AlternateResult {
  name: string;
  check: string;
  ok: boolean;
  /** "exit 0", "exit 1: <last stderr line>", "timed out after 10 s"... */
  detail: string;
}

function lastLine(text: string): string {
  const line = text.trim().split('\n').pop()?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** Runs each `access.alternate` check (through sh, as written in the config) with a timeout. */
export async function checkAlternateAccess(access: AccessConfig, timeoutMs = ALTERNATE_CHECK_TIMEOUT_MS): Promise<AlternateResult[]> {
  return Promise.all(access.alternate.map(async ({ name, check }): Promise<AlternateResult> => {
    const started = Date.now();
    // The kill may surface as a signal or as the shell's exit 137, so the clock decides what a timeout is.
    const timedOut = (): boolean => Date.now() - started >= timeoutMs;
    const timeoutDetail = `timed out after ${timeoutMs / 1000} s`;
    try {
      const result = await run('sh', ['-c', check], { timeoutMs, allowFailure: true });
      if (result.code === 0) return { name, check, ok: true, detail: 'exit 0' };
      if (timedOut() && (result.code === 137 || result.signal === 'SIGKILL')) return { name, check, ok: false, detail: timeoutDetail };
      const why = lastLine(result.stderr) || lastLine(result.stdout);
      return { name, check, ok: false, detail: `exit ${result.code ?? result.signal}${why ? `: ${why}` : ''}` };
    } catch (err) {
      return { name, check, ok: false, detail: timedOut() ? timeoutDetail : lastLine(errorMessage(err)) };
    }
  }));
}
