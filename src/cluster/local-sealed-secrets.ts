// On kwok no pod really runs, so the sealed-secrets controller step starts the real controller binary
// as a local process. It only knows in-cluster config, so it gets a ServiceAccount token and the
// cluster CA at the in-cluster path inside a private mount namespace; the host's paths stay untouched.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, openSync, closeSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { healthWaitError, waitForHealth } from '../health/wait.js';
import type { KubeClient } from '../kube/client.js';
import { InputError, RefusedError } from '../util/errors.js';
import { sleep } from '../util/helpers.js';
import { registerSecret } from '../util/secrets-registry.js';
import { controlPlaneBinaries } from './control-plane-binaries.js';
import type { KwokClusterPaths } from './kwok-args.js';
import { freeLoopbackPorts } from './ports.js';
import { isOurProcess, readPid, stopProcess } from './process.js';
import { readModuleDir, sealedSecretsCrd, sealedSecretsRbac } from './sealed-secrets-upstream.js';

const PROCESS_MARK = 'sealed-secrets-controller';
const SA_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_SECONDS = 7 * 24 * 3600;

export interface LocalSealedSecretsOptions {
  namespace?: string;
  controllerName?: string;
  readyTimeoutMs?: number;
  /** How often a controller that dies is started again while this process lives. */
  restarts?: number;
}

export interface LocalSealedSecrets {
  readonly certUrl: string;
  readonly logFile: string;
  pid(): number | undefined;
  alive(): boolean;
  /** Exits seen so far (code or signal), newest last: how a death is detected and reported. */
  readonly exits: string[];
  stop(): Promise<void>;
}

interface ControllerFiles {
  dir: string;
  pidFile: string;
  logFile: string;
  saDir: string;
}

function controllerFiles(paths: KwokClusterPaths): ControllerFiles {
  const dir = join(paths.extras, 'sealed-secrets');
  return { dir, pidFile: join(dir, 'controller.pid'), logFile: join(dir, 'controller.log'), saDir: join(dir, 'serviceaccount') };
}

// Inside the new mount namespace: give the in-cluster path a private tmpfs (unless the path exists, as
// in a pod), bind the prepared directory over it, then become the controller.
const MOUNT_SCRIPT = `set -e
sa_dir=$1; shift
target=${SA_PATH}
if [ ! -d "$target" ]; then
  mount -t tmpfs -o mode=0755,size=1m homelab-dr "$(readlink -f /var/run)"
  mkdir -p "$target"
fi
mount --bind "$sa_dir" "$target"
exec "$@"`;

export async function startLocalSealedSecrets(paths: KwokClusterPaths, opts: LocalSealedSecretsOptions = {}): Promise<LocalSealedSecrets> {
  const namespace = opts.namespace ?? 'kube-system';
  const controllerName = opts.controllerName ?? 'sealed-secrets-controller';
  const files = controllerFiles(paths);
  const running = readPid(files.pidFile);
  if (running && isOurProcess(running, PROCESS_MARK)) {
    throw new RefusedError(`a local sealed-secrets controller already runs for this cluster (pid ${running}); stop it first`);
  }
  const bin = controlPlaneBinaries(['sealedSecretsController', 'helm', 'sealedSecretsModuleDir']);
  const moduleDir = await readModuleDir(bin.sealedSecretsModuleDir);
  assertOutsideRun(paths.extras);

  const { KubeClient } = await import('../kube/client.js');
  const client = await KubeClient.fromKubeconfig(paths.kubeconfig);
  const apiserver = client.server;
  try {
    await installUpstreamObjects(client, bin.helm, moduleDir, namespace, controllerName);
    writeServiceAccountDir(files.saDir, await serviceAccountToken(client, namespace, controllerName), paths.caCert, namespace);
  } finally {
    client.close();
  }

  const [listenPort, metricsPort] = (await freeLoopbackPorts(2)) as [number, number];
  const controllerArgs = [bin.sealedSecretsController, `--listen-addr=127.0.0.1:${listenPort}`, `--listen-metrics-addr=127.0.0.1:${metricsPort}`];
  const env = {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    KUBERNETES_SERVICE_HOST: apiserver.hostname,
    KUBERNETES_SERVICE_PORT: apiserver.port || '443',
    POD_NAMESPACE: namespace,
  };
  const restarts = opts.restarts ?? 3;
  const handle = supervise(files, unshareCommand(files.saDir, controllerArgs), env, restarts, `http://127.0.0.1:${listenPort}/v1/cert.pem`);
  try {
    await waitCertServed(handle, restarts, opts.readyTimeoutMs ?? 90_000);
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

/** Stops the controller started for this cluster, if any, and removes its token; returns the pid it stopped. */
export async function stopLocalSealedSecrets(paths: KwokClusterPaths): Promise<number | undefined> {
  const files = controllerFiles(paths);
  const pid = readPid(files.pidFile);
  // The pid file goes first: a supervisor that sees its child die without one does not restart it.
  rmSync(files.pidFile, { force: true });
  const running = pid !== undefined && isOurProcess(pid, PROCESS_MARK);
  if (pid) await stopProcess(pid, PROCESS_MARK);
  rmSync(files.saDir, { recursive: true, force: true });
  return running ? pid : undefined;
}

/** For exit handlers, which cannot wait: signal the controller and remove its token at once. */
export function stopLocalSealedSecretsNow(paths: KwokClusterPaths): void {
  const files = controllerFiles(paths);
  const pid = readPid(files.pidFile);
  rmSync(files.pidFile, { force: true });
  if (pid && isOurProcess(pid, PROCESS_MARK)) process.kill(pid, 'SIGKILL');
  rmSync(files.saDir, { recursive: true, force: true });
}

/** What a pod would find at the in-cluster path: its token, the cluster CA and its namespace. */
function writeServiceAccountDir(dir: string, token: string, caCert: string, namespace: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'token'), token, { mode: 0o600 });
  copyFileSync(caCert, join(dir, 'ca.crt'));
  writeFileSync(join(dir, 'namespace'), namespace);
}

async function installUpstreamObjects(client: KubeClient, helm: string, moduleDir: string, namespace: string, controllerName: string): Promise<void> {
  await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const crd = await sealedSecretsCrd(moduleDir);
  await client.apply(crd, { force: true });
  const established = healthWaitError(await waitForHealth(client, [crd], { timeoutMs: 30_000 }));
  if (established) throw established;
  for (const obj of await sealedSecretsRbac(helm, moduleDir, namespace, controllerName)) await client.apply(obj, { force: true });
}

async function serviceAccountToken(client: KubeClient, namespace: string, serviceAccount: string): Promise<string> {
  const request = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: TOKEN_SECONDS } };
  const path = `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`;
  const answer = (await client.raw('POST', path, request)) as { status?: { token?: string } };
  const token = answer.status?.token;
  if (!token) throw new Error(`the TokenRequest for ${namespace}/${serviceAccount} returned no token`);
  registerSecret(token);
  return token;
}

/** unshare needs CAP_SYS_ADMIN; without root, a user namespace (-r) grants it inside. */
function unshareCommand(saDir: string, controllerArgs: string[]): string[] {
  const userNs = process.getuid?.() === 0 ? [] : ['-r'];
  return ['unshare', ...userNs, '-m', '--propagation', 'private', 'sh', '-c', MOUNT_SCRIPT, 'sh', saDir, ...controllerArgs];
}

// The private tmpfs covers /run inside the namespace: a token directory under it would vanish.
function assertOutsideRun(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const run = realpathSync('/var/run');
  if (realpathSync(dir).startsWith(`${run}/`)) {
    throw new InputError(`the kwok state directory ${dir} is under ${run}; choose one elsewhere (XDG_STATE_HOME)`);
  }
}

/**
 * Starts the command detached (it must outlive short CLI runs; the pid file finds it again) and
 * restarts it when it dies while this process lives, at most `restarts` times.
 */
function supervise(files: ControllerFiles, command: string[], env: NodeJS.ProcessEnv, restarts: number, certUrl: string): LocalSealedSecrets {
  const exits: string[] = [];
  let stopping = false;
  let restartsLeft = restarts;
  const launch = (): ChildProcess => {
    const log = openSync(files.logFile, 'a');
    const [file, ...args] = command as [string, ...string[]];
    const child = spawn(file, args, { detached: true, stdio: ['ignore', log, log], env });
    closeSync(log);
    if (child.pid === undefined) throw new Error(`could not start ${command[0]} for the sealed-secrets controller`);
    writeFileSync(files.pidFile, `${child.pid}\n`);
    child.on('exit', (code, signal) => {
      const how = signal ? `signal ${signal}` : `code ${code}`;
      exits.push(how);
      const ownsPidFile = readPid(files.pidFile) === child.pid;
      if (stopping || !ownsPidFile) return;
      if (restartsLeft <= 0) {
        writeFileSync(files.logFile, `[homelab-dr] controller exited (${how}); no restarts left\n`, { flag: 'a' });
        return;
      }
      restartsLeft -= 1;
      writeFileSync(files.logFile, `[homelab-dr] controller exited (${how}); restarting\n`, { flag: 'a' });
      launch();
    });
    child.unref();
    return child;
  };
  launch();
  return {
    certUrl,
    logFile: files.logFile,
    exits,
    pid: () => readPid(files.pidFile),
    alive: () => {
      const pid = readPid(files.pidFile);
      return pid !== undefined && isOurProcess(pid, PROCESS_MARK);
    },
    stop: async () => {
      stopping = true;
      const pid = readPid(files.pidFile);
      rmSync(files.pidFile, { force: true });
      if (pid) await stopProcess(pid, PROCESS_MARK);
      rmSync(files.saDir, { recursive: true, force: true });
    },
  };
}

// Polling: the controller serves its certificate only after it loaded or generated its key pair.
async function waitCertServed(handle: LocalSealedSecrets, restarts: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (handle.exits.length > restarts) break;
    try {
      const res = await fetch(handle.certUrl, { signal: AbortSignal.timeout(2000) });
      if (res.ok && (await res.text()).includes('BEGIN CERTIFICATE')) return;
    } catch {
      // not listening yet
    }
    await sleep(300);
  }
  throw new Error(`the local sealed-secrets controller did not serve ${handle.certUrl} within ${timeoutMs / 1000}s (exits: ${handle.exits.join(', ') || 'none'}); last log lines:\n${logTail(handle.logFile)}`);
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}
