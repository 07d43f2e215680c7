// Issue 8, the leak scan. The real CLI runs end to end with canary secret values (random per run) in
// every store the example config uses, while a worker thread samples /proc/*/cmdline and environ
// every ~20 ms and, where strace works, every execve of the run's process tree is logged. Afterwards
// no canary (raw, hex, base64/base64url at any alignment, or any 12-character piece of it) may be in
// any run's stdout/stderr, in any file the runs left (state dir: journals, logs, kwok state; report
// dir: reports, history, metrics; HOME/XDG/TMPDIR of the runs, which point into the scanned tree), in
// any process's argv, or in a process's environment that homelab-dr did not need to hand it.
//
// What counts as a leak:
// - argv: a canary in the argv of any process at all (argv is world-readable in /proc) is a leak.
// - environ: an env-store value is in homelab-dr's own environment by the operator's choice, and the
//   exec store's helper runs with the operator's environment on purpose (pass, vault, op... need
//   theirs). Those two holders are allowed. A canary in the environment of any other process
//   (kubectl, helm, kwokctl, kube-apiserver, etcd, the sealed-secrets controller...) is a leak: it
//   did not need it, and long-lived daemons keep it readable in /proc/<pid>/environ for their life.
// - files: any canary in any file the runs left behind. The kept drill cluster (whose etcd holds the
//   unsealed Secrets by design) is deleted before the scan; whatever its deletion leaves is scanned.
//   The store inputs themselves (the exec helper script and the file store's file) are not scanned.
//
// Limits: sampling misses a process that lives less than one period unless strace saw its execve;
// strace is not used for the drill kept running (strace -f would wait for its daemons).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { KwokProvider } from '../../src/cluster/kwok.js';
import { cacheRoot } from '../../src/util/binaries.js';
import { makeSealingKey, unsealValue, type TestSealingKey } from '../fixtures/secrets/sealing-keys.js';
import {
  newCanary,
  needlesFor,
  parseExecve,
  ProcSampler,
  readExecveTrace,
  scanBuffer,
  scanTree,
  type EnvironHit,
  type Hit,
  type Needle,
  type SamplerResult,
  type TracedExec,
} from './leak-scanner.js';

const cli = resolve('bin/homelab-dr.js');
const SAMPLE_MS = 20;

// ---------------------------------------------------------------------------------------------
// The canaries and where each one enters.

const canaries = {
  exec: newCanary(), // printed by the exec store's helper script (cloudflared-token)
  env: newCanary(), // HDR_LEAK_GITLAB_AGENT_TOKEN, read by an env store (gitlab-agent-token)
  file: newCanary(), // secrets/values.yaml, read by a file store (argocd-repo-creds password)
  stdinData: newCanary(), // seal from stdin: a data: entry (base64 in the input)
  stdinString: newCanary(), // seal from stdin: a stringData: entry
};
type Role = keyof typeof canaries;
const needles: Needle[] = (Object.entries(canaries) as Array<[Role, string]>).flatMap(([role, value]) => needlesFor(role, value));

const ENV_VARIABLE = 'HDR_LEAK_GITLAB_AGENT_TOKEN';
const STORE_SCRIPT = 'leak-store.sh';

// ---------------------------------------------------------------------------------------------
// The runs.

interface CliRun {
  label: string;
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  ms: number;
  traced: boolean;
}

let root: string;
let configDir: string;
let config: string;
let missingConfig: string;
let straceDir: string;
let workDir: string;
let reportDir: string;
let childEnv: NodeJS.ProcessEnv;
let sealingKey: TestSealingKey;
let certPath: string;
let straceWorks = false;
let sampler: ProcSampler | undefined;
let sampled: SamplerResult | undefined;
const runs: CliRun[] = [];
const drillName = `leakdrill-${process.pid}`;
let drillStateDir: string;

const STRACE_ARGS = ['-f', '-qq', '--seccomp-bpf', '-e', 'trace=execve', '-e', 'signal=none', '-v', '-s', '1048576', '-ff'];

function runCli(label: string, args: string[], opts: { input?: string | Buffer; trace?: boolean; timeoutMs?: number; direct?: { file: string; args: string[]; env?: NodeJS.ProcessEnv } } = {}): Promise<CliRun> {
  const traced = Boolean(opts.trace && straceWorks);
  const target = opts.direct ? [opts.direct.file, ...opts.direct.args] : [process.execPath, cli, ...args];
  const [file, ...argv] = traced ? ['strace', ...STRACE_ARGS, '-o', join(straceDir, label), ...target] : target;
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(file!, argv, { cwd: workDir, env: opts.direct?.env ?? childEnv, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, opts.timeoutMs ?? 300_000);
    child.once('error', fail);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const run: CliRun = { label, args, code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err), ms: Date.now() - started, traced };
      if (!opts.direct) runs.push(run);
      done(run);
    });
    child.stdin.end(opts.input ?? '');
  });
}

const text = (b: Buffer) => b.toString('utf8');
const outputHits = (run: CliRun) => [...scanBuffer(run.stdout, `${run.label}: stdout`, needles), ...scanBuffer(run.stderr, `${run.label}: stderr`, needles)];
const describeRun = (run: CliRun) => `${run.label}: exit ${run.code ?? run.signal} after ${(run.ms / 1000).toFixed(1)} s\n--- stderr (tail)\n${text(run.stderr).slice(-3000)}`;

// ---------------------------------------------------------------------------------------------
// Who may hold an env-store value in its environment (see the header).

function allowedEnvironHolder(argvText: string): boolean {
  return argvText.includes(cli) || argvText.includes(STORE_SCRIPT);
}

function environLeaks(hits: readonly EnvironHit[]): EnvironHit[] {
  return hits.filter((h) => !allowedEnvironHolder(h.cmdline));
}

function tracedFindings(execs: readonly TracedExec[], unparsed: ReadonlyArray<{ where: string; line: string }>, set: readonly Needle[]) {
  const argv: Hit[] = [];
  const env: Hit[] = [];
  const allowedEnv: Hit[] = [];
  for (const e of execs) {
    const argvText = [e.file, ...e.argv].join(' ');
    argv.push(...scanBuffer(Buffer.from(argvText), `execve ${e.where}: ${argvText.slice(0, 200)}`, set));
    const envHits = scanBuffer(Buffer.from(e.env.join('\n')), `execve ${e.where} environment of ${argvText.slice(0, 200)}`, set);
    (allowedEnvironHolder(argvText) ? allowedEnv : env).push(...envHits);
  }
  // A line the parser did not understand is scanned whole and counted as argv: it fails loudly.
  for (const u of unparsed) argv.push(...scanBuffer(Buffer.from(u.line), `execve ${u.where} (unparsed)`, set));
  return { argv, env, allowedEnv };
}

/** One line per place and canary: the forms found (raw, base64@1, partial@3...) and the first context. */
function summarize(hits: readonly Hit[]): string[] {
  const byPlace = new Map<string, Hit[]>();
  for (const h of hits) byPlace.set(`${h.where} [${h.canary}]`, [...(byPlace.get(`${h.where} [${h.canary}]`) ?? []), h]);
  return [...byPlace].map(([where, hs]) => {
    const forms = hs.map((h) => h.form);
    return `${where}: ${forms.slice(0, 3).join(',')}${forms.length > 3 ? ` (+${forms.length - 3} forms)` : ''} …${hs[0]!.context}…`;
  });
}

/** One line per process: which canaries its environment held, and who started it. */
function summarizeEnviron(hits: readonly EnvironHit[]): string[] {
  const byPid = new Map<string, EnvironHit[]>();
  for (const h of hits) byPid.set(`${h.pid} ${h.cmdline}`, [...(byPid.get(`${h.pid} ${h.cmdline}`) ?? []), h]);
  return [...byPid.values()].map((hs) => {
    const h = hs[0]!;
    const canariesHeld = [...new Set(hs.map((x) => x.canary))].join(',');
    return `pid ${h.pid} [${canariesHeld}]: ${h.cmdline.slice(0, 240)}${h.ancestry.length > 1 ? ` <- ${h.ancestry.slice(1, 3).map((a) => a.slice(0, 120)).join(' <- ')}` : ''}`;
  });
}

// ---------------------------------------------------------------------------------------------
// The temporary homelab: config/example with stores that return canaries.

function prepare(): void {
  root = mkdtempSync(join(tmpdir(), 'hdr-leak-'));
  configDir = join(root, 'config');
  straceDir = join(root, 'strace');
  workDir = join(root, 'cwd');
  reportDir = join(root, 'reports');
  drillStateDir = join(root, 'state-drill');
  for (const d of [straceDir, workDir, join(root, 'home'), join(root, 'tmp'), join(root, 'xdg-state'), join(root, 'xdg-cache'), join(root, 'xdg-config'), join(root, 'xdg-data')]) mkdirSync(d, { recursive: true });
  cpSync(resolve('config/example'), configDir, { recursive: true });

  // exec store: a helper script that prints the value (printf is a shell builtin: no argv holds it).
  const script = join(configDir, 'secrets', STORE_SCRIPT);
  writeFileSync(
    script,
    `#!/bin/sh\nset -eu\ncase "\${1:-}" in\n  CF_TUNNEL_TOKEN) printf '%s\\n' '${canaries.exec}' ;;\n  *) echo "leak-store: no value for key '\${1:-}'" >&2; exit 1 ;;\nesac\n`,
  );
  chmodSync(script, 0o755);
  // file store: a private YAML file.
  writeFileSync(join(configDir, 'secrets', 'values.yaml'), `ARGOCD_REPO_TOKEN: ${canaries.file}\n`, { mode: 0o600 });

  const doc = parse(readFileSync(join(configDir, 'homelab.yaml'), 'utf8')) as Record<string, any>;
  doc.secretStores = {
    demo: { type: 'exec', command: [`./secrets/${STORE_SCRIPT}`] },
    vault: { type: 'env', prefix: 'HDR_LEAK_' },
    files: { type: 'file', path: './secrets/values.yaml' },
  };
  const byName = (name: string) => (doc.secrets as Array<{ name: string; data: Record<string, unknown> }>).find((s) => s.name === name)!;
  byName('cloudflared-token').data.token = { store: 'demo', key: 'CF_TUNNEL_TOKEN' };
  byName('gitlab-agent-token').data.token = { store: 'vault', key: 'GITLAB_AGENT_TOKEN' };
  byName('argocd-repo-creds').data.password = { store: 'files', key: 'ARGOCD_REPO_TOKEN' };
  doc.drill = { ...doc.drill, reportDir: './.state/reports', metricsTextfile: join(reportDir, 'homelab_dr.prom') };
  config = join(configDir, 'homelab.yaml');
  writeFileSync(config, stringify(doc));
  // The failing run: the exec store has no such key (the env and file stores still answer).
  byName('cloudflared-token').data.token = { store: 'demo', key: 'NO_SUCH_TOKEN' };
  missingConfig = join(configDir, 'homelab-missing.yaml');
  writeFileSync(missingConfig, stringify(doc));

  sealingKey = makeSealingKey();
  certPath = join(root, 'seal-cert.pem');
  writeFileSync(certPath, sealingKey.certPem);

  // Everything a run could write outside its flags lands in the scanned tree.
  childEnv = {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    HOME: join(root, 'home'),
    TMPDIR: join(root, 'tmp'),
    XDG_STATE_HOME: join(root, 'xdg-state'),
    XDG_CACHE_HOME: join(root, 'xdg-cache'),
    XDG_CONFIG_HOME: join(root, 'xdg-config'),
    XDG_DATA_HOME: join(root, 'xdg-data'),
    HOMELAB_DR_CACHE: cacheRoot(),
    [ENV_VARIABLE]: canaries.env,
  };

  const probe = spawnSync('strace', [...STRACE_ARGS, '-o', '/dev/null', 'true'], { stdio: 'ignore' });
  straceWorks = probe.status === 0;
}

async function deleteDrillCluster(): Promise<string> {
  const provider = new KwokProvider({ root: join(drillStateDir, 'kwok') });
  if (!(await provider.exists(drillName))) return 'not there';
  await provider.delete(drillName);
  return 'deleted';
}

beforeAll(() => {
  prepare();
  console.log(`[leak-scan] temp homelab ${root}; strace: ${straceWorks ? 'works, execve of traced runs logged' : 'not usable, /proc sampling only'}`);
});

afterAll(async () => {
  if (sampler) await sampler.stop().catch(() => undefined);
  await deleteDrillCluster().catch((err: unknown) => console.error(`[leak-scan] could not delete ${drillName}: ${String(err)}`));
  if (root && !process.env.HDR_LEAK_KEEP) rmSync(root, { recursive: true, force: true });
});

describe('leak scan: canary secret values through the real CLI', () => {
  it('self-check: the scanner, the /proc sampler and the execve trace each find a planted canary', async () => {
    const planted = newCanary();
    const set = needlesFor('self-check', planted);
    const scratch = mkdtempSync(join(tmpdir(), 'hdr-leak-selfcheck-'));
    try {
      // Files: every encoding the scan claims to see, a clean file, and an excluded directory.
      const files: Record<string, string | Buffer> = {
        'raw.log': `{"level":30,"msg":"item","value":"${planted}"}\n`,
        'hex.txt': `dump ${Buffer.from(planted).toString('hex')} end\n`,
        'b64-0.json': JSON.stringify({ data: { token: Buffer.from(planted).toString('base64') } }),
        'b64-1.json': JSON.stringify({ blob: Buffer.from(`x${planted}`).toString('base64') }),
        'b64-2.json': JSON.stringify({ blob: Buffer.from(`xy${planted}\n`).toString('base64url') }),
        'partial.txt': `token starts ${planted.slice(0, 'canary-'.length + 14)}…\n`,
        'nested/report.html.gz': gzipSync(`<td>${planted}</td>`),
        'clean.txt': `nothing here but ${newCanary()} (another canary)\n`,
        'excluded/secret.txt': planted,
      };
      for (const [name, content] of Object.entries(files)) {
        mkdirSync(join(scratch, name, '..'), { recursive: true });
        writeFileSync(join(scratch, name), content);
      }
      const scan = scanTree(scratch, set, new Set([join(scratch, 'excluded')]));
      const found = new Set(scan.hits.map((h) => h.where.replace(`${scratch}/`, '').replace(' (gunzipped)', '')));
      expect([...found].sort()).toEqual(['b64-0.json', 'b64-1.json', 'b64-2.json', 'hex.txt', 'nested/report.html.gz', 'partial.txt', 'raw.log']);
      expect(scan.hits.filter((h) => h.where.endsWith('partial.txt')).every((h) => h.form.startsWith('partial@'))).toBe(true);
      // The base64 texts hold the canary at byte alignments 0, 1 and 2 (base64url forms are deduplicated
      // into base64 ones when the text has no + or /).
      for (const name of ['b64-0.json', 'b64-1.json', 'b64-2.json']) {
        expect(scan.hits.some((h) => h.where.endsWith(name) && /^base64(url)?@/.test(h.form)), name).toBe(true);
      }
      expect(scan.files).toBe(8);

      // /proc: one process with the canary in argv, one with it in its environment only.
      const probe = new ProcSampler(set, SAMPLE_MS);
      const argvChild = spawn('sh', ['-c', 'sleep 1; true', 'sh', planted], { stdio: 'ignore' });
      const envChild = spawn('sh', ['-c', 'sleep 1; true'], { stdio: 'ignore', env: { PATH: process.env.PATH, SELF_CHECK: planted } });
      await Promise.all([argvChild, envChild].map((c) => new Promise((r) => c.once('exit', r))));
      const result = await probe.stop();
      const argvHits = result.processes.flatMap((p) => scanBuffer(p.cmdline, `pid ${p.pid}`, set));
      expect(argvHits.map((h) => h.where)).toContain(`pid ${argvChild.pid}`);
      expect(environLeaks(result.environHits).map((h) => h.pid)).toContain(envChild.pid);
      // It sampled (the hits above prove it saw both children); how often depends on the machine's load, so no rate is asserted.
      expect(result.ticks).toBeGreaterThan(0);

      // execve trace: the same two, in argv and in the environment of a process that is not allowed one.
      if (straceWorks) {
        const savedDir = straceDir;
        straceDir = join(scratch, 'strace');
        mkdirSync(straceDir);
        try {
          await runCli('self-check', [], { trace: true, direct: { file: 'sh', args: ['-c', 'true; true', 'sh', planted], env: { PATH: process.env.PATH, SELF_CHECK: planted } } });
          const trace = readExecveTrace(straceDir);
          const findings = tracedFindings(trace.execs, trace.unparsed, set);
          expect(findings.argv.length).toBeGreaterThan(0);
          expect(findings.env.length).toBeGreaterThan(0);
        } finally {
          straceDir = savedDir;
        }
      }
      const line = 'execve("/bin/x", ["x", "a \\"quoted\\", [odd] arg", "canary-0"...], ["K=v", "E=\\x01"]) = 0';
      expect(parseExecve(line)).toEqual({ file: '/bin/x', argv: ['x', 'a \\"quoted\\", [odd] arg', 'canary-0'], env: ['K=v', 'E=\\x01'] });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    // The real scan's sampler starts now and runs until the last test.
    sampler = new ProcSampler(needles, SAMPLE_MS);
  });

  it('dr-test of the example: preflight, cluster, sealing, apply, proof, teardown', { timeout: 420_000 }, async () => {
    const run = await runCli('dr-test', ['dr-test', '--config', config, '--provider', 'kwok', '--yes', '--state-dir', join(root, 'state-drtest')], { trace: true, timeoutMs: 400_000 });
    expect(run.code, describeRun(run)).toBe(0);
    const stderr = text(run.stderr);
    expect(stderr).toMatch(/proof: every step that ran verifies again on the finished cluster homelab-dt-\d{10}-[0-9a-z]{5}/);
    expect(stderr).toMatch(/teardown: cluster homelab-dt-\d{10}-[0-9a-z]{5} deleted/);
    expect(stderr).toMatch(/reseal-secrets\s+3\s/); // the three SealedSecrets were created from the canaries
    expect(summarize(outputHits(run))).toEqual([]);
  });

  it('drill (kept), then verify and status against it', { timeout: 480_000 }, async () => {
    const drill = await runCli('drill', ['drill', '--config', config, '--provider', 'kwok', '--yes', '--keep', '--name', drillName, '--state-dir', drillStateDir, '--report-dir', reportDir], { timeoutMs: 400_000 });
    expect(drill.code, describeRun(drill)).toBe(0);
    expect(text(drill.stderr)).toMatch(/drill report: /);
    expect(readdirSync(reportDir).length).toBeGreaterThan(0);

    // verify reads every store again and compares each live Secret with it (by hash): canaries in memory.
    const verify = await runCli('verify', ['verify', '--config', config, '--provider', 'kwok', '--name', drillName, '--state-dir', drillStateDir], { trace: true });
    expect(verify.code, describeRun(verify)).toBe(0);
    expect(text(verify.stdout)).toMatch(/^ok {3}reseal-secrets$/m);
    const verifyJson = await runCli('verify-json', ['verify', '-o', 'json', '--config', config, '--provider', 'kwok', '--name', drillName, '--state-dir', drillStateDir], { trace: true });
    expect(verifyJson.code, describeRun(verifyJson)).toBe(0);

    const status = await runCli('status', ['status', '--state-dir', drillStateDir], { trace: true });
    expect(status.code, describeRun(status)).toBe(0);
    expect(text(status.stdout)).toMatch(/\(drill, .*ended with exit 0/);
    const statusJson = await runCli('status-json', ['status', '-o', 'json', '--state-dir', drillStateDir], { trace: true });
    expect(statusJson.code, describeRun(statusJson)).toBe(0);
    for (const r of [drill, verify, verifyJson, status, statusJson]) expect(summarize(outputHits(r)), r.label).toEqual([]);
  });

  it('seal: a Secret from stdin, and configured secrets from the exec, env and file stores', { timeout: 120_000 }, async () => {
    const secret = [
      'apiVersion: v1',
      'kind: Secret',
      'metadata: { name: tunnel, namespace: networking }',
      `data: { blob: ${Buffer.from(canaries.stdinData).toString('base64')} }`,
      `stringData: { token: ${canaries.stdinString} }`,
      '',
    ].join('\n');
    const fromStdin = await runCli('seal-stdin', ['seal', '--cert', certPath], { input: secret, trace: true });
    expect(fromStdin.code, describeRun(fromStdin)).toBe(0);
    const sealed = parse(text(fromStdin.stdout)) as { kind: string; spec: { encryptedData: Record<string, string> } };
    expect(sealed.kind).toBe('SealedSecret');
    // The canaries really went through: the fixture's private key opens them again.
    expect(unsealValue(sealingKey.privateKeyPem, 'networking/tunnel', sealed.spec.encryptedData.blob!).toString()).toBe(canaries.stdinData);
    expect(unsealValue(sealingKey.privateKeyPem, 'networking/tunnel', sealed.spec.encryptedData.token!).toString()).toBe(canaries.stdinString);
    const fromStdinJson = await runCli('seal-stdin-json', ['seal', '-o', 'json', '--cert', certPath], { input: secret, trace: true });
    expect(fromStdinJson.code, describeRun(fromStdinJson)).toBe(0);

    const configured: Array<[string, string, string, Role]> = [
      ['seal-exec', 'networking/cloudflared-token', 'token', 'exec'],
      ['seal-env', 'networking/gitlab-agent-token', 'token', 'env'],
      ['seal-file', 'argocd/argocd-repo-creds', 'password', 'file'],
    ];
    for (const [label, ref, key, role] of configured) {
      const r = await runCli(label, ['seal', '--config', config, '--secret', ref, '--cert', certPath], { trace: true });
      expect(r.code, describeRun(r)).toBe(0);
      const s = parse(text(r.stdout)) as { spec: { encryptedData: Record<string, string> } };
      expect(unsealValue(sealingKey.privateKeyPem, ref, s.spec.encryptedData[key]!).toString()).toBe(canaries[role]);
    }
    for (const r of runs.filter((x) => x.label.startsWith('seal'))) expect(summarize(outputHits(r)), r.label).toEqual([]);
  });

  it('plan and lint of the canary homelab', { timeout: 120_000 }, async () => {
    const state = join(root, 'state-plan');
    for (const [label, args] of [
      ['plan', ['plan', '--config', config, '--provider', 'kwok', '--state-dir', state]],
      ['plan-json', ['plan', '-o', 'json', '--config', config, '--provider', 'kwok', '--state-dir', state]],
      ['lint', ['lint', '--config', config, '--provider', 'kwok']],
    ] as Array<[string, string[]]>) {
      const r = await runCli(label, args, { trace: true });
      expect(r.code, describeRun(r)).toBe(0);
      expect(summarize(outputHits(r)), label).toEqual([]);
    }
    const plan = runs.find((r) => r.label === 'plan')!;
    expect(text(plan.stdout) + text(plan.stderr)).toMatch(/reseal-secrets/);
  });

  it('a key missing from its store fails preflight naming store and key, and nothing else', { timeout: 180_000 }, async () => {
    for (const [label, extra] of [['missing-key', []], ['missing-key-json', ['-o', 'json']], ['missing-key-events', ['--events', '-']]] as Array<[string, string[]]>) {
      const r = await runCli(label, ['dr-test', ...extra, '--config', missingConfig, '--provider', 'kwok', '--yes', '--state-dir', join(root, `state-${label}`)], { trace: true });
      expect(r.code, describeRun(r)).toBe(1);
      const out = text(r.stderr) + text(r.stdout);
      expect(out).toMatch(/demo\/NO_SUCH_TOKEN/);
      expect(out).toMatch(/leak-store: no value for key 'NO_SUCH_TOKEN'/); // the helper's stderr reached the error
      expect(summarize(outputHits(r)), label).toEqual([]);
    }
  });

  it('no canary in any output, file, argv, or environment homelab-dr handed out', { timeout: 180_000 }, async () => {
    expect(runs.length).toBeGreaterThan(0);
    // The kept drill cluster goes first: its etcd holds the unsealed Secrets by design.
    const drillDeleted = await deleteDrillCluster();
    sampled = await sampler!.stop();
    sampler = undefined;

    const outputs = runs.flatMap(outputHits);
    const outputBytes = runs.reduce((n, r) => n + r.stdout.length + r.stderr.length, 0);

    const exclude = new Set([straceDir, join(configDir, 'secrets', STORE_SCRIPT), join(configDir, 'secrets', 'values.yaml')]);
    const tree = scanTree(root, needles, exclude);

    const argvHits = sampled.processes.flatMap((p) => scanBuffer(p.cmdline, `pid ${p.pid}: ${p.cmdline.toString('latin1').replace(/\0/g, ' ').slice(0, 200)}`, needles));
    const sampledEnvLeaks = environLeaks(sampled.environHits);
    const sampledEnvAllowed = sampled.environHits.filter((h) => allowedEnvironHolder(h.cmdline));

    const trace = straceWorks ? readExecveTrace(straceDir) : { execs: [], unparsed: [], files: 0 };
    const traced = tracedFindings(trace.execs, trace.unparsed, needles);

    const distinct = (hs: ReadonlyArray<{ where: string } | { pid: number }>) => new Set(hs.map((h) => ('where' in h ? h.where : `pid ${h.pid}`))).size;
    console.log(
      [
        `[leak-scan] canaries: ${Object.keys(canaries).length} (${needles.length} needles: raw, hex, base64/base64url at 3 alignments, 12-char pieces)`,
        `[leak-scan] runs: ${runs.length} (${runs.map((r) => `${r.label} ${(r.ms / 1000).toFixed(1)}s exit ${r.code}${r.traced ? ' traced' : ''}`).join('; ')})`,
        `[leak-scan] stdout/stderr scanned: ${outputBytes} bytes`,
        `[leak-scan] /proc sampling: ${sampled.ticks} ticks over ${(sampled.elapsedMs / 1000).toFixed(1)} s (every ${SAMPLE_MS} ms asked, mean ${(sampled.elapsedMs / Math.max(1, sampled.ticks - 1)).toFixed(1)} ms, worst gap ${sampled.maxGapMs} ms), ${sampled.procReads} cmdline reads, ${sampled.processes.length} distinct processes sampled (pid+argv; ${sampled.processes.filter((p) => p.cmdline.length === 0).length} kernel threads/zombies), ${sampled.environReads} environ read (${sampled.environUnreadable} unreadable: exited, or pid 1)`,
        `[leak-scan] environ holding an env-store canary, allowed (homelab-dr itself, the exec-store helper): ${distinct(sampledEnvAllowed)} process(es)`,
        `[leak-scan] strace: ${straceWorks ? `${trace.execs.length} execve traced in ${trace.files} log files (${trace.unparsed.length} unparsed lines, scanned whole); env-store canary in allowed environments: ${distinct(traced.allowedEnv)}` : 'not usable'}`,
        `[leak-scan] files scanned: ${tree.files} (${tree.bytes} bytes) under ${root}; skipped non-regular: ${tree.skipped.length}; unreadable: ${tree.unreadable.length}; kept drill cluster ${drillDeleted} before the scan`,
        `[leak-scan] files by directory: ${Object.entries(tree.filesByTop).map(([d, n]) => `${d} ${n}`).join(', ')}`,
      ].join('\n'),
    );

    const findings = {
      output: summarize(outputs),
      files: summarize(tree.hits),
      unreadable: tree.unreadable,
      argvSampled: summarize(argvHits),
      argvTraced: summarize(traced.argv),
      environSampled: summarizeEnviron(sampledEnvLeaks),
      environTraced: summarize(traced.env),
    };
    const total = Object.values(findings).reduce((n, f) => n + f.length, 0);
    console.log(`[leak-scan] findings: ${total}${total ? `\n${JSON.stringify(findings, null, 2)}` : ''}`);

    // The scan looked where the canaries were: the sampler saw homelab-dr's own environment holding
    // the env-store value (so environ reads work on real runs), and the runs had work to do.
    expect(sampledEnvAllowed.some((h) => h.cmdline.includes(cli) && h.canary === 'env')).toBe(true);
    if (straceWorks) expect(traced.allowedEnv.some((h) => h.canary === 'env')).toBe(true);
    expect(tree.files).toBeGreaterThan(10);
    for (const dir of ['state-drtest', 'state-drill', 'reports', 'state-missing-key']) expect(tree.filesByTop[dir] ?? 0, dir).toBeGreaterThan(0);
    expect(findings).toEqual({ output: [], files: [], unreadable: [], argvSampled: [], argvTraced: [], environSampled: [], environTraced: [] });
  });
});
