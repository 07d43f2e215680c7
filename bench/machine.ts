// What the numbers were measured on: the machine, the Node version, the date, and the exact versions
// of every component involved (the pins, what each cached binary reports, the npm packages).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { cachedBinary, parsePins, type PinnedComponent } from '../src/util/binaries.js';

export interface MachineInfo {
  date: string;
  cpuModel: string;
  cores: number;
  memoryGb: number;
  kernel: string;
  node: string;
  loadAverage: string;
  otherApiservers: number;
}

export function machineInfo(): MachineInfo {
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGb: +(totalmem() / 1024 ** 3).toFixed(1),
    kernel: `${process.platform} ${release()} ${process.arch}`,
    node: process.version,
    loadAverage: loadavg().map((x) => x.toFixed(2)).join(' / '),
    otherApiservers: otherApiservers(),
  };
}

export function loadAverageNow(): string {
  return loadavg().map((x) => x.toFixed(2)).join(' / ');
}

/**
 * Other control planes on the machine (kube-apiserver processes, e.g. someone's integration tests):
 * they share the cores with the benchmark, so the document says how many there were.
 */
export function otherApiservers(): number {
  if (!existsSync('/proc')) return NaN;
  let count = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'kube-apiserver') count += 1;
    } catch {
      // gone meanwhile
    }
  }
  return count;
}

const REPORTED: Array<{ component: PinnedComponent; binary: string; args: string[] }> = [
  { component: 'kubernetes', binary: 'kube-apiserver', args: ['--version'] },
  { component: 'kubernetes', binary: 'kubectl', args: ['version', '--client'] },
  { component: 'etcd', binary: 'etcd', args: ['--version'] },
  { component: 'kwok', binary: 'kwokctl', args: ['--version'] },
  { component: 'sealed-secrets', binary: 'kubeseal', args: ['--version'] },
  { component: 'helm', binary: 'helm', args: ['version', '--short'] },
];

/** `name: pinned → reported` for every binary the benchmark runs; a binary that is missing says so. */
export function componentVersions(root: string): { pins: Array<[string, string]>; reported: Array<[string, string]> } {
  const pins = [...parsePins(readFileSync(join(root, 'scripts', 'control-plane.pins'), 'utf8'))];
  const reported = REPORTED.map(({ component, binary, args }): [string, string] => {
    const path = cachedBinary(component, binary);
    if (!existsSync(path)) return [binary, `missing (${path})`];
    const r = spawnSync(path, args, { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
    const first = `${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? '';
    return [binary, first || `exit ${r.status}`];
  });
  return { pins, reported };
}

export function npmVersions(root: string, names: readonly string[]): Array<[string, string]> {
  return names.map((name) => {
    const file = join(root, 'node_modules', name, 'package.json');
    const version = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version : undefined;
    return [name, version ?? 'not installed'];
  });
}

export function gitRevision(root: string): string {
  const rev = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (rev.status !== 0) return 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' });
  return `${rev.stdout.trim()}${dirty.stdout.trim() ? ' (with uncommitted changes)' : ''}`;
}
