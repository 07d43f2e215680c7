// Issue 11 items 2 and 5 on the real control plane (kwok provider), each guard tried the way an operator
// or a crash would get around it: a second process (--resume, --yes), SIGKILL, SIGHUP, Ctrl-C twice and
// three times, and teardown aimed at production. Every run goes through the compiled CLI.
//
// The run is held at a known point: the example plus an app "held" whose pod selects a node label that
// no node has. The apps step then waits (10 minutes) until the test labels the node, so "apps is
// running" stays true for as long as the test needs it, and the test decides when the run may finish.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KwokProvider } from '../../src/cluster/kwok.js';
import { isOurProcess } from '../../src/cluster/process.js';
import { Journal, type JournalData } from '../../src/engine/journal.js';
import { controlPlaneBinaries } from '../../src/cluster/control-plane-binaries.js';
import { throwawayName } from '../../src/safety/throwaway-name.js';
import { HOLD_LABEL, holdAtApps } from './context.js';

const cli = resolve('bin/homelab-dr.js');
const dirs: string[] = [];
const strays: number[] = [];

afterAll(async () => {
  // Only a controller this file started (a pid may have been reused since).
  for (const pid of strays) if (isOurProcess(pid, 'sealed-secrets-controller')) process.kill(pid, 'SIGKILL');
  for (const d of dirs) {
    const provider = new KwokProvider({ root: join(d, 'state', 'kwok') });
    for (const name of kwokClusters(join(d, 'state'))) await provider.delete(name).catch(() => undefined);
    rmSync(d, { recursive: true, force: true });
  }
});

function exampleCopy(opts: { held: boolean }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hdr-runsafety-'));
  dirs.push(dir);
  cpSync(resolve('config/example'), dir, { recursive: true });
  if (opts.held) holdAtApps(dir);
  return dir;
}

function kwokClusters(stateDir: string): string[] {
  const root = join(stateDir, 'kwok', 'clusters');
  return existsSync(root) ? readdirSync(root) : [];
}

interface Run {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  exited: Promise<number | null>;
  /** Resolves once the output matches: output only grows, so this stays true once reached. */
  saying: (pattern: RegExp) => Promise<void>;
}

function start(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(process.execPath, [cli, ...args, '--config', join(dir, 'homelab.yaml'), '--state-dir', join(dir, 'state')], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', SSH_CONNECTION: '', ...env },
  });
  let out = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const onData = (d: Buffer): void => {
    out += String(d);
    for (const w of waiters.filter((x) => x.pattern.test(out))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const saying = (pattern: RegExp): Promise<void> =>
    pattern.test(out)
      ? Promise.resolve()
      : Promise.race([
          new Promise<void>((r) => waiters.push({ pattern, resolve: r })),
          exited.then((code) => {
            if (!pattern.test(out)) throw new Error(`exited ${code} before saying ${pattern}:\n${out}`);
          }),
        ]);
  return { child, out: () => out, exited, saying };
}

function cliSync(dir: string, args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [cli, ...args, '--config', join(dir, 'homelab.yaml'), '--state-dir', join(dir, 'state')], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, NO_COLOR: '1', SSH_CONNECTION: '' },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Polls the newest journal until `done` holds; every condition used here stays true once reached. */
async function journalWhen(stateDir: string, done: (j: JournalData) => boolean, run: Run): Promise<JournalData> {
  for (;;) {
    const path = Journal.find(stateDir);
    const journal = path ? Journal.read(path) : undefined;
    if (journal && done(journal)) return journal;
    if (run.child.exitCode !== null) throw new Error(`the run ended (${run.child.exitCode}) first:\n${run.out()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const appsRunning = (j: JournalData): boolean => j.steps.get('apps')?.status === 'running';

/** Lets the held app schedule: a label on the node (kubectl label merges; an apply would own the labels). */
function release(stateDir: string, cluster: string): void {
  const { kubectl } = controlPlaneBinaries(['kubectl']);
  const kubeconfig = join(stateDir, 'kwok', 'clusters', cluster, 'kubeconfig.yaml');
  const r = spawnSync(kubectl, ['--kubeconfig', kubeconfig, 'label', 'node', '--all', `${HOLD_LABEL}=released`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kubectl label failed: ${r.stderr}`);
}

function controllerPid(stateDir: string, cluster: string): number {
  return Number(readFileSync(join(stateDir, 'kwok', 'homelab-dr', cluster, 'sealed-secrets', 'controller.pid'), 'utf8'));
}

describe('two runs on one cluster', () => {
  it('a second run (--resume, --yes, teardown) is refused (exit 3) naming the live run; after SIGKILL nothing blocks and teardown removes what is left', async () => {
    const dir = exampleCopy({ held: true });
    const stateDir = join(dir, 'state');
    const first = start(dir, ['dr-test', '--yes']);
    const journal = await journalWhen(stateDir, appsRunning, first);
    const cluster = journal.header.cluster!;
    const live = new RegExp(`is held by pid ${first.child.pid} \\(homelab-dr dr-test, run ${journal.header.runId}, started \\d{4}-`);

    const resumed = cliSync(dir, ['dr-test', '--resume', '--yes']);
    expect(resumed.code, resumed.out).toBe(3);
    expect(resumed.out).toMatch(live);
    const another = cliSync(dir, ['dr-test', '--yes']);
    expect(another.code, another.out).toBe(3);
    expect(another.out).toMatch(new RegExp(`state directory ${stateDir} ${live.source}`));
    const teardown = cliSync(dir, ['teardown', cluster]);
    expect(teardown.code, teardown.out).toBe(3);
    expect(teardown.out).toMatch(new RegExp(`cluster ${cluster} ${live.source}`));
    expect(kwokClusters(stateDir)).toEqual([cluster]);

    // A crash: the kernel releases the locks; the cluster and the local controller stay behind.
    const controller = controllerPid(stateDir, cluster);
    strays.push(controller);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(isOurProcess(controller, 'sealed-secrets-controller')).toBe(true);
    const cleaned = cliSync(dir, ['teardown', '--all-throwaway']);
    expect(cleaned.code, cleaned.out).toBe(0);
    expect(cleaned.out).toContain(`teardown: ${cluster}: deleted`);
    expect(cleaned.out).toMatch(/1 deleted, 0 in use .* production cluster homelab untouched/);
    expect(kwokClusters(stateDir)).toEqual([]);
    expect(isOurProcess(controller, 'sealed-secrets-controller')).toBe(false);
    // The state directory's lock is free too: a new run gets past it.
    const next = cliSync(dir, ['dr-test', '--only', 'preflight']);
    expect(next.code, next.out).toBe(0);
  }, 400_000);
});

describe('interrupts and hangups', () => {
  it('SIGHUP (the SSH session dropping) does not stop a dr-test: it completes green', async () => {
    const dir = exampleCopy({ held: true });
    const stateDir = join(dir, 'state');
    const run = start(dir, ['dr-test']);
    const journal = await journalWhen(stateDir, appsRunning, run);
    run.child.kill('SIGHUP');
    run.child.kill('SIGHUP');
    // Still there after the hangups: it answers the lock (a second run is refused naming it).
    const probe = cliSync(dir, ['dr-test', '--yes']);
    expect(probe.code, probe.out).toBe(3);
    release(stateDir, journal.header.cluster!);
    expect(await run.exited, run.out()).toBe(0);
    expect(run.out()).toMatch(/proof: every step that ran verifies again/);
    expect(run.out()).toMatch(/teardown: cluster \S+ deleted/);
    expect(readFileSync(join(stateDir, 'logs', `${journal.header.runId}.jsonl`), 'utf8')).toContain('SIGHUP: the terminal went away; the run goes on');
  }, 400_000);

  it('a second Ctrl-C still tears down; a third abandons, naming the cluster and the command that removes it', async () => {
    const dir = exampleCopy({ held: true });
    const stateDir = join(dir, 'state');

    const twice = start(dir, ['dr-test']);
    const j1 = await journalWhen(stateDir, appsRunning, twice);
    // The stopped controller holds the teardown for its 5 s grace, a known point to interrupt in.
    const c1 = controllerPid(stateDir, j1.header.cluster!);
    strays.push(c1);
    process.kill(c1, 'SIGSTOP');
    twice.child.kill('SIGINT');
    await twice.saying(/interrupt: finishing the current item, then tearing down/);
    twice.child.kill('SIGINT');
    await twice.saying(/still happens/);
    expect(await twice.exited, twice.out()).toBe(130);
    expect(twice.out()).toMatch(new RegExp(`teardown: cluster ${j1.header.cluster} deleted`));
    expect(kwokClusters(stateDir)).toEqual([]);

    const thrice = start(dir, ['dr-test']);
    const j2 = await journalWhen(stateDir, (j) => j.header.runId !== j1.header.runId && appsRunning(j), thrice);
    const cluster = j2.header.cluster!;
    const c2 = controllerPid(stateDir, cluster);
    strays.push(c2);
    process.kill(c2, 'SIGSTOP');
    thrice.child.kill('SIGINT');
    await thrice.saying(/then tearing down/);
    thrice.child.kill('SIGINT');
    await thrice.saying(/still happens/);
    thrice.child.kill('SIGINT');
    expect(await thrice.exited, thrice.out()).toBe(130);
    const command = new RegExp(`cluster ${cluster} is LEFT BEHIND.*\\n  (homelab-dr teardown ${cluster} --config \\S+ --state-dir \\S+)`).exec(thrice.out());
    expect(command, thrice.out()).not.toBeNull();
    expect(Journal.read(Journal.find(stateDir, j2.header.runId)!).exitCode).toBe(130);
    process.kill(c2, 'SIGCONT');
    const removed = spawnSync('sh', ['-c', command![1]!.replace(/^homelab-dr /, `"${process.execPath}" "${cli}" `)], { encoding: 'utf8', timeout: 120_000 });
    expect(removed.status, `${removed.stdout}${removed.stderr}`).toBe(0);
    expect(kwokClusters(stateDir)).toEqual([]);
  }, 500_000);
});

describe('teardown and the drill sweep', () => {
  it('never deletes production; --all-throwaway removes only this config\'s; a drill first removes throwaways older than drill.throwawayMaxAge and reports it', async () => {
    const dir = exampleCopy({ held: false });
    const stateDir = join(dir, 'state');
    const provider = new KwokProvider({ root: join(stateDir, 'kwok') });
    const old = throwawayName('homelab', { now: new Date(Date.now() - 3 * 24 * 3_600_000), pid: 1 });
    const young = throwawayName('homelab', { now: new Date(), pid: 2 });
    const notOurs = throwawayName('nas', { now: new Date(Date.now() - 3 * 24 * 3_600_000), pid: 3 });
    // Production and an old throwaway are real clusters; the others are what an interrupted create leaves
    // (a cluster directory), which the provider counts as a cluster too.
    for (const name of ['homelab', old]) await provider.create(name);
    for (const name of [young, notOurs]) mkdirSync(join(stateDir, 'kwok', 'clusters', name), { recursive: true });

    for (const args of [['teardown', 'homelab'], ['teardown', 'homelab', '--yes'], ['teardown', 'HOMELAB'], ['teardown', notOurs]]) {
      const refused = cliSync(dir, args);
      expect(refused.code, `${args.join(' ')}\n${refused.out}`).toBe(3);
    }
    expect(kwokClusters(stateDir).sort()).toEqual(['homelab', old, young, notOurs].sort());

    const reportDir = join(dir, 'reports');
    const drill = cliSync(dir, ['drill', '--report-dir', reportDir]);
    expect(drill.code, drill.out).toBe(0);
    expect(drill.out).toContain(`sweep: 1 throwaway cluster(s) older than 24h removed, 1 younger kept: ${old}: deleted`);
    const [runDir] = readdirSync(reportDir).filter((f) => !f.includes('.'));
    const report = readFileSync(join(reportDir, runDir!, 'report.md'), 'utf8');
    expect(report).toContain(`sweep: Cluster ${old} deleted`);
    expect(kwokClusters(stateDir).sort()).toEqual(['homelab', young, notOurs].sort());

    const all = cliSync(dir, ['teardown', '--all-throwaway']);
    expect(all.code, all.out).toBe(0);
    expect(kwokClusters(stateDir).sort()).toEqual(['homelab', notOurs].sort());
    expect(await provider.exists('homelab')).toBe(true);
    for (const name of ['homelab', notOurs]) await provider.delete(name);
  }, 500_000);
});
