// The run journal: one JSON-lines file per run, appended event by event, so that a crash at any
// moment leaves every complete line readable. A torn last line is ignored on read, and reported.
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { scrub } from '../util/secrets-registry.js';
import type { LedgerItem, StepState } from './types.js';

export interface RunHeader {
  runId: string;
  command: string;
  config: string;
  startedAt: string;
  steps: string[];
  /** The cluster the run acts on (a resumed dr-test continues on the same throwaway cluster). */
  cluster?: string;
  resumedFrom?: string;
}

export type JournalEvent =
  | ({ t: 'run' } & RunHeader)
  | ({ t: 'step' } & StepState)
  | ({ t: 'item' } & LedgerItem)
  | { t: 'end'; exitCode: number; at: string };

export interface JournalData {
  path: string;
  header: RunHeader;
  /** Last recorded state of each step. */
  steps: Map<string, StepState>;
  items: LedgerItem[];
  exitCode?: number;
  /** The last line was cut short (a crash mid-write). */
  torn: boolean;
}

export function runsDir(stateDir: string): string {
  return join(stateDir, 'runs');
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return `${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

export class Journal {
  private constructor(readonly path: string) {}

  static start(stateDir: string, header: RunHeader): Journal {
    mkdirSync(runsDir(stateDir), { recursive: true });
    const journal = new Journal(join(runsDir(stateDir), `${header.runId}.jsonl`));
    journal.append({ t: 'run', ...header });
    return journal;
  }

  append(event: JournalEvent): void {
    // Synchronous append: the line is in the file before the run moves on, even if it then crashes.
    appendFileSync(this.path, `${scrub(JSON.stringify(event))}\n`, { mode: 0o600 });
  }

  static read(path: string): JournalData {
    const lines = readFileSync(path, 'utf8').split('\n');
    let torn = false;
    const events: JournalEvent[] = [];
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        events.push(JSON.parse(line) as JournalEvent);
      } catch {
        // Only the final line can be torn by a crash; anything else is a damaged journal.
        if (i >= lines.length - 2) torn = true;
        else throw new Error(`journal ${path}: line ${i + 1} is not valid JSON`);
      }
    });
    const head = events[0];
    if (!head || head.t !== 'run') throw new Error(`journal ${path}: no run header`);
    const { t: _t, ...header } = head;
    const data: JournalData = { path, header, steps: new Map(), items: [], torn };
    for (const e of events) {
      if (e.t === 'step') {
        const { t: _s, ...state } = e;
        data.steps.set(state.id, state);
      } else if (e.t === 'item') {
        const { t: _i, ...item } = e;
        data.items.push(item);
      } else if (e.t === 'end') {
        data.exitCode = e.exitCode;
      }
    }
    return data;
  }

  /** The journal of `runId`, or of the most recent run when no id is given. */
  static find(stateDir: string, runId?: string): string | undefined {
    const dir = runsDir(stateDir);
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
    } catch {
      return undefined;
    }
    if (runId) {
      const match = files.find((f) => f === `${runId}.jsonl` || f === runId);
      return match ? join(dir, match) : undefined;
    }
    const newest = files
      .map((f) => ({ f, mtime: statSync(join(dir, f)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime || b.f.localeCompare(a.f))[0];
    return newest ? join(dir, newest.f) : undefined;
  }
}
