// Human progress: on a TTY a live step list with status and elapsed time, redrawn in place;
// otherwise one plain line per state change. NO_COLOR is respected.
import type { StepState } from '../engine/types.js';

const SYMBOL: Record<string, string> = {
  pending: '·', running: '…', unchanged: '=', applied: '✓', 'verified-only': '✓', failed: '✗',
  blocked: '⊘', interrupted: '!', 'not-selected': ' ',
};

export class Progress {
  private readonly states = new Map<string, StepState>();
  private readonly started = new Map<string, number>();
  private drawn = 0;
  private timer?: NodeJS.Timeout;
  private readonly color: boolean;

  constructor(private readonly order: readonly string[], private readonly out: NodeJS.WriteStream = process.stderr) {
    this.color = Boolean(out.isTTY) && !process.env.NO_COLOR;
    if (out.isTTY) this.timer = setInterval(() => this.draw(), 500).unref();
  }

  update(state: StepState): void {
    this.states.set(state.id, state);
    if (state.status === 'running') this.started.set(state.id, Date.now());
    if (this.out.isTTY) this.draw();
    else if (state.status !== 'not-selected') this.out.write(`${this.line(state.id)}\n`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.out.isTTY) this.draw();
  }

  private paint(text: string, status: string): string {
    if (!this.color) return text;
    const code = status === 'failed' || status === 'blocked' ? 31 : status === 'running' ? 33 : status === 'interrupted' ? 35 : 32;
    return `\u001b[${code}m${text}\u001b[0m`;
  }

  private line(id: string): string {
    const s = this.states.get(id);
    const status = s?.status ?? 'pending';
    const t0 = this.started.get(id);
    const end = s?.endedAt ? Date.parse(s.endedAt) : Date.now();
    const elapsed = t0 ? ` ${((end - t0) / 1000).toFixed(1)}s` : '';
    const why = status === 'blocked' ? ` (blocked by ${s?.blockedBy})` : status === 'failed' && s?.error ? ` (${s.error})` : '';
    return this.paint(`${SYMBOL[status] ?? '?'} ${id.padEnd(26)} ${status}${elapsed}${why}`, status);
  }

  private draw(): void {
    const lines = this.order.map((id) => this.line(id));
    if (this.drawn > 0) this.out.write(`\u001b[${this.drawn}A`);
    this.out.write(lines.map((l) => `\u001b[2K${l}`).join('\n') + '\n');
    this.drawn = lines.length;
  }
}
