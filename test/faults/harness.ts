// Shared pieces of the fault-injection tests (issue 8): the seed, the compiled CLI as a child process
// that can be killed at a point seen from outside (its JSONL journal, or a file it creates), the real
// control plane's processes, and an inventory of what a run left in the cluster.
//
// Nothing here reaches into the orchestrator: a kill point is recognised by reading the journal the
// run appends to (or a pid file a step writes), exactly as an operator tailing the state dir would.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { KwokProvider } from '../../src/cluster/kwok.js';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { Journal, type JournalEvent } from '../../src/engine/journal.js';
import { prng } from '../fixtures/prng.js';

export { prng };

export const CLI = resolve('bin/homelab-dr.js');
export const EXAMPLE = resolve('config/example');
/** The production cluster name of the bundled example (config cluster.name). */
export const PROD = 'homelab';

// ---------------------------------------------------------------------------------------------- seed

/** HOMELAB_DR_FAULT_SEED, else a fresh one; printed so that a failing run can be replayed exactly. */
export function faultSeed(label: string): number {
  const fromEnv = process.env.HOMELAB_DR_FAULT_SEED;
  if (fromEnv !== undefined && fromEnv !== '' && !/^\d+$/.test(fromEnv)) throw new Error(`HOMELAB_DR_FAULT_SEED=${fromEnv} is not a whole number`);
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
  console.log(`[faults] ${label}: seed ${seed} (replay with HOMELAB_DR_FAULT_SEED=${seed})`);
  return seed;
}

/** A number in [0, 1) that depends only on the seed and the words: the same request gets the same fate. */
export function hashUnit(seed: number, ...words: Array<string | number>): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (const ch of words.join('\u0000')) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return prng(h)();
}

// ------------------------------------------------------------------------------------------ workspace

export interface Workspace {
  dir: string;
  config: string;
  stateDir: string;
  kwokRoot: string;
}

/** A private copy of the bundled example and a private state dir (so its kwok clusters are ours alone). */
export function workspace(prefix: string, edit?: (config: Record<string, unknown>) => void): Workspace {
  const dir = mkdtempSync(join(tmpdir(), `hdr-faults-${prefix}-`));
  cpSync(EXAMPLE, join(dir, 'example'), { recursive: true });
  const config = join(dir, 'example', 'homelab.yaml');
  if (edit) {
    const doc = parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
    edit(doc);
    writeFileSync(config, stringify(doc));
  }
  const stateDir = join(dir, 'state');
  return { dir, config, stateDir, kwokRoot: join(stateDir, 'kwok') };
}

/** Removes the workspace (its clusters must be deleted first); HOMELAB_DR_FAULT_KEEP=1 keeps it for a post-mortem. */
export function removeWorkspace(ws: Workspace): void {
  if (process.env.HOMELAB_DR_FAULT_KEEP) {
    console.log(`[faults] kept ${ws.dir} (HOMELAB_DR_FAULT_KEEP)`);
    return;
  }
  rmSync(ws.dir, { recursive: true, force: true });
}

// ------------------------------------------------------------------------------------------- the CLI

export interface Journaled {
  events: JournalEvent[];
  torn: boolean;
}

/** The journal's complete lines so far (a line being written is left for the next look). */
export function readJournalLoose(path: string): Journaled {
  if (!existsSync(path)) return { events: [], torn: false };
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  const events: JournalEvent[] = [];
  for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as JournalEvent);
  return { events, torn: last.trim() !== '' };
}

export interface KillProbe {
  /** Journal events so far. */
  events: JournalEvent[];
  elapsedMs: number;
  /** The orchestrator's pid (e.g. to SIGSTOP it for a moment). */
  pid: number;
}

export interface CliRun {
  args: string[];
  runId: string;
  journalPath: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
  /** Set when killWhen fired: when, and the last journal event the killer had seen. */
  killed?: { atMs: number; lastEvent?: JournalEvent; events: number };
  /** Processes of the killed run's group that outlived it, and how long they took to finish. */
  lingered?: { commands: string[]; drainedMs: number };
}

export interface RunCliOptions {
  ws: Workspace;
  runId: string;
  /** Another config file than the workspace's (e.g. a variant written by configVariant). */
  config?: string;
  env?: NodeJS.ProcessEnv;
  /** The hang detector: past it the whole process group is killed and the run is reported as hung. */
  timeoutMs?: number;
  /** Polled every pollMs against the journal; true means SIGKILL the orchestrator now. */
  killWhen?: (probe: KillProbe) => boolean;
  /** Called on every poll (e.g. to inject a fault at a journal event); may be async, never awaited twice at once. */
  onPoll?: (probe: KillProbe) => void | Promise<void>;
  pollMs?: number;
  /** Also look at the journal on every write to it (inotify), not only every pollMs: for points a few ms wide. */
  watchJournal?: boolean;
}

let runCounter = 0;
export function runId(label: string): string {
  runCounter += 1;
  return `${label}-${process.pid}-${String(runCounter).padStart(3, '0')}`;
}

/**
 * Runs `node bin/homelab-dr.js ...args --state-dir <ws> --config <ws>` in its own process group.
 * killWhen SIGKILLs only the orchestrator (node) process, as a crash or the OOM killer would; what it
 * had started (kwokctl, helm...) is then waited for (see `lingered`) so the next run starts from a
 * settled state, as an operator re-running after a crash would find it.
 */
export function runCli(args: string[], opts: RunCliOptions): Promise<CliRun> {
  const { ws } = opts;
  const full = [...args, '--config', opts.config ?? ws.config, '--state-dir', ws.stateDir];
  const journalPath = join(ws.stateDir, 'runs', `${opts.runId}.jsonl`);
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...full], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...opts.env, HOMELAB_DR_RUN_ID: opts.runId },
  });
  const pid = child.pid!;
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  let killed: CliRun['killed'];
  let hung = false;
  let polling = false;
  const tick = (): void => {
    if (polling || killed) return;
    polling = true;
    void (async () => {
      try {
        const { events } = readJournalLoose(journalPath);
        const probe = { events, elapsedMs: Date.now() - started, pid };
        if (opts.onPoll) await opts.onPoll(probe);
        if (opts.killWhen?.(probe) && !killed) {
          killed = { atMs: Date.now() - started, lastEvent: events.at(-1), events: events.length };
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* it ended on its own a moment ago */
          }
        }
      } finally {
        polling = false;
      }
    })();
  };
  const poll = setInterval(tick, opts.pollMs ?? 15);
  let watcher: FSWatcher | undefined;
  if (opts.watchJournal) {
    mkdirSync(dirname(journalPath), { recursive: true });
    watcher = watch(dirname(journalPath), tick);
  }
  let hangReport = '';
  const hangTimer = setTimeout(() => {
    hung = true;
    hangReport = hangDiagnosis(pid, join(ws.stateDir, 'logs', `${opts.runId}.jsonl`));
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, opts.timeoutMs ?? 300_000);
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      watcher?.close();
      clearTimeout(hangTimer);
      const result: CliRun = { args: full, runId: opts.runId, journalPath, code, signal, stdout, stderr, elapsedMs: Date.now() - started, ...(killed ? { killed } : {}) };
      if (hung) {
        reject(new Error(`HANG: homelab-dr ${args.join(' ')} did not end within ${(opts.timeoutMs ?? 300_000) / 1000}s\n--- stderr\n${stderr.slice(-4000)}\n${hangReport}`));
        return;
      }
      if (!killed) return resolvePromise(result);
      void drainGroup(pid, 120_000).then((lingered) => resolvePromise({ ...result, lingered }), reject);
    });
  });
}

/** What a hung run was doing: its open TCP connections and the last lines of its JSON log. */
function hangDiagnosis(pid: number, logFile: string): string {
  let sockets = '';
  try {
    sockets = execFileSync('ss', ['-tanp'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`pid=${pid},`)).join('\n');
  } catch (err) {
    sockets = `(ss failed: ${(err as Error).message})`;
  }
  const log = existsSync(logFile) ? tail(readFileSync(logFile, 'utf8'), 15) : '(no log)';
  return `--- TCP connections of the hung run (pid ${pid})\n${sockets || '(none)'}\n--- its log (tail)\n${log}`;
}

/** Waits until no process of group `pgid` is left; returns what was still there right after the kill. */
async function drainGroup(pgid: number, timeoutMs: number): Promise<{ commands: string[]; drainedMs: number }> {
  const started = Date.now();
  const first = groupMembers(pgid).map((p) => p.command);
  while (groupMembers(pgid).length > 0) {
    if (Date.now() - started > timeoutMs) {
      throw new Error(`processes of the killed run still alive after ${timeoutMs / 1000}s: ${groupMembers(pgid).map((p) => `${p.pid} ${p.command}`).join('; ')}`);
    }
    await sleep(100);
  }
  return { commands: first, drainedMs: Date.now() - started };
}

export interface ProcInfo {
  pid: number;
  pgid: number;
  command: string;
  argv: string[];
}

/** Every live (non-zombie) process, from /proc. */
export function processes(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z') continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      out.push({ pid: Number(entry), pgid: Number(rest[2]), command: argv.join(' ').slice(0, 200), argv });
    } catch {
      /* it ended while we looked */
    }
  }
  return out;
}

function groupMembers(pgid: number): ProcInfo[] {
  return processes().filter((p) => p.pgid === pgid);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ------------------------------------------------------------------------------------ journal views

export function stepEvents(events: readonly JournalEvent[], step: string): Array<Extract<JournalEvent, { t: 'step' }>> {
  return events.filter((e): e is Extract<JournalEvent, { t: 'step' }> => e.t === 'step' && e.id === step);
}

export function itemEvents(events: readonly JournalEvent[], step: string): Array<Extract<JournalEvent, { t: 'item' }>> {
  return events.filter((e): e is Extract<JournalEvent, { t: 'item' }> => e.t === 'item' && e.step === step);
}

export const GREEN_STATUSES = new Set(['unchanged', 'applied', 'verified-only']);

/** Final status of every step in a finished journal (read with the product's own reader). */
export function finalStatuses(journalPath: string): Record<string, string> {
  const data = Journal.read(journalPath);
  return Object.fromEntries([...data.steps.values()].map((s) => [s.id, s.status]));
}

// --------------------------------------------------------------------------------- the cluster side

export function kwokProvider(ws: Workspace): KwokProvider {
  return new KwokProvider({ root: ws.kwokRoot });
}

/** Processes that belong to the kwok cluster `cluster` under this workspace (their argv names its dirs). */
export function clusterProcesses(ws: Workspace, cluster: string): ProcInfo[] {
  const paths = kwokProvider(ws).paths(cluster);
  return processes().filter((p) => p.argv.some((a) => a.includes(paths.workdir) || a.includes(paths.extras)));
}

/** kwokctl's pid file of one component (binary runtime: <workdir>/pids/<component>.pid). */
export function componentPidFile(ws: Workspace, cluster: string, component: string): string {
  return join(kwokProvider(ws).paths(cluster).workdir, 'pids', `${component}.pid`);
}

export function controllerPidFile(ws: Workspace, cluster: string): string {
  return join(kwokProvider(ws).paths(cluster).extras, 'sealed-secrets', 'controller.pid');
}

const MANAGER = 'homelab-dr';

export interface Inventory {
  /** `Kind ns/name` of every object homelab-dr manages (server-side apply field manager). */
  managed: string[];
  problems: string[];
  counts: Record<string, number>;
}

function key(o: KubeObject): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

function managedBy(o: KubeObject, manager: string): boolean {
  const fields = (o.metadata['managedFields'] as Array<{ manager?: string }> | undefined) ?? [];
  return fields.some((f) => f.manager === manager);
}

/**
 * What the cluster holds after a run, with every duplicate a crashed-and-resumed run could leave:
 * objects twice, a second sealing key, a SealedSecret without its Secret (or the reverse), a second
 * ReplicaSet or extra pods for a Deployment, a second controller or control plane.
 */
export async function inventory(ws: Workspace, cluster: string): Promise<Inventory> {
  const provider = kwokProvider(ws);
  const kube = await KubeClient.fromKubeconfig(await provider.kubeconfig(cluster));
  const problems: string[] = [];
  try {
    const kinds: Array<[string, string]> = [
      ['v1', 'Namespace'], ['v1', 'PersistentVolume'], ['storage.k8s.io/v1', 'StorageClass'], ['v1', 'PersistentVolumeClaim'],
      ['bitnami.com/v1alpha1', 'SealedSecret'], ['v1', 'Secret'], ['apps/v1', 'Deployment'], ['apps/v1', 'StatefulSet'],
      ['apps/v1', 'ReplicaSet'], ['v1', 'Pod'], ['v1', 'Service'], ['v1', 'ConfigMap'], ['v1', 'ServiceAccount'], ['v1', 'Node'],
    ];
    const all = new Map<string, KubeObject[]>();
    for (const [apiVersion, kind] of kinds) all.set(kind, await kube.list({ apiVersion, kind }));
    const objects = [...all.values()].flat();
    const managed = objects.filter((o) => managedBy(o, MANAGER)).map(key).sort();
    const seen = new Set<string>();
    for (const k of objects.map(key)) {
      if (seen.has(k)) problems.push(`${k} is listed twice`);
      seen.add(k);
    }
    // SealedSecrets and Secrets match one to one: every SealedSecret owns a Secret of its name.
    const secrets = all.get('Secret')!;
    for (const ss of all.get('SealedSecret')!) {
      const owned = secrets.filter((s) => s.metadata.namespace === ss.metadata.namespace && s.metadata.name === ss.metadata.name);
      if (owned.length !== 1) problems.push(`SealedSecret ${ss.metadata.namespace}/${ss.metadata.name} has ${owned.length} Secret(s)`);
      const owner = ((owned[0]?.metadata['ownerReferences'] as Array<{ uid?: string }> | undefined) ?? [])[0]?.uid;
      if (owned[0] && owner !== ss.metadata.uid) problems.push(`Secret ${ss.metadata.namespace}/${ss.metadata.name} is not owned by its SealedSecret`);
    }
    const sealedNames = new Set(all.get('SealedSecret')!.map((s) => `${s.metadata.namespace}/${s.metadata.name}`));
    for (const s of secrets) {
      const ownerKinds = ((s.metadata['ownerReferences'] as Array<{ kind?: string }> | undefined) ?? []).map((o) => o.kind);
      if (ownerKinds.includes('SealedSecret') && !sealedNames.has(`${s.metadata.namespace}/${s.metadata.name}`)) {
        problems.push(`Secret ${s.metadata.namespace}/${s.metadata.name} is owned by a SealedSecret that does not exist`);
      }
    }
    const keys = secrets.filter((s) => s.metadata.labels?.['sealedsecrets.bitnami.com/sealed-secrets-key'] === 'active');
    if (keys.length !== 1) problems.push(`${keys.length} active sealing key Secret(s) (${keys.map((k) => k.metadata.name).join(', ')}), expected 1`);
    // A Deployment re-applied with the same template keeps one ReplicaSet and its replica count of pods.
    const rs = all.get('ReplicaSet')!;
    const pods = all.get('Pod')!;
    for (const d of all.get('Deployment')!) {
      const mine = rs.filter((r) => ((r.metadata['ownerReferences'] as Array<{ uid?: string }> | undefined) ?? []).some((o) => o.uid === d.metadata.uid));
      if (mine.length !== 1) problems.push(`Deployment ${d.metadata.namespace}/${d.metadata.name} has ${mine.length} ReplicaSets`);
      const want = (d['spec'] as { replicas?: number }).replicas ?? 1;
      const have = pods.filter((p) => ((p.metadata['ownerReferences'] as Array<{ uid?: string }> | undefined) ?? []).some((o) => mine.some((r) => r.metadata.uid === o.uid)));
      if (have.length !== want) problems.push(`Deployment ${d.metadata.namespace}/${d.metadata.name} has ${have.length} pods, wants ${want}`);
    }
    if (all.get('Node')!.length !== 1) problems.push(`${all.get('Node')!.length} nodes, expected 1`);
    // Processes: one control plane and one sealed-secrets controller for this cluster, nothing doubled.
    const procs = clusterProcesses(ws, cluster);
    for (const component of ['kube-apiserver', 'etcd', 'kube-controller-manager', 'kube-scheduler', 'kwok-controller']) {
      const n = procs.filter((p) => p.argv[0]?.endsWith(`/${component}`)).length;
      if (n !== 1) problems.push(`${n} ${component} process(es) for cluster ${cluster}, expected 1`);
    }
    // The controller's argv names no cluster; its environment names the apiserver it serves.
    const apiPort = new URL(await provider.apiServer(cluster)).port;
    const controllers = processes().filter((p) => p.argv[0]?.endsWith('/sealed-secrets-controller') && environ(p.pid).KUBERNETES_SERVICE_PORT === apiPort);
    if (controllers.length !== 1) problems.push(`${controllers.length} sealed-secrets controller process(es) for cluster ${cluster}, expected 1`);
    // Only the one cluster lives in this state dir.
    const clusters = existsSync(join(ws.kwokRoot, 'clusters')) ? readdirSync(join(ws.kwokRoot, 'clusters')) : [];
    if (clusters.join(',') !== cluster) problems.push(`kwok clusters in the state dir: [${clusters.join(', ')}], expected [${cluster}]`);
    const counts = Object.fromEntries([...all].map(([k, v]) => [k, v.length]));
    return { managed, problems, counts };
  } finally {
    kube.close();
  }
}

/** What a settled inventory found, and what it saw on the way there. */
export interface SettledInventory extends Inventory {
  /** Problems an earlier snapshot had that a later one no longer has (e.g. a stopped process still exiting). */
  transient: string[];
  /** When problems remain: every process of the cluster and every sealed-secrets controller, for the report. */
  processes?: string[];
}

/**
 * The inventory once it has no problem, re-taken each second for at most `withinMs`. What is done
 * asynchronously after a run ends (a stopped process still exiting) must not fail the check, but a
 * duplicate or a leftover that persists must: the problems of the last snapshot are returned, with the
 * processes that explain them, and every problem that cleared on the way is kept in `transient`.
 */
export async function settledInventory(ws: Workspace, cluster: string, withinMs = 30_000): Promise<SettledInventory> {
  const deadline = Date.now() + withinMs;
  const seen = new Set<string>();
  for (;;) {
    const inv = await inventory(ws, cluster);
    const transient = [...seen].filter((p) => !inv.problems.includes(p));
    if (inv.problems.length === 0) return { ...inv, transient };
    for (const p of inv.problems) seen.add(p);
    if (Date.now() >= deadline) {
      const mine = clusterProcesses(ws, cluster).map((p) => `${p.pid} ${p.command}`);
      const controllers = processes()
        .filter((p) => p.argv[0]?.endsWith('/sealed-secrets-controller'))
        .map((p) => `${p.pid} ${p.command} (KUBERNETES_SERVICE_PORT=${environ(p.pid).KUBERNETES_SERVICE_PORT ?? '?'})`);
      return { ...inv, transient, processes: [...mine, ...controllers] };
    }
    await sleep(1000);
  }
}

export function environ(pid: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  try {
    for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean)) {
      const i = kv.indexOf('=');
      env[kv.slice(0, i)] = kv.slice(i + 1);
    }
  } catch {
    /* gone, or not ours to read */
  }
  return env;
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Deletes every kwok cluster of the workspace (and its local controllers); used in afterAll and on exit. */
export async function deleteClusters(ws: Workspace): Promise<void> {
  const dir = join(ws.kwokRoot, 'clusters');
  const provider = kwokProvider(ws);
  const names = new Set([...(existsSync(dir) ? readdirSync(dir) : []), ...(existsSync(join(ws.kwokRoot, 'homelab-dr')) ? readdirSync(join(ws.kwokRoot, 'homelab-dr')) : [])]);
  for (const name of names) await provider.delete(name);
}

export function deleteClustersNow(ws: Workspace): void {
  const dir = join(ws.kwokRoot, 'clusters');
  const provider = kwokProvider(ws);
  const names = new Set([...(existsSync(dir) ? readdirSync(dir) : []), ...(existsSync(join(ws.kwokRoot, 'homelab-dr')) ? readdirSync(join(ws.kwokRoot, 'homelab-dr')) : [])]);
  for (const name of names) {
    try {
      provider.deleteNow(name);
    } catch {
      /* best effort on exit */
    }
  }
}

/** Registers a synchronous teardown for Ctrl-C or a crash of the test runner (see global-setup.ts). */
export function teardownOnExit(ws: Workspace): () => void {
  const hook = (): void => deleteClustersNow(ws);
  process.once('exit', hook);
  return () => process.off('exit', hook);
}

export function tail(text: string, lines = 40): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Writes a variant of the workspace's config beside it (so its relative paths still resolve). */
export function configVariant(ws: Workspace, name: string, edit: (config: Record<string, unknown>) => void): string {
  const doc = parse(readFileSync(ws.config, 'utf8')) as Record<string, unknown>;
  edit(doc);
  const path = join(ws.config, '..', `${name}.yaml`);
  writeFileSync(path, stringify(doc));
  return path;
}
