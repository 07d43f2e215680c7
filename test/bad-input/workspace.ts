// Prepares one case: a fresh copy of the bundled example with the case's files laid over it, then runs
// the real CLI (bin/homelab-dr.js, compiled dist/) in a child process, so exit codes are the real ones.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { which } from '../../src/util/helpers.js';
import type { BadInputCase } from './case-spec.js';

export const REPO = resolve(import.meta.dirname, '../..');
const EXAMPLE = join(REPO, 'config/example');
const CLI = join(REPO, 'bin/homelab-dr.js');
const RUN_TIMEOUT_MS = 90_000;

/** Variables of the developer's shell that would change what a case sees (a real SSH session, a kubeconfig). */
const SCRUBBED_ENV = ['SSH_CONNECTION', 'SSH_CLIENT', 'KUBECONFIG', 'HOMELAB_DR_FIREWALL_NETNS', 'HOMELAB_DR_CONFIG'];

export function fill(text: string, dir: string, state: string): string {
  return text.replaceAll('{dir}', dir).replaceAll('{state}', state);
}

/** A self-signed certificate valid only during 2020: `openssl req` cannot backdate, `openssl ca` can. */
function writeExpiredCert(target: string, scratch: string): void {
  mkdirSync(scratch, { recursive: true });
  writeFileSync(join(scratch, 'ca.cnf'), '[ca]\ndefault_ca = expired\n[expired]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\ndefault_md = sha256\npolicy = any\nunique_subject = no\n[any]\ncommonName = supplied\n');
  writeFileSync(join(scratch, 'index.txt'), '');
  writeFileSync(join(scratch, 'serial'), '01\n');
  const quiet = { cwd: scratch, stdio: 'pipe' as const };
  execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'req.csr', '-subj', '/CN=sealed-secret'], quiet);
  execFileSync('openssl', ['ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'key.pem', '-in', 'req.csr', '-out', target, '-startdate', '20200101000000Z', '-enddate', '20210101000000Z', '-notext'], quiet);
  rmSync(scratch, { recursive: true, force: true });
}

/** The case's homelab in a temp dir: the example, minus `remove`, plus the case's files, with `chmod` applied. */
export function prepareCase(spec: BadInputCase, root: string): string {
  const dir = join(root, 'homelab');
  cpSync(EXAMPLE, dir, { recursive: true });
  for (const path of spec.remove) rmSync(join(dir, path), { recursive: true, force: false });
  cpSync(spec.dir, dir, { recursive: true, filter: (src) => resolve(src) !== join(spec.dir, 'case.yaml') });
  for (const [path, mode] of Object.entries(spec.chmod)) chmodSync(join(dir, path), mode);
  if (spec.expiredCert) writeExpiredCert(join(dir, spec.expiredCert), join(root, 'openssl-ca'));
  if (spec.pathTools) linkPathTools(spec.pathTools, join(dir, 'path-tools'));
  return dir;
}

/** A PATH directory holding only the named host tools (each must exist here, or the case cannot mean what it says). */
function linkPathTools(tools: readonly string[], target: string): void {
  mkdirSync(target);
  for (const tool of tools) {
    const found = which(tool, process.env.PATH);
    if (!found) throw new Error(`pathTools: ${tool} is not installed on this machine`);
    symlinkSync(found, join(target, tool));
  }
}

export function caseRoot(): string {
  return mkdtempSync(join(tmpdir(), 'hdr-bad-input-'));
}

export interface CliResult {
  code: number | null;
  output: string;
}

/** Runs the CLI with the state dir at `${stateHome}/homelab-dr` (via XDG_STATE_HOME, so argv stays the case's own). */
export function runCli(spec: BadInputCase, dir: string, stateHome: string): Promise<CliResult> {
  const state = join(stateHome, 'homelab-dr');
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: stateHome };
  for (const name of SCRUBBED_ENV) delete env[name];
  for (const [name, value] of Object.entries(spec.env)) env[name] = fill(value, dir, state);
  if (spec.pathTools) env.PATH = join(dir, 'path-tools');
  const args = spec.command.map((arg) => fill(arg, dir, state));
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
    child.stdin.end(spec.stdin);
  });
}
