import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  decideDetach,
  detachedArgv,
  detachedNotice,
  environmentFile,
  followCommand,
  maybeDetach,
  systemdRunArgs,
  systemdScopeOf,
  unitName,
  type DetachInputs,
} from '../../src/safety/detach.js';

const overSsh = { SSH_CONNECTION: '127.0.0.1 51234 127.0.0.1 22' };
const inputs = (over: Partial<DetachInputs> = {}): DetachInputs => ({ env: overSsh, command: 'hard-reset', throughCluster: true, systemd: undefined, ...over });

describe('decideDetach', () => {
  it('detaches a hard-reset over SSH through the cluster: systemd-run when it can, else setsid', () => {
    expect(decideDetach(inputs({ systemd: 'system' }))).toEqual({ detach: true, via: 'systemd-run', scope: 'system', reason: 'the SSH session runs through the cluster and will drop when it is deleted' });
    expect(decideDetach(inputs())).toMatchObject({ detach: true, via: 'setsid' });
  });

  it('stays in the foreground whenever the run would survive the drop anyway', () => {
    const reasons = [
      decideDetach(inputs({ env: { ...overSsh, HOMELAB_DR_DETACHED: '1' } })),
      decideDetach(inputs({ command: 'dr-test' })),
      decideDetach(inputs({ env: {} })),
      decideDetach(inputs({ env: { ...overSsh, TMUX: '/tmp/tmux-0/default,123,0' } })),
      decideDetach(inputs({ env: { ...overSsh, STY: '123.pts-0.host' } })),
      decideDetach(inputs({ env: { ...overSsh, INVOCATION_ID: 'abc' } })),
      decideDetach(inputs({ throughCluster: false })),
    ].map((d) => (d.detach ? 'DETACH' : d.reason));
    expect(reasons).toEqual([
      'already running detached',
      'dr-test does not delete the cluster this session may run through',
      'not an SSH session',
      'inside tmux: the run survives the SSH session',
      'inside screen: the run survives the SSH session',
      'inside a systemd unit: the run survives the SSH session',
      'the SSH session does not run through the cluster',
    ]);
  });
});

describe('maybeDetach', () => {
  it('goes on in the foreground, starting nothing and probing nothing, when no detach is needed', async () => {
    const probe = vi.fn(async () => 'system' as const);
    const notice = await maybeDetach({ command: 'hard-reset', throughCluster: true, runId: 'r', stateDir: '/nonexistent', env: { TMUX: 'x', ...overSsh }, argv: ['node', 'x.js'], systemd: probe });
    expect(notice).toBeUndefined();
    expect(probe).not.toHaveBeenCalled();
  });
});

describe('systemd probe and arguments', () => {
  it('uses a system unit as root, a user unit only for a lingering user, nothing without a booted systemd', () => {
    expect(systemdScopeOf({ versionOk: true, booted: true, uid: 0, lingering: false })).toBe('system');
    expect(systemdScopeOf({ versionOk: true, booted: true, uid: 1000, lingering: true })).toBe('user');
    expect(systemdScopeOf({ versionOk: true, booted: true, uid: 1000, lingering: false })).toBeUndefined();
    expect(systemdScopeOf({ versionOk: true, booted: false, uid: 0, lingering: false })).toBeUndefined();
    expect(systemdScopeOf({ versionOk: false, booted: true, uid: 0, lingering: false })).toBeUndefined();
  });

  it('builds the systemd-run command line: named unit, collected, output appended to the run log', () => {
    const unit = unitName('2025-01-02T03-04-05-678Z-ab1c');
    expect(unit).toBe('homelab-dr-2025-01-02T03-04-05-678Z-ab1c');
    expect(unitName('a b/c')).toBe('homelab-dr-a_b_c');
    expect(systemdRunArgs({ unit, scope: 'user', outputPath: '/s/logs/r.out', envFile: '/s/logs/.env', cwd: '/home/me', argv: ['/usr/bin/node', '/opt/hdr/bin/homelab-dr.js', 'hard-reset', '--yes'] })).toEqual([
      '--user', '--unit', unit, '--collect', '--quiet', '--property=Type=exec', '--property=EnvironmentFile=/s/logs/.env',
      '--property=StandardOutput=append:/s/logs/r.out', '--property=StandardError=append:/s/logs/r.out', '--working-directory=/home/me',
      '--', '/usr/bin/node', '/opt/hdr/bin/homelab-dr.js', 'hard-reset', '--yes',
    ]);
  });

  it('writes an environment file that quotes what systemd would otherwise expand or split', () => {
    expect(environmentFile({ PATH: '/usr/bin:/bin', ODD: 'a "b" $c `d` \\e', 'NOT-A-NAME': 'x', UNSET: undefined })).toBe(
      'PATH="/usr/bin:/bin"\nODD="a \\"b\\" \\$c \\`d\\` \\\\e"\n',
    );
  });

  it('re-executes the same argv with --yes once, because the person already confirmed', () => {
    expect(detachedArgv('/usr/bin/node', ['node', '/opt/bin/homelab-dr.js', 'hard-reset', '--config', 'h.yaml'])).toEqual(['/usr/bin/node', '/opt/bin/homelab-dr.js', 'hard-reset', '--config', 'h.yaml', '--yes']);
    expect(detachedArgv('/usr/bin/node', ['node', 'x.js', 'hard-reset', '--yes'])).toEqual(['/usr/bin/node', 'x.js', 'hard-reset', '--yes']);
  });

  it('prints the one command to follow the run', () => {
    expect(followCommand('run-1')).toBe('homelab-dr status --follow run-1');
    expect(followCommand('run-1', { stateDir: '/var/lib/homelab-dr' })).toBe('homelab-dr status --follow run-1 --state-dir /var/lib/homelab-dr');
    expect(detachedNotice({ pid: 4242, outputPath: '/s/logs/r.out' }, 'homelab-dr status --follow')).toBe(
      'The run continues detached in a session of its own (pid 4242): it finishes even when this SSH session drops.\n' +
        'Its output: /s/logs/r.out\nAfter reconnecting, follow it with: homelab-dr status --follow',
    );
  });
});

// The setsid path, end to end: a parent process (the real detach module, compiled from source) decides
// under a fake SSH_CONNECTION, re-executes a stand-in for the CLI, and exits; the stand-in must finish
// its journal after the parent is gone, from a session of its own.
describe('reexecDetached via setsid', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hdr-detach-'));
  let childPid: number | undefined;
  afterAll(() => {
    if (childPid !== undefined && existsSync(`/proc/${childPid}`)) process.kill(childPid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  function compile(sourcePath: string, outPath: string): void {
    const js = ts.transpileModule(readFileSync(resolve(sourcePath), 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(outPath, js);
  }

  function statOf(pid: number): { ppid: number; session: number } {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [, ppid, , session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(ppid), session: Number(session) };
  }

  it('the parent exits, and the detached run completes and writes its journal from another session', async () => {
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    compile('src/safety/detach.ts', join(dir, 'src/safety/detach.js'));
    compile('src/util/exec.ts', join(dir, 'src/util/exec.js'));
    compile('src/util/secrets-registry.ts', join(dir, 'src/util/secrets-registry.js')); // exec.js imports it
    compile('src/util/diag-log.ts', join(dir, 'src/util/diag-log.js')); // exec.js imports it (pino only when -v asks)
    compile('src/safety/run-lock.ts', join(dir, 'src/safety/run-lock.js')); // detach.js imports it
    compile('src/util/errors.ts', join(dir, 'src/util/errors.js')); // run-lock.js imports it
    const journal = join(dir, 'runs', 'run-1.jsonl');
    const output = join(dir, 'logs', 'run-1.out');
    writeFileSync(join(dir, 'cli-stand-in.mjs'), `
      import { mkdirSync, readFileSync, readlinkSync, renameSync, writeFileSync } from 'node:fs';
      import { dirname } from 'node:path';
      const [journal] = process.argv.slice(2);
      console.log('stand-in started');
      setTimeout(() => {
        const stat = readFileSync('/proc/self/stat', 'utf8');
        const session = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
        mkdirSync(dirname(journal), { recursive: true });
        const run = { t: 'run', runId: process.env.HOMELAB_DR_RUN_ID, detached: process.env.HOMELAB_DR_DETACHED, argv: process.argv.slice(2), stdin: readlinkSync('/proc/self/fd/0'), session, pid: process.pid };
        writeFileSync(journal + '.tmp', JSON.stringify(run) + '\\n' + JSON.stringify({ t: 'end', exitCode: 0 }) + '\\n');
        renameSync(journal + '.tmp', journal);
      }, 1500);
    `);
    writeFileSync(join(dir, 'parent.mjs'), `
      import { maybeDetach } from './src/safety/detach.js';
      const [standIn, journal, stateDir] = process.argv.slice(2);
      const notice = await maybeDetach({
        command: 'hard-reset', throughCluster: true, runId: 'run-1', stateDir,
        argv: [process.execPath, standIn, journal, 'hard-reset'], systemd: async () => undefined,
      });
      console.log(JSON.stringify({ notice, parentPid: process.pid }));
    `);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, SSH_CONNECTION: '127.0.0.1 51234 127.0.0.1 22' };
    const parent = spawn(process.execPath, [join(dir, 'parent.mjs'), join(dir, 'cli-stand-in.mjs'), journal, dir], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    parent.stdout.on('data', (b) => (stdout += String(b)));
    parent.stderr.on('data', (b) => (stderr += String(b)));
    const code = await new Promise<number | null>((r) => parent.on('close', r));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const { notice, parentPid } = JSON.parse(stdout) as { notice: string; parentPid: number };
    const pid = Number(/\(pid (\d+)\)/.exec(notice)?.[1]);
    childPid = pid;
    expect(notice).toBe(
      `The run continues detached in a session of its own (pid ${pid}): it finishes even when this SSH session drops.\n` +
        `Its output: ${output}\nAfter reconnecting, follow it with: homelab-dr status --follow run-1`,
    );

    // The parent is gone and the child is still at work: the journal cannot exist yet.
    expect(existsSync(journal)).toBe(false);
    const child = statOf(pid);
    expect(child.session).toBe(pid);
    expect(child.session).not.toBe(statOf(process.pid).session);
    expect(child.ppid).not.toBe(parentPid);

    const deadline = Date.now() + 10_000;
    while (!existsSync(journal) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const [runLine, endLine] = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(runLine).toEqual({ t: 'run', runId: 'run-1', detached: '1', argv: [journal, 'hard-reset', '--yes'], stdin: '/dev/null', session: pid, pid });
    expect(endLine).toEqual({ t: 'end', exitCode: 0 });
    expect(readFileSync(output, 'utf8')).toBe('stand-in started\n');
  }, 20_000);
});
