// `homelab-dr schedule`: the exact systemd units (checked by systemd-analyze where it exists), the
// cron fallback, and print/install into directories of the test's own.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCli } from '../../src/cli/args.js';
import {
  cronTimeFields,
  cronWord,
  renderCronLine,
  renderService,
  renderTimer,
  scheduleCommand,
  systemdWord,
  type DrillSchedule,
  type ScheduleEnvironment,
} from '../../src/cli/commands/schedule.js';
import { run } from '../../src/util/exec.js';

const EXAMPLE = resolve(import.meta.dirname, '../../config/example/homelab.yaml');
const SCRIPT = resolve(import.meta.dirname, '../../bin/homelab-dr.js');

const SCHEDULE: DrillSchedule = {
  calendar: 'monthly',
  user: false,
  drillArgv: ['/usr/bin/node', '/opt/homelab-dr/bin/homelab-dr.js', 'drill', '--config', '/srv/my homelab/100%.yaml', '--yes', '--state-dir', '/var/lib/homelab-dr'],
  lockFile: '/var/lib/homelab-dr/drill.lock',
  pathEnv: '/usr/local/bin:/usr/bin:/bin',
  randomizedDelay: '1h',
};

describe('systemd units', () => {
  it('renders the service exactly: oneshot, under a non-blocking lock, every path absolute and escaped', () => {
    expect(renderService(SCHEDULE)).toBe(`# Written by \`homelab-dr schedule install\`: run it again rather than editing this file.
[Unit]
Description=homelab-dr DR drill: rebuild the homelab on a throwaway cluster and report
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
Environment=PATH=/usr/local/bin:/usr/bin:/bin
ExecStart=/usr/bin/node /opt/homelab-dr/bin/homelab-dr.js drill --config "/srv/my homelab/100%%.yaml" --yes --state-dir /var/lib/homelab-dr --lock-file /var/lib/homelab-dr/drill.lock
TimeoutStartSec=2h
Nice=10
IOSchedulingClass=idle
`);
  });

  it('renders the timer exactly: the calendar, Persistent, a randomized delay', () => {
    expect(renderTimer(SCHEDULE)).toBe(`# Written by \`homelab-dr schedule install\`: run it again rather than editing this file.
[Unit]
Description=Run the homelab-dr DR drill (monthly)

[Timer]
OnCalendar=monthly
Persistent=true
RandomizedDelaySec=1h

[Install]
WantedBy=timers.target
`);
  });

  it('leaves out network-online.target, which a user manager does not have', () => {
    expect(renderService({ ...SCHEDULE, user: true })).not.toContain('network-online');
  });

  it('escapes ExecStart words: specifiers, variables, quotes', () => {
    expect(systemdWord('/plain/path.yaml')).toBe('/plain/path.yaml');
    expect(systemdWord('50%')).toBe('50%%');
    expect(systemdWord('$HOME/x')).toBe('$$HOME/x');
    expect(systemdWord('a "b"')).toBe('"a \\"b\\""');
    expect(systemdWord('')).toBe('""');
  });
});

describe('cron fallback', () => {
  it('writes one locked line at a stable minute after midnight on the 1st, as root for /etc/cron.d', () => {
    const line = renderCronLine(SCHEDULE, '/var/lib/homelab-dr/drill-cron.log');
    const minute = cronTimeFields('monthly', SCHEDULE.drillArgv.join(' ')).split(' ')[0];
    expect(line).toBe(
      `${minute} 0 1 * * root PATH=/usr/local/bin:/usr/bin:/bin ` +
        `/usr/bin/node /opt/homelab-dr/bin/homelab-dr.js drill --config '/srv/my homelab/100\\%.yaml' --yes --state-dir /var/lib/homelab-dr ` +
        '--lock-file /var/lib/homelab-dr/drill.lock >> /var/lib/homelab-dr/drill-cron.log 2>&1 # homelab-dr-drill',
    );
    expect(Number(minute)).toBeGreaterThanOrEqual(0);
    expect(Number(minute)).toBeLessThan(60);
    expect(renderCronLine({ ...SCHEDULE, user: true }, '/l')).not.toContain(' root ');
  });

  it('maps daily, weekly and monthly, passes five cron fields through, and refuses the rest', () => {
    expect(cronTimeFields('daily', 's')).toMatch(/^\d+ 0 \* \* \*$/);
    expect(cronTimeFields('weekly', 's')).toMatch(/^\d+ 0 \* \* 1$/);
    expect(cronTimeFields('30 2 1  * *', 's')).toBe('30 2 1 * *');
    expect(() => cronTimeFields('Mon *-*-* 02:00', 's')).toThrow(/cannot be written as a cron schedule/);
  });

  it('quotes cron words for sh and escapes the % that cron would turn into a newline', () => {
    expect(cronWord("it's")).toBe(`'it'\\''s'`);
    expect(cronWord('a%b')).toBe("'a\\%b'");
  });
});

function environment(over: Partial<ScheduleEnvironment>): { env: Partial<ScheduleEnvironment>; output: () => string } {
  let output = '';
  return {
    env: { nodePath: process.execPath, scriptPath: SCRIPT, pathEnv: process.env.PATH, home: '/home/someone', out: (t) => (output += t), ...over },
    output: () => output,
  };
}

describe('scheduleCommand', () => {
  it('print shows both units with the drill of this config and the enable command, writing nothing', async () => {
    const unitDir = mkdtempSync(join(tmpdir(), 'units-'));
    const { env, output } = environment({ systemd: true, unitDir });
    const opts = parseCli(['schedule', 'print', '--config', EXAMPLE, '--state-dir', '/var/lib/homelab-dr']);
    expect(await scheduleCommand(opts, {}, env)).toBe(0);
    expect(readdirSync(unitDir)).toEqual([]);
    expect(output()).toContain(`# ${join(unitDir, 'homelab-dr-drill.service')}\n`);
    expect(output()).toContain(`drill --config ${EXAMPLE} --yes --state-dir /var/lib/homelab-dr --lock-file /var/lib/homelab-dr/drill.lock\n`);
    // The example's drill.schedule is "monthly".
    expect(output()).toContain('OnCalendar=monthly\n');
    expect(output()).toContain('# systemctl daemon-reload && systemctl enable --now homelab-dr-drill.timer');
  });

  it('install --user writes the units, takes --calendar, and says to enable lingering', async () => {
    const unitDir = mkdtempSync(join(tmpdir(), 'units-'));
    const { env, output } = environment({ systemd: true, unitDir });
    const opts = parseCli(['schedule', 'install', '--config', EXAMPLE, '--state-dir', '/tmp/s', '--report-dir', '/tmp/r']);
    expect(await scheduleCommand(opts, { calendar: 'weekly', user: true }, env)).toBe(0);
    expect(readdirSync(unitDir).sort()).toEqual(['homelab-dr-drill.service', 'homelab-dr-drill.timer']);
    expect(readFileSync(join(unitDir, 'homelab-dr-drill.timer'), 'utf8')).toContain('OnCalendar=weekly\n');
    expect(readFileSync(join(unitDir, 'homelab-dr-drill.service'), 'utf8')).toContain('--state-dir /tmp/s --report-dir /tmp/r --lock-file /tmp/s/drill.lock\n');
    expect(output()).toContain('systemctl --user daemon-reload && systemctl --user enable --now homelab-dr-drill.timer');
    expect(output()).toContain('loginctl enable-linger');
  });

  it('without systemd, install writes a cron.d file instead', async () => {
    const cronDir = mkdtempSync(join(tmpdir(), 'cron-'));
    const { env, output } = environment({ systemd: false, cronDir });
    const opts = parseCli(['schedule', 'install', '--config', EXAMPLE, '--state-dir', '/tmp/s']);
    expect(await scheduleCommand(opts, {}, env)).toBe(0);
    expect(readdirSync(cronDir)).toEqual(['homelab-dr-drill']);
    const lines = readFileSync(join(cronDir, 'homelab-dr-drill'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^\d+ 0 1 \* \* root PATH=.* drill --config .* --lock-file \/tmp\/s\/drill\.lock >> \/tmp\/s\/drill-cron\.log 2>&1 # homelab-dr-drill$/);
    expect(output()).toContain('cron reads /etc/cron.d by itself');
  });

  it('refuses a missing action, a multi-line calendar, and a PATH without flock', async () => {
    const { env } = environment({ systemd: true, unitDir: mkdtempSync(join(tmpdir(), 'units-')) });
    const opts = (action?: string) => parseCli(['schedule', ...(action ? [action] : []), '--config', EXAMPLE]);
    await expect(scheduleCommand(opts(), {}, env)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('print|install') });
    await expect(scheduleCommand(opts('print'), { calendar: 'monthly\nExecStart=/bin/evil' }, env)).rejects.toMatchObject({ exitCode: 2 });
    await expect(scheduleCommand(opts('print'), {}, { ...env, pathEnv: '/nonexistent' })).rejects.toThrow(/flock/);
  });
});

// systemd-analyze is part of systemd; a machine or container without it skips this, loudly.
const analyze = await run('sh', ['-c', 'command -v systemd-analyze'], { allowFailure: true });
const hasAnalyze = analyze.code === 0;
if (!hasAnalyze) console.warn('SKIPPED: systemd-analyze is not installed; the generated units were not verified by systemd');

describe.skipIf(!hasAnalyze)('systemd-analyze verify', () => {
  it.each([false, true])('accepts the generated units (user: %s) with no warning at all', async (user) => {
    const unitDir = mkdtempSync(join(tmpdir(), 'units-'));
    const { env } = environment({ systemd: true, unitDir });
    await scheduleCommand(parseCli(['schedule', 'install', '--config', EXAMPLE, '--state-dir', join(unitDir, 'state')]), { user }, env);
    const runtimeDir = mkdtempSync(join(tmpdir(), 'xdg-runtime-'));
    const result = await run(
      'systemd-analyze',
      ['verify', '--man=no', ...(user ? ['--user'] : []), join(unitDir, 'homelab-dr-drill.timer'), join(unitDir, 'homelab-dr-drill.service')],
      { allowFailure: true, env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir } },
    );
    expect({ code: result.code, out: `${result.stdout}${result.stderr}`.trim() }).toEqual({ code: 0, out: '' });
  });

  it('would catch a broken unit (the check can fail)', async () => {
    const unitDir = mkdtempSync(join(tmpdir(), 'units-'));
    const { env } = environment({ systemd: true, unitDir });
    await scheduleCommand(parseCli(['schedule', 'install', '--config', EXAMPLE]), { calendar: 'not-a-calendar' }, env);
    const result = await run('systemd-analyze', ['verify', '--man=no', join(unitDir, 'homelab-dr-drill.timer')], { allowFailure: true });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Failed to parse calendar specification');
  });
});

/** /bin/sh with nothing but PATH, as cron starts it. */
function sh(script: string, ...args: string[]): string {
  return execFileSync('/bin/sh', ['-c', script, ...args], { env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' });
}

/** The example, with its secrets read from a gitlab store (a token variable) and an env store. */
function exampleWithEnvStores(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sched-env-'));
  cpSync(resolve(import.meta.dirname, '../../config/example'), dir, { recursive: true });
  const path = join(dir, 'homelab.yaml');
  const text = readFileSync(path, 'utf8')
    .replace(
      'secretStores:\n',
      'secretStores:\n  lab:\n    type: gitlab\n    url: https://gitlab.example.org\n    project: me/homelab\n    tokenEnv: HDR_GITLAB_TOKEN\n  shell:\n    type: env\n    prefix: HDR_\n',
    )
    .replace('{ store: demo, key: CF_TUNNEL_TOKEN }', '{ store: shell, key: CF_TUNNEL_TOKEN }')
    .replace('{ store: demo, key: GITLAB_AGENT_TOKEN }', '{ store: lab, key: GITLAB_AGENT_TOKEN }');
  writeFileSync(path, text);
  return path;
}

describe('the EnvironmentFile of an unattended drill', () => {
  const TOKEN = 'glpat-s3cr3t "$HOME" `id` \\ end';
  const TUNNEL = 'tunnel-v4lue';

  it('print names each variable the drill reads and says the file does not provide it yet', async () => {
    const config = exampleWithEnvStores();
    const envFile = join(mkdtempSync(join(tmpdir(), 'envfile-')), 'drill.env');
    const { env, output } = environment({ systemd: true, unitDir: mkdtempSync(join(tmpdir(), 'units-')), envFile, processEnv: { HDR_GITLAB_TOKEN: TOKEN } });
    await scheduleCommand(parseCli(['schedule', 'print', '--config', config]), {}, env);
    expect(output()).toContain(`EnvironmentFile=-${envFile}\n`);
    expect(output()).toContain(`# HDR_CF_TUNNEL_TOKEN (secret store shell (env), key CF_TUNNEL_TOKEN): NOT provided`);
    expect(output()).toContain(`# HDR_GITLAB_TOKEN (secret store lab (gitlab token)): NOT provided`);
    expect(output()).not.toContain('s3cr3t');
    expect(existsSync(envFile)).toBe(false);
  });

  it('install writes the values (mode 0600) that sh reads back exactly, shows the path and never a value', async () => {
    const config = exampleWithEnvStores();
    const envFile = join(mkdtempSync(join(tmpdir(), 'envfile-')), 'drill.env');
    const unitDir = mkdtempSync(join(tmpdir(), 'units-'));
    const { env, output } = environment({ systemd: true, unitDir, envFile, processEnv: { HDR_GITLAB_TOKEN: TOKEN, HDR_CF_TUNNEL_TOKEN: TUNNEL } });
    await scheduleCommand(parseCli(['schedule', 'install', '--config', config]), {}, env);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(output()).toContain(`wrote ${envFile} (mode 0600; 2 of 2 variable(s); values not shown)`);
    expect(output()).toContain(`HDR_GITLAB_TOKEN (secret store lab (gitlab token)): provided by ${envFile}`);
    expect(output()).not.toContain('s3cr3t');
    expect(output()).not.toContain(TUNNEL);
    expect(readFileSync(join(unitDir, 'homelab-dr-drill.service'), 'utf8')).toContain(`EnvironmentFile=-${envFile}\n`);
    // The cron line's reader: sh with set -a, as the cron line does it.
    expect(sh(`set -a; . "$0"; printf '%s\\n%s' "$HDR_GITLAB_TOKEN" "$HDR_CF_TUNNEL_TOKEN"`, envFile)).toBe(`${TOKEN}\n${TUNNEL}`);
  });

  it('a second install without the variables at hand keeps the values already in the file', async () => {
    const config = exampleWithEnvStores();
    const envFile = join(mkdtempSync(join(tmpdir(), 'envfile-')), 'drill.env');
    const first = environment({ systemd: false, cronDir: mkdtempSync(join(tmpdir(), 'cron-')), envFile, processEnv: { HDR_GITLAB_TOKEN: TOKEN } });
    await scheduleCommand(parseCli(['schedule', 'install', '--config', config]), {}, first.env);
    const second = environment({ systemd: false, cronDir: mkdtempSync(join(tmpdir(), 'cron-')), envFile, processEnv: {} });
    await scheduleCommand(parseCli(['schedule', 'install', '--config', config]), {}, second.env);
    expect(second.output()).toContain('1 of 2 variable(s)');
    expect(second.output()).toContain(`HDR_GITLAB_TOKEN (secret store lab (gitlab token)): provided by ${envFile}`);
    expect(second.output()).toContain('HDR_CF_TUNNEL_TOKEN (secret store shell (env), key CF_TUNNEL_TOKEN): NOT provided');
    const cron = readFileSync(join(second.env.cronDir!, 'homelab-dr-drill'), 'utf8');
    expect(cron).toContain(`set -a; [ ! -r ${envFile} ] || . ${envFile}; set +a; PATH=`);
    // The cron line as cron's sh runs it, up to the drill: the file's variables reach the command.
    const line = cron.trim().split('\n')[1]!.replace(/^\S+ \S+ \S+ \S+ \S+ root /, '');
    const probe = line.replace(/PATH=\S+ .*$/, 'printf %s "$HDR_GITLAB_TOKEN"');
    expect(sh(probe)).toBe(TOKEN);
  });
});

describe.skipIf(!hasAnalyze)('systemd-analyze verify with an EnvironmentFile', () => {
  it('accepts the service that reads the drill.env', async () => {
    const unitDir = mkdtempSync(join(tmpdir(), 'units-'));
    const envFile = join(unitDir, 'drill.env');
    const { env } = environment({ systemd: true, unitDir, envFile, processEnv: { HDR_GITLAB_TOKEN: 't' } });
    await scheduleCommand(parseCli(['schedule', 'install', '--config', exampleWithEnvStores(), '--state-dir', join(unitDir, 'state')]), {}, env);
    const runtimeDir = mkdtempSync(join(tmpdir(), 'xdg-runtime-'));
    const result = await run('systemd-analyze', ['verify', '--man=no', join(unitDir, 'homelab-dr-drill.timer'), join(unitDir, 'homelab-dr-drill.service')], {
      allowFailure: true,
      env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir },
    });
    expect({ code: result.code, out: `${result.stdout}${result.stderr}`.trim() }).toEqual({ code: 0, out: '' });
  });
});
