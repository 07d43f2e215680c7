// The typed confirmation of hard-reset on a real pseudo-terminal (util-linux `script`), as an operator
// meets it: Ctrl-C (130, nothing changed), a wrong name (3; with -o json the blast radius in its Error
// envelope), end of input (3), and the right name, after which the terminal itself goes away (the SSH
// drop: SIGHUP, then EIO on every write) while the run is held at a known point, and the run still
// completes. Real kwok control plane.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KwokProvider } from '../../src/cluster/kwok.js';
import { isOurProcess } from '../../src/cluster/process.js';
import { Journal, type JournalData } from '../../src/engine/journal.js';
import { readHolder, stateLockPath } from '../../src/safety/run-lock.js';
import { controlPlaneBinaries } from '../../src/cluster/control-plane-binaries.js';
import { HOLD_LABEL, holdAtApps } from './context.js';

const cli = resolve('bin/homelab-dr.js');
const dir = mkdtempSync(join(tmpdir(), 'hdr-pty-'));
const stateDir = join(dir, 'state');
const config = join(dir, 'homelab.yaml');

cpSync(resolve('config/example'), dir, { recursive: true });
holdAtApps(dir);

afterAll(async () => {
  await new KwokProvider({ root: join(stateDir, 'kwok') }).delete('homelab');
  rmSync(dir, { recursive: true, force: true });
});

interface Terminal {
  type: (keys: string) => void;
  screen: () => string;
  /** Resolves once the screen shows `pattern` (it only grows, so this stays true once reached). */
  showing: (pattern: RegExp) => Promise<void>;
  exited: Promise<number | null>;
  hangUp: () => void;
}

/** hard-reset on a pseudo-terminal of its own; `exec` makes it the session leader, as a login shell's job would be. */
function onTerminal(command_ = 'hard-reset'): Terminal {
  const command = `exec "${process.execPath}" "${cli}" ${command_} --config "${config}" --state-dir "${stateDir}"`;
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', SSH_CONNECTION: '', SHELL: '/bin/sh', TERM: 'xterm' },
  });
  let screen = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const onData = (d: Buffer): void => {
    screen += String(d);
    for (const w of waiters.filter((x) => x.pattern.test(screen))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return {
    type: (keys) => void child.stdin.write(keys),
    screen: () => screen,
    showing: (pattern) =>
      pattern.test(screen)
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((r) => waiters.push({ pattern, resolve: r })),
            exited.then((code) => {
              if (!pattern.test(screen)) throw new Error(`ended (${code}) before showing ${pattern}:\n${screen}`);
            }),
          ]),
    exited,
    hangUp: () => void child.kill('SIGKILL'),
  };
}

/** Lets the held app schedule: a label on the node (kubectl label merges; an apply would own the labels). */
function release(kubeconfig: string): void {
  const { kubectl } = controlPlaneBinaries(['kubectl']);
  const r = spawnSync(kubectl, ['--kubeconfig', kubeconfig, 'label', 'node', '--all', `${HOLD_LABEL}=released`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kubectl label failed: ${r.stderr}`);
}

const PROMPT = /Type the cluster name \(homelab\) to destroy it: /;

function clusters(): string[] {
  const root = join(stateDir, 'kwok', 'clusters');
  return existsSync(root) ? readdirSync(root) : [];
}

async function journalWhen(done: (j: JournalData) => boolean): Promise<JournalData> {
  for (;;) {
    const path = Journal.find(stateDir);
    const journal = path ? Journal.read(path) : undefined;
    if (journal && done(journal)) return journal;
    // The run is not this test's child (script's is): a run that died without an end fails at once.
    const holder = readHolder(stateLockPath(stateDir));
    if (journal && journal.exitCode === undefined && holder && !isOurProcess(holder.pid, 'homelab-dr')) {
      throw new Error(`the run (pid ${holder.pid}) died without ending its journal: ${JSON.stringify([...journal.steps.values()])}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('typed confirmation on a pseudo-terminal', () => {
  it('Ctrl-C: exit 130, "nothing was changed", no stack trace', async () => {
    const t = onTerminal();
    await t.showing(PROMPT);
    t.type('home\x03');
    expect(await t.exited, t.screen()).toBe(130);
    expect(t.screen()).toContain('homelab-dr: interrupted: Ctrl-C at the confirmation: nothing was changed, cluster "homelab" is untouched');
    expect(t.screen()).not.toMatch(/AbortError|internal error|\n\s+at /);
    expect(clusters()).toEqual([]);
  });

  it('a wrong name: refused (3)', async () => {
    const t = onTerminal();
    await t.showing(PROMPT);
    t.type('homelab2\r');
    expect(await t.exited, t.screen()).toBe(3);
    expect(t.screen()).toContain('refused: confirmation did not match "homelab": nothing was changed');
    expect(clusters()).toEqual([]);
  });

  it('-o json and a wrong name: refused (3), the kind: Error envelope carrying the blast radius the screen showed', async () => {
    const t = onTerminal('hard-reset -o json');
    await t.showing(PROMPT);
    t.type('homelab2\r');
    expect(await t.exited, t.screen()).toBe(3);
    // stdout and stderr share the terminal: the envelope is the last thing written, after the refusal line.
    const screen = t.screen().replace(/\r\n/g, '\n');
    const doc = JSON.parse(screen.slice(screen.indexOf('{\n  "apiVersion"')));
    expect(doc).toMatchObject({
      kind: 'Error',
      metadata: { command: 'hard-reset' },
      exitCode: 3,
      reason: 'Refused',
      message: 'confirmation did not match "homelab": nothing was changed, cluster "homelab" is untouched',
      blastRadius: { command: 'hard-reset', cluster: 'homelab', provider: 'kwok', live: { reachable: false }, access: { throughCluster: false } },
    });
    expect(doc.blastRadius.rollback[0]).toEqual({ step: 'preflight', leftIn: expect.stringContaining('nothing touched') });
    expect(clusters()).toEqual([]);
  });

  it('end of input (Ctrl-D): refused (3), saying so', async () => {
    const t = onTerminal();
    await t.showing(PROMPT);
    t.type('\x04');
    expect(await t.exited, t.screen()).toBe(3);
    expect(t.screen()).toContain('refused: no answer (end of input) at the confirmation: nothing was changed');
    expect(clusters()).toEqual([]);
  });

  it('the right name proceeds, and the run survives its terminal going away (SIGHUP, then EIO)', async () => {
    const t = onTerminal();
    await t.showing(PROMPT);
    t.type('homelab\r');
    const held = await journalWhen((j) => j.steps.get('apps')?.status === 'running');
    expect(held.header.command).toBe('hard-reset');
    t.hangUp();
    await t.exited;
    // The terminal is gone; the run goes on. Let the held app schedule and the run finish.
    release(join(stateDir, 'kwok', 'clusters', 'homelab', 'kubeconfig.yaml'));
    const done = await journalWhen((j) => j.header.runId === held.header.runId && j.exitCode !== undefined);
    expect(done.exitCode, JSON.stringify([...done.steps.values()])).toBe(0);
    expect(done.steps.get('apps')?.status).toBe('applied');
    const log = readFileSync(join(stateDir, 'logs', `${held.header.runId}.jsonl`), 'utf8');
    expect(log).toContain('SIGHUP: the terminal went away; the run goes on');
  }, 400_000);

  it('Ctrl-C typed twice at the terminal during a dr-test: the teardown still happens', async () => {
    const t = onTerminal('dr-test');
    const held = await journalWhen((j) => j.header.command === 'dr-test' && j.steps.get('apps')?.status === 'running');
    const cluster = held.header.cluster!;
    // A stopped controller holds the teardown for its 5 s grace: the known point for the second Ctrl-C.
    const controller = Number(readFileSync(join(stateDir, 'kwok', 'homelab-dr', cluster, 'sealed-secrets', 'controller.pid'), 'utf8'));
    process.kill(controller, 'SIGSTOP');
    t.type('\x03');
    await t.showing(/then tearing down/);
    t.type('\x03');
    await t.showing(/still happens/);
    expect(await t.exited, t.screen()).toBe(130);
    expect(t.screen()).toContain(`teardown: cluster ${cluster} deleted`);
    expect(clusters().filter((name) => name !== 'homelab')).toEqual([]); // production (the test above) is not ours to remove
    expect(isOurProcess(controller, 'sealed-secrets-controller')).toBe(false);
  }, 300_000);
});
