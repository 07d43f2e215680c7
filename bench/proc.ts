// Whole-process measurements: wall time from the parent's clock (nanosecond resolution; GNU time's %e
// has only 10 ms), peak RSS from GNU time's %M (the largest resident set of the process, in KB), CPU
// time from %U and %S.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const GNU_TIME = '/usr/bin/time';

export interface ProcSample {
  seconds: number;
  maxRssKb: number;
  /** The process's own CPU time, user + system (GNU time's %U + %S, 10 ms resolution). */
  cpuSeconds: number;
}

export function haveGnuTime(): boolean {
  return existsSync(GNU_TIME);
}

export function measureProcess(argv: string[], runs: number, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ProcSample[] {
  if (!haveGnuTime()) throw new Error(`${GNU_TIME} (GNU time) is not installed; it reports peak RSS (apt-get install time)`);
  const samples: ProcSample[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(GNU_TIME, ['-f', 'HDR_BENCH_RSS %M %U %S', ...argv], { encoding: 'utf8', cwd: opts.cwd, env: opts.env, maxBuffer: 64 * 1024 * 1024 });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
    const line = r.stderr.trim().split('\n').reverse().find((l) => l.startsWith('HDR_BENCH_RSS '));
    if (!line) throw new Error(`${GNU_TIME} printed no RSS line for ${argv.join(' ')}`);
    const [, rss, user, sys] = line.split(' ');
    samples.push({ seconds, maxRssKb: Number(rss), cpuSeconds: Number(user) + Number(sys) });
  }
  return samples;
}
