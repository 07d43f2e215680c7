// The per-command flag tables (issue 14 §4, §5): each command takes its own flags and the global ones,
// mistakes are exit 2 with a did-you-mean, and the config is found by --config, HOMELAB_DR_CONFIG or
// the example's name.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG, parseCli } from '../../src/cli/args.js';
import { COMMAND_SPECS, FLAGS, GLOBAL_FLAGS, commandsTaking, type Command, type FlagName } from '../../src/cli/flags.js';
import { helpText } from '../../src/cli/help.js';
import { runMain } from './cli-capture.js';

const cli = runMain;

afterEach(() => vi.restoreAllMocks());

const COMMANDS = Object.keys(COMMAND_SPECS) as Command[];

/** A value for a string flag that its own check accepts. */
function sample(flag: FlagName): string[] {
  const f = FLAGS[flag];
  if (f.type === 'boolean') return [`--${flag}`];
  const value = 'values' in f ? f.values[0]! : flag === 'concurrency' ? '2' : 'x';
  return [`--${flag}`, value];
}

describe('each command takes exactly its own flags and the global ones', () => {
  for (const command of COMMANDS) {
    it(`${command}: every flag of its table parses; every other command's flag is exit 2 naming who takes it`, () => {
      const own = new Set<FlagName>([...COMMAND_SPECS[command].flags, ...GLOBAL_FLAGS]);
      for (const flag of own) {
        // --kubeconfig/--context imply provider existing; --provider's first value is k3d: not together.
        if ((flag === 'kubeconfig' || flag === 'context') && own.has('provider')) continue;
        expect(() => parseCli([command, ...sample(flag)], {})).not.toThrow();
      }
      for (const flag of Object.keys(FLAGS) as FlagName[]) {
        if (own.has(flag)) continue;
        const takers = commandsTaking(flag).join(', ');
        expect(() => parseCli([command, ...sample(flag)], {})).toThrow(`--${flag} is not a flag of ${command}; it is a flag of ${takers}`);
      }
    });
  }

  it('seal --help lists seal\'s flags and examples, not --keep or --follow', () => {
    const help = helpText('seal');
    for (const flag of ['--cert', '--raw', '--format', '--controller-namespace', '--controller-name', '--kubeconfig', '--context']) expect(help).toContain(flag);
    expect(help).not.toContain('--keep');
    expect(help).not.toContain('--follow');
    expect(help).toContain('Examples:\n  homelab-dr seal < secret.yaml');
  });

  it('every command has two or three examples, each running that command', () => {
    for (const command of COMMANDS) {
      const examples = COMMAND_SPECS[command].examples;
      expect(examples.length, command).toBeGreaterThanOrEqual(2);
      expect(examples.length, command).toBeLessThanOrEqual(3);
      for (const e of examples) expect(e, command).toMatch(new RegExp(`homelab-dr ${command}( |$)`));
    }
  });

  it('the examples themselves parse against the tables', () => {
    for (const command of COMMANDS) {
      for (const e of COMMAND_SPECS[command].examples) {
        const argv = e.replace(/^.*?homelab-dr /, '').replace(/\s*[<>|].*$/, '').replace(/\)$/, '').split(/\s+/);
        expect(() => parseCli(argv, {}), e).not.toThrow();
      }
    }
  });
});

describe('mistakes are exit 2 with a did-you-mean', () => {
  it('an unknown flag suggests the command\'s own flag', async () => {
    const r = await cli('plan', '--onyl', 'apps');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown flag --onyl for plan; did you mean --only?');
    expect(r.err).not.toContain('Unknown option');
  });

  it('an unknown command suggests the closest command', async () => {
    const r = await cli('verfy');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown command "verfy"; did you mean "verify"?');
  });

  it('a flag of another command says which commands take it', async () => {
    const r = await cli('seal', '--keep');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--keep is not a flag of seal; it is a flag of dr-test, drill');
    expect((await cli('lint', '--resume')).err).toContain('--resume is not a flag of lint; it is a flag of hard-reset, dr-test, drill, status');
  });

  it('a string flag without its value, and a value given to a boolean flag', async () => {
    expect((await cli('plan', '-c')).err).toContain('-c needs a value: --config (-c) FILE');
    expect((await cli('plan', '-c', '--only')).err).toContain('-c needs a value');
    expect((await cli('dr-test', '--keep=yes')).err).toContain('--keep takes no value');
  });

  it('an enum value suggests the closest one', () => {
    expect(() => parseCli(['plan', '-o', 'jsn'], {})).toThrow('--output must be one of json, yaml, not "jsn"; did you mean "json"?');
    expect(() => parseCli(['seal', '--format', 'yml'], {})).toThrow('did you mean "yaml"?');
  });
});

describe('no arguments, help and version', () => {
  it('no arguments prints the help and exits 0', async () => {
    const r = await cli();
    expect(r.code).toBe(0);
    expect(r.out).toContain('Commands:');
    expect(r.out).toContain('  completion');
  });

  it('flags without a command are exit 2', async () => {
    const r = await cli('-c', 'x.yaml');
    expect(r.code).toBe(2);
    expect(r.err).toContain('no command given');
  });
});

describe('global flags for the output contract', () => {
  it('-o, -v and --log-level parse on every command, --events FILE on the runs; --json is -o json', () => {
    for (const command of COMMANDS) {
      const o = parseCli([command, '-o', 'yaml', '-v', '--log-level', 'debug'], {});
      expect(o).toMatchObject({ output: 'yaml', verbose: true, logLevel: 'debug' });
      expect(o.events).toBeUndefined();
      expect(parseCli([command, '--json'], {})).toMatchObject({ output: 'json' });
    }
    for (const command of ['hard-reset', 'dr-test', 'drill']) expect(parseCli([command, '--events', 'run.ndjson'], {}).events).toBe('run.ndjson');
    expect(() => parseCli(['verify', '--events', 'x'], {})).toThrow(/--events is not a flag of verify; it is a flag of hard-reset, dr-test, drill/);
    expect(() => parseCli(['plan', '--log-level', 'loud'], {})).toThrow(/--log-level must be one of/);
    expect(() => parseCli(['plan', '--json', '-o', 'yaml'], {})).toThrow('--json and -o yaml contradict');
  });
});

describe('cluster access flags', () => {
  it('--kubeconfig and --context mean provider existing', () => {
    expect(parseCli(['verify', '--kubeconfig', '/k', '--context', 'prod'], {})).toMatchObject({ provider: 'existing', kubeconfig: '/k', context: 'prod' });
    expect(parseCli(['diagnose', '--context', 'prod'], {}).provider).toBe('existing');
    expect(() => parseCli(['verify', '--context', 'prod', '--provider', 'kwok'], {})).toThrow('--context reads the cluster through a kubeconfig, which is provider existing');
  });

  it('diagnose takes -n/--namespace', () => {
    expect(parseCli(['diagnose', '-n', 'networking'], {}).namespace).toBe('networking');
    expect(parseCli(['diagnose', '--namespace=apps'], {}).namespace).toBe('apps');
  });

  it('--kubeconfig and --context choose the cluster the existing provider reads', async () => {
    const { loadForCommand } = await import('../../src/cli/context.js');
    const dir = mkdtempSync(join(tmpdir(), 'hdr-kc-'));
    const kc = join(dir, 'kc.yaml');
    const cluster = (name: string, port: number) => `- name: ${name}\n  cluster: { server: 'https://127.0.0.1:${port}' }`;
    writeFileSync(kc, `apiVersion: v1\nkind: Config\ncurrent-context: lab\nclusters:\n${cluster('lab', 1)}\n${cluster('prod', 2)}\ncontexts:\n- name: lab\n  context: { cluster: lab, user: u }\n- name: prod\n  context: { cluster: prod, user: u }\nusers:\n- name: u\n  user: { token: t }\n`);
    try {
      const argv = ['verify', '-c', 'config/example/homelab.yaml', '--kubeconfig', kc, '--context', 'prod', '--state-dir', join(dir, 'state')];
      const { ctx } = await loadForCommand(parseCli(argv, {}), 'verify');
      expect(ctx.providerName).toBe('existing');
      expect(ctx.config.cluster).toMatchObject({ provider: 'existing', kubeconfig: kc, context: 'prod' });
      const pinned = readFileSync(await (await ctx.provider()).kubeconfig(ctx.clusterName), 'utf8');
      expect(pinned).toContain('https://127.0.0.1:2');
      expect(pinned).not.toContain('https://127.0.0.1:1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('where the config comes from', () => {
  it('--config, else HOMELAB_DR_CONFIG, else ./homelab.yaml (the example\'s name)', () => {
    expect(DEFAULT_CONFIG).toBe('./homelab.yaml');
    expect(parseCli(['plan'], {})).toMatchObject({ config: './homelab.yaml', configFrom: 'default' });
    expect(parseCli(['plan'], { HOMELAB_DR_CONFIG: '/etc/homelab-dr/homelab.yaml' })).toMatchObject({ config: '/etc/homelab-dr/homelab.yaml', configFrom: 'HOMELAB_DR_CONFIG' });
    expect(parseCli(['plan', '-c', 'mine.yaml'], { HOMELAB_DR_CONFIG: '/etc/x.yaml' })).toMatchObject({ config: 'mine.yaml', configFrom: '--config' });
  });

  it('a missing default config names both ways to give one, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hdr-noconfig-'));
    const cwd = process.cwd();
    const saved = process.env.HOMELAB_DR_CONFIG;
    delete process.env.HOMELAB_DR_CONFIG;
    try {
      process.chdir(dir);
      const r = await cli('lint');
      expect(r.code).toBe(2);
      expect(r.err).toContain(`config ${join(dir, 'homelab.yaml')} does not exist`);
      expect(r.err).toContain('--config FILE, or set HOMELAB_DR_CONFIG');
    } finally {
      process.chdir(cwd);
      if (saved !== undefined) process.env.HOMELAB_DR_CONFIG = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('HOMELAB_DR_CONFIG is the config a command loads', async () => {
    const saved = process.env.HOMELAB_DR_CONFIG;
    process.env.HOMELAB_DR_CONFIG = join(process.cwd(), 'config/example/homelab.yaml');
    try {
      const r = await cli('lint', '-o', 'json');
      expect(r.err).toBe('');
      expect(JSON.parse(r.out).config).toBe(process.env.HOMELAB_DR_CONFIG);
    } finally {
      if (saved === undefined) delete process.env.HOMELAB_DR_CONFIG;
      else process.env.HOMELAB_DR_CONFIG = saved;
    }
  }, 60_000);
});
