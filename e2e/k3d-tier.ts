// What the e2e tests need from the real k3d tier (scripts/k3d-tier.sh): whether it can run here, and the
// names `scripts/k3d-tier.sh env` exported, read by the one reader in bench/k3d-tier.ts. A test that
// cannot run says why instead of failing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { k3dTierFromEnv, type K3dTier } from '../bench/k3d-tier.js';

export { whyK3dCannotRun } from '../bench/k3d-tier.js';
export type { K3dTier } from '../bench/k3d-tier.js';

/** The tier's images and registry, or undefined when `scripts/k3d-tier.sh env` was not sourced. */
export function k3dTier(env: NodeJS.ProcessEnv = process.env): K3dTier | undefined {
  const found = k3dTierFromEnv(env);
  return 'tier' in found ? found.tier : undefined;
}

/** docker's answer, lines trimmed; throws with the command on failure. */
export function docker(args: string[]): string[] {
  const result = spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')}: exit ${result.status}: ${result.stderr}`);
  return result.stdout.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
}

/** A homelab-dr run's outcome: exit status, output, and its journal (the newest under the state dir) as text and events. */
export interface K3dRun {
  status: number | null;
  stdout: string;
  stderr: string;
  journal: string;
  events: Array<Record<string, unknown>>;
}

/** The CLI as a user runs it: `homelab-dr ARGS`, without colour. */
export function homelabDr(args: readonly string[], timeoutMs = 900_000, input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [resolve('bin/homelab-dr.js'), ...args], { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, NO_COLOR: '1' }, ...(input !== undefined ? { input } : {}) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runArgs(command: string, config: string, stateDir: string, extra: readonly string[]): string[] {
  return [command, '--provider', 'k3d', '--config', config, '--yes', '--state-dir', stateDir, ...extra];
}

/** The newest journal under a state dir, as text and events. */
function readJournal(stateDir: string): Pick<K3dRun, 'journal' | 'events'> {
  const runs = join(stateDir, 'runs');
  const journal = existsSync(runs) ? readFileSync(join(runs, readdirSync(runs).sort().at(-1)!), 'utf8') : '';
  const events = journal.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { journal, events };
}

/** `homelab-dr COMMAND --provider k3d --yes` of a config, with a state dir of the test's own. */
export function runK3d(command: string, config: string, stateDir: string, extra: readonly string[] = [], timeoutMs = 900_000): K3dRun {
  const r = homelabDr(runArgs(command, config, stateDir, extra), timeoutMs);
  return { ...r, ...readJournal(stateDir) };
}

/** runK3d without blocking the test's event loop, so the test can watch Docker while the run goes on. */
export function startK3d(command: string, config: string, stateDir: string, extra: readonly string[] = []): Promise<K3dRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [resolve('bin/homelab-dr.js'), ...runArgs(command, config, stateDir, extra)], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr, ...readJournal(stateDir) }));
  });
}
