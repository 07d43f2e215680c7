// The machinery of the leak scan (leak-scan.test.ts): canary values and every encoding of them worth
// looking for, a byte scanner over buffers and directory trees, a /proc sampler that runs in a worker
// thread (so that it keeps sampling whatever the test's own event loop does), and a reader of
// `strace -ff -e trace=execve` logs. Nothing here knows homelab-dr: it finds byte sequences.
import { randomBytes } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';

export interface Needle {
  /** Which canary (its role in the run, e.g. "exec-store"). */
  canary: string;
  /** How it is encoded: raw, hex, base64@<alignment>, base64url@<alignment>, partial@<offset>. */
  form: string;
  bytes: Buffer;
}

export interface Hit {
  where: string;
  canary: string;
  form: string;
  offset: number;
  context: string;
}

/** A distinctive value that occurs nowhere by chance: `canary-` and 24 random hex digits. */
export function newCanary(): string {
  return `canary-${randomBytes(12).toString('hex')}`;
}

/**
 * The base64 text of `value` as it reads inside any longer base64 text, at each of the three byte
 * alignments: only the characters whose six bits all come from `value` (neighbours change the rest).
 */
export function alignedBase64(value: Buffer, encoding: 'base64' | 'base64url'): string[] {
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const text = Buffer.concat([Buffer.alloc(k), value]).toString(encoding).replace(/=+$/, '');
    out.push(text.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + value.length)) / 6)));
  }
  return out;
}

/** Length of the partial windows: a log line that prints "the first 12 characters" is a leak too. */
export const PARTIAL_WINDOW = 12;

export function needlesFor(canary: string, value: string): Needle[] {
  const bytes = Buffer.from(value, 'utf8');
  const byText = new Map<string, string>();
  const add = (form: string, text: string): void => {
    if (!byText.has(text)) byText.set(text, form);
  };
  add('raw', value);
  add('hex', bytes.toString('hex'));
  alignedBase64(bytes, 'base64').forEach((t, k) => add(`base64@${k}`, t));
  alignedBase64(bytes, 'base64url').forEach((t, k) => add(`base64url@${k}`, t));
  // The random part in windows: catches a value cut short or stripped of its prefix.
  const core = value.replace(/^canary-/, '');
  for (let i = 0; i + PARTIAL_WINDOW <= core.length; i++) add(`partial@${i}`, core.slice(i, i + PARTIAL_WINDOW));
  return [...byText].map(([text, form]) => ({ canary, form, bytes: Buffer.from(text, 'utf8') }));
}

function context(buf: Buffer, offset: number, length: number): string {
  const text = buf.subarray(Math.max(0, offset - 60), Math.min(buf.length, offset + length + 60)).toString('latin1');
  return text.replace(/[^\x20-\x7e]/g, '.');
}

/** Every needle found in `buf` (first occurrence each); a gzip stream is also scanned unpacked. */
export function scanBuffer(buf: Buffer, where: string, needles: readonly Needle[]): Hit[] {
  const hits: Hit[] = [];
  for (const n of needles) {
    const offset = buf.indexOf(n.bytes);
    if (offset >= 0) hits.push({ where, canary: n.canary, form: n.form, offset, context: context(buf, offset, n.bytes.length) });
  }
  if (buf.length > 18 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      hits.push(...scanBuffer(gunzipSync(buf), `${where} (gunzipped)`, needles));
    } catch {
      /* not a whole gzip stream: the raw bytes were scanned */
    }
  }
  return hits;
}

export interface TreeScan {
  files: number;
  bytes: number;
  /** Files per top-level directory under the root ("." for files in the root itself). */
  filesByTop: Record<string, number>;
  hits: Hit[];
  /** Paths that could not be read: a file the scan cannot read could hold a leak. */
  unreadable: string[];
  /** Symlinks, sockets, fifos: not followed, listed for the record. */
  skipped: string[];
}

/** Every regular file under `root`, except the paths in `exclude` (files or whole directories). */
export function scanTree(root: string, needles: readonly Needle[], exclude: ReadonlySet<string> = new Set()): TreeScan {
  const result: TreeScan = { files: 0, bytes: 0, filesByTop: {}, hits: [], unreadable: [], skipped: [] };
  const walk = (path: string): void => {
    if (exclude.has(path)) return;
    let st;
    try {
      st = lstatSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') result.unreadable.push(path);
      return;
    }
    if (st.isDirectory()) {
      let names: string[];
      try {
        names = readdirSync(path);
      } catch {
        result.unreadable.push(path);
        return;
      }
      for (const name of names.sort()) walk(join(path, name));
    } else if (st.isFile()) {
      let buf: Buffer;
      try {
        buf = readFileSync(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') result.unreadable.push(path);
        return;
      }
      result.files += 1;
      result.bytes += buf.length;
      const rel = path.slice(root.length + 1);
      const top = rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : '.';
      result.filesByTop[top] = (result.filesByTop[top] ?? 0) + 1;
      result.hits.push(...scanBuffer(buf, path, needles));
    } else {
      result.skipped.push(path);
    }
  };
  walk(root);
  return result;
}

// ---------------------------------------------------------------------------------------------
// /proc sampler

export interface SampledProcess {
  pid: number;
  /** argv as the kernel holds it, NUL-separated. */
  cmdline: Buffer;
}

export interface EnvironHit {
  pid: number;
  /** argv, NUL replaced by spaces. */
  cmdline: string;
  canary: string;
  form: string;
  /** The process and its ancestors (pid: argv), nearest first, up to the test process (excluded). */
  ancestry: string[];
}

export interface SamplerResult {
  ticks: number;
  /** cmdline reads, over all ticks. */
  procReads: number;
  /** Distinct processes seen (a pid with a new argv, e.g. after exec, counts again). */
  processes: SampledProcess[];
  environReads: number;
  /** Processes with an argv whose environ could not be read (they exited, or pid 1 of a sandbox). */
  environUnreadable: number;
  environHits: EnvironHit[];
  elapsedMs: number;
  maxGapMs: number;
}

// Plain CommonJS for `new Worker(code, { eval: true })`. It reads /proc synchronously in a loop and
// sleeps on a shared flag, which the main thread sets (and notifies) to stop it.
const SAMPLER_SOURCE = String.raw`
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const flag = new Int32Array(workerData.flag);
const needles = workerData.needles.map((n) => ({ canary: n.canary, form: n.form, bytes: Buffer.from(n.bytes) }));
const seen = new Map();
const environHits = [];
let ticks = 0, procReads = 0, environReads = 0, environUnreadable = 0, maxGapMs = 0;
const started = Date.now();
let last = started;
function read(path) { try { return fs.readFileSync(path); } catch { return undefined; } }
function ancestry(pid) {
  const chain = [];
  for (let p = pid, i = 0; p > 0 && i < 25 && p !== workerData.stopAt; i++) {
    const stat = read('/proc/' + p + '/stat');
    const cmd = read('/proc/' + p + '/cmdline');
    chain.push(p + ': ' + (cmd ? cmd.toString('latin1').replace(/\0/g, ' ').trim() : '?'));
    if (!stat) break;
    const text = stat.toString('latin1');
    const ppid = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
    if (!(ppid > 0) || ppid === p) break;
    p = ppid;
  }
  return chain;
}
for (;;) {
  const now = Date.now();
  if (ticks > 0) maxGapMs = Math.max(maxGapMs, now - last);
  last = now;
  ticks++;
  let names = [];
  try { names = fs.readdirSync('/proc'); } catch {}
  for (const name of names) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const cmd = read('/proc/' + name + '/cmdline');
    if (!cmd) continue;
    procReads++;
    const key = name + '\n' + cmd.toString('latin1');
    if (seen.has(key)) continue;
    if (cmd.length === 0) { seen.set(key, { pid: Number(name), cmdline: cmd }); continue; } // a kernel thread or a zombie
    // The environment of an exec'd image is fixed at exec: read it once per (pid, argv).
    const env = read('/proc/' + name + '/environ');
    const again = read('/proc/' + name + '/cmdline');
    if (!again || !again.equals(cmd)) continue; // it exec'd in between: the next tick reads it whole
    seen.set(key, { pid: Number(name), cmdline: cmd });
    if (!env) { environUnreadable++; continue; }
    environReads++;
    for (const n of needles) {
      if (env.indexOf(n.bytes) >= 0) {
        environHits.push({ pid: Number(name), cmdline: cmd.toString('latin1').replace(/\0/g, ' ').trim(), canary: n.canary, form: n.form, ancestry: ancestry(Number(name)) });
      }
    }
  }
  if (Atomics.load(flag, 0) !== 0) break;
  Atomics.wait(flag, 0, 0, workerData.intervalMs);
}
parentPort.postMessage({ ticks, procReads, processes: [...seen.values()], environReads, environUnreadable, environHits, elapsedMs: Date.now() - started, maxGapMs });
`;

export class ProcSampler {
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  private readonly done: Promise<SamplerResult>;

  constructor(needles: readonly Needle[], intervalMs = 20) {
    this.worker = new Worker(SAMPLER_SOURCE, {
      eval: true,
      workerData: { flag: this.flag.buffer, intervalMs, stopAt: process.pid, needles: needles.map((n) => ({ canary: n.canary, form: n.form, bytes: new Uint8Array(n.bytes) })) },
    });
    this.done = new Promise((resolve, reject) => {
      this.worker.once('message', (m: SamplerResult & { processes: Array<{ pid: number; cmdline: Uint8Array }> }) =>
        resolve({ ...m, processes: m.processes.map((p) => ({ pid: p.pid, cmdline: Buffer.from(p.cmdline) })) }),
      );
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`the /proc sampler exited (code ${code}) without its result`)));
    });
    this.done.catch(() => undefined); // observed by stop()
  }

  async stop(): Promise<SamplerResult> {
    Atomics.store(this.flag, 0, 1);
    Atomics.notify(this.flag, 0);
    try {
      return await this.done;
    } finally {
      await this.worker.terminate();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// strace -ff -e trace=execve logs

export interface TracedExec {
  /** The log file (prefix.<tid>) and line. */
  where: string;
  file: string;
  argv: string[];
  env: string[];
}

/** A C-escaped strace string starting at `s[i]` (a '"'); returns its raw (still escaped) text. */
function readString(s: string, i: number): { text: string; next: number } | undefined {
  if (s[i] !== '"') return undefined;
  let j = i + 1;
  let text = '';
  while (j < s.length && s[j] !== '"') {
    if (s[j] === '\\') {
      text += s.slice(j, j + 2);
      j += 2;
    } else text += s[j++];
  }
  if (s[j] !== '"') return undefined;
  j += 1;
  if (s.startsWith('...', j)) j += 3; // a string longer than -s
  return { text, next: j };
}

function readList(s: string, i: number): { items: string[]; next: number } | undefined {
  if (s[i] !== '[') return undefined;
  let j = i + 1;
  const items: string[] = [];
  if (s[j] === ']') return { items, next: j + 1 };
  for (;;) {
    if (s.startsWith('...', j)) {
      j += 3; // an abbreviated array: what was printed is still scanned
    } else {
      const str = readString(s, j);
      if (!str) return undefined;
      items.push(str.text);
      j = str.next;
    }
    if (s[j] === ']') return { items, next: j + 1 };
    if (!s.startsWith(', ', j)) return undefined;
    j += 2;
  }
}

/** One execve line; undefined when it is not in the expected shape (the caller scans it whole). */
export function parseExecve(line: string): Omit<TracedExec, 'where'> | undefined {
  const start = line.indexOf('execve("');
  if (start < 0) return undefined;
  const file = readString(line, start + 'execve('.length);
  if (!file || !line.startsWith(', ', file.next)) return undefined;
  const argv = readList(line, file.next + 2);
  if (!argv || !line.startsWith(', ', argv.next)) return undefined;
  const env = readList(line, argv.next + 2);
  if (!env) return undefined;
  return { file: file.text, argv: argv.items, env: env.items };
}

export function readExecveTrace(dir: string): { execs: TracedExec[]; unparsed: Array<{ where: string; line: string }>; files: number } {
  const execs: TracedExec[] = [];
  const unparsed: Array<{ where: string; line: string }> = [];
  let files = 0;
  for (const name of readdirSync(dir).sort()) {
    files += 1;
    readFileSync(join(dir, name), 'utf8').split('\n').forEach((line, index) => {
      if (!line.includes('execve(')) return;
      const where = `${name}:${index + 1}`;
      const parsed = parseExecve(line);
      if (parsed) execs.push({ where, ...parsed });
      else unparsed.push({ where, line });
    });
  }
  return { execs, unparsed, files };
}
