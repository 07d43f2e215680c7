import { mkdtempSync, readFileSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parallelGroups, topologicalOrder, validateDag } from '../../src/engine/dag.js';
import { Journal } from '../../src/engine/journal.js';
import { Ledger } from '../../src/engine/ledger.js';
import { runSteps, selectSteps } from '../../src/engine/runner.js';
import { summaryTable } from '../../src/cli/summary.js';
import type { Step, StepContext, StepState } from '../../src/engine/types.js';
import { InputError, RefusedError } from '../../src/util/errors.js';

interface World extends StepContext {
  /** What "the cluster" holds: a step verifies when its key is present. */
  done: Set<string>;
  applied: string[];
}

function world(): World {
  return { signal: new AbortController().signal, done: new Set(), applied: [] };
}

function step(id: string, needs: string[] = [], over: Partial<Step<World>> = {}): Step<World> {
  return {
    id,
    title: id,
    needs,
    destructive: false,
    uses: async () => [],
    plan: async () => [`would do ${id}`],
    apply: async (ctx, ledger) => {
      ctx.applied.push(id);
      ctx.done.add(id);
      ledger.record('thing', id, 'created');
    },
    verify: async (ctx) => ({ ok: ctx.done.has(id), missing: ctx.done.has(id) ? [] : [`${id} missing`] }),
    ...over,
  };
}

const ids = (xs: { id: string }[]) => xs.map((x) => x.id);

describe('dag', () => {
  it('orders steps topologically and groups independent ones', () => {
    const steps = [step('apps', ['ns', 'storage']), step('storage', ['ns']), step('ns', ['create']), step('create'), step('fw', ['create'])];
    expect(ids(topologicalOrder(steps))).toEqual(['create', 'ns', 'fw', 'storage', 'apps']);
    expect(parallelGroups(steps).map(ids)).toEqual([['create'], ['ns', 'fw'], ['storage'], ['apps']]);
  });

  it('rejects an unknown need, naming both steps', () => {
    expect(() => validateDag([step('a', ['ghost'])])).toThrow(/step "a" needs unknown step "ghost"/);
  });

  it('names a cycle in order', () => {
    const steps = [step('a', ['c']), step('b', ['a']), step('c', ['b'])];
    let err: unknown;
    try { validateDag(steps); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/cycle: (a → b → c → a|b → c → a → b|c → a → b → c)/);
  });

  it('rejects a duplicate step id', () => {
    expect(() => validateDag([step('a'), step('a')])).toThrow(/defined twice/);
  });
});

describe('runner', () => {
  it('a green step keeps what verify could not judge, and the summary lists it as NOT JUDGED', async () => {
    const judged = step('apps', [], { verify: async (ctx) => ({ ok: ctx.done.has('apps'), missing: [], notJudged: ['Widget apps/w: not judged: no health rule for example.com/Widget and no status'] }) });
    const out = await runSteps({ steps: [judged], ctx: world(), ledger: new Ledger() });
    expect(summaryTable(['apps'], out.states, []).split('\n').filter((l) => l.includes('NOT JUDGED'))).toEqual([
      '  NOT JUDGED apps: Widget apps/w: not judged: no health rule for example.com/Widget and no status',
    ]);
  });

  it('skips apply when verify already holds (unchanged)', async () => {
    const ctx = world();
    ctx.done.add('a');
    const ledger = new Ledger();
    const out = await runSteps({ steps: [step('a')], ctx, ledger });
    expect(out.states.get('a')?.status).toBe('unchanged');
    expect(ctx.applied).toEqual([]);
    expect(out.exitCode).toBe(0);
  });

  it('applies then verifies, green when both hold', async () => {
    const ctx = world();
    const ledger = new Ledger();
    const out = await runSteps({ steps: [step('a'), step('b', ['a'])], ctx, ledger });
    expect(ctx.applied).toEqual(['a', 'b']);
    expect(out.states.get('b')?.status).toBe('applied');
    expect(ledger.counts().created).toBe(2);
    expect(out.exitCode).toBe(0);
  });

  it('turns a step red when verify fails after an apply that recorded no failure', async () => {
    const ctx = world();
    const liar = step('a', [], { apply: async (_c, l) => l.record('thing', 'a', 'created') });
    const out = await runSteps({ steps: [liar, step('b', ['a'])], ctx, ledger: new Ledger() });
    expect(out.states.get('a')).toMatchObject({ status: 'failed', missing: ['a missing'] });
    expect(out.states.get('b')).toMatchObject({ status: 'blocked', blockedBy: 'a' });
    expect(ctx.applied).toEqual([]);
    expect(out.exitCode).toBe(1);
  });

  it('turns a step red on a failed ledger item even when verify holds, and blocks dependents transitively', async () => {
    const ctx = world();
    const partial = step('secrets', [], {
      apply: async (c, l) => {
        c.done.add('secrets');
        l.record('Secret', 'networking/token', 'created');
        l.record('Secret', 'apps/db', 'failed', 'namespaces "apps" not found');
      },
    });
    const ledger = new Ledger();
    const out = await runSteps({ steps: [partial, step('apps', ['secrets']), step('later', ['apps']), step('fw')], ctx, ledger });
    expect(out.states.get('secrets')?.status).toBe('failed');
    expect(out.states.get('apps')).toMatchObject({ status: 'blocked', blockedBy: 'secrets' });
    expect(out.states.get('later')).toMatchObject({ status: 'blocked', blockedBy: 'secrets' });
    expect(out.states.get('fw')?.status).toBe('applied');
    expect(ledger.counts('secrets')).toMatchObject({ created: 1, failed: 1 });
    expect(ledger.failed()[0]?.error).toBe('namespaces "apps" not found');
    expect(out.exitCode).toBe(1);
  });

  it('records a thrown apply as a failed item', async () => {
    const ctx = world();
    const boom = step('a', [], { apply: async () => { throw new Error('connection refused'); } });
    const ledger = new Ledger();
    const out = await runSteps({ steps: [boom], ctx, ledger });
    expect(out.states.get('a')?.status).toBe('failed');
    expect(ledger.failed('a')[0]).toMatchObject({ kind: 'step', error: 'connection refused' });
  });

  it('runs independent steps at the same time, within the concurrency limit', async () => {
    const ctx = world();
    let inFlight = 0;
    let peak = 0;
    const slow = (id: string) =>
      step(id, [], {
        apply: async (c, l) => {
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          await new Promise((r) => setTimeout(r, 20));
          inFlight -= 1;
          c.done.add(id);
          l.record('thing', id, 'created');
        },
      });
    await runSteps({ steps: ['a', 'b', 'c', 'd'].map(slow), ctx, ledger: new Ledger(), concurrency: 2 });
    expect(peak).toBe(2);
    const ctx2 = world();
    peak = 0;
    await runSteps({ steps: ['a', 'b', 'c', 'd'].map(slow), ctx: ctx2, ledger: new Ledger(), concurrency: 1 });
    expect(peak).toBe(1);
  });

  it('lets an independent branch that is already running finish when another goes red', async () => {
    const ctx = world();
    const slowOk = step('slow', [], {
      apply: async (c, l) => {
        await new Promise((r) => setTimeout(r, 30));
        c.done.add('slow');
        l.record('thing', 'slow', 'created');
      },
    });
    const bad = step('bad', [], { apply: async (_c, l) => l.record('thing', 'bad', 'failed', 'nope') });
    const out = await runSteps({ steps: [slowOk, bad, step('after-bad', ['bad'])], ctx, ledger: new Ledger() });
    expect(out.states.get('slow')?.status).toBe('applied');
    expect(out.states.get('after-bad')?.status).toBe('blocked');
  });

  it('--only refuses (exit 3) when an unselected prerequisite does not verify', async () => {
    const ctx = world();
    const steps = [step('a'), step('b', ['a'])];
    await expect(runSteps({ steps, ctx, ledger: new Ledger(), only: ['b'] })).rejects.toThrow(RefusedError);
    await expect(runSteps({ steps, ctx, ledger: new Ledger(), only: ['b'] })).rejects.toMatchObject({
      exitCode: 3,
      details: ['a: a missing'],
    });
    expect(ctx.applied).toEqual([]);
  });

  it('--only runs when prerequisites verify, and leaves them untouched', async () => {
    const ctx = world();
    ctx.done.add('a');
    const out = await runSteps({ steps: [step('a'), step('b', ['a']), step('c', ['b'])], ctx, ledger: new Ledger(), only: ['b'] });
    expect(out.states.get('a')?.status).toBe('verified-only');
    expect(out.states.get('c')?.status).toBe('not-selected');
    expect(ctx.applied).toEqual(['b']);
  });

  it('a step already in place counts what its verify checked as unchanged items', async () => {
    const ctx = world();
    ctx.done.add('ns');
    const ns = step('ns', [], {
      verify: async (c) => ({ ok: c.done.has('ns'), missing: [], checked: [{ kind: 'Namespace', name: 'apps' }, { kind: 'Namespace', name: 'argocd' }] }),
    });
    const ledger = new Ledger();
    const out = await runSteps({ steps: [ns], ctx, ledger });
    expect(out.states.get('ns')?.status).toBe('unchanged');
    expect(ledger.items.map((i) => `${i.step} ${i.kind} ${i.name} ${i.outcome}`)).toEqual(['ns Namespace apps unchanged', 'ns Namespace argocd unchanged']);
    expect(ctx.applied).toEqual([]);
  });

  it('--from a later step never destroys: an unselected destructive prerequisite is not verified nor applied', async () => {
    const ctx = world();
    ctx.done.add('create');
    // delete verifies only when the thing is gone, the opposite of what create built.
    const del = step('delete', [], { destructive: true, verify: async () => ({ ok: false, missing: ['the cluster still exists'] }) });
    const out = await runSteps({ steps: [del, step('create', ['delete']), step('ns', ['create'])], ctx, ledger: new Ledger(), from: 'ns' });
    expect(out.exitCode).toBe(0);
    expect(out.states.get('delete')?.status).toBe('not-selected');
    expect(out.states.get('create')?.status).toBe('verified-only');
    expect(ctx.applied).toEqual(['ns']);
    // A non-destructive prerequisite that does not hold still refuses.
    await expect(runSteps({ steps: [del, step('create', ['delete']), step('ns', ['create'])], ctx: world(), ledger: new Ledger(), from: 'ns' })).rejects.toMatchObject({ exitCode: 3, details: ['create: create missing'] });
  });

  it('--only create with its destructive need unselected: refused (exit 3) where delete does not verify, run where it does', async () => {
    const gone = { value: false };
    const del = step('delete', [], { destructive: true, verify: async () => ({ ok: gone.value, missing: gone.value ? [] : ['the cluster still exists'] }) });
    const steps = [del, step('create', ['delete'])];
    const ctx = world();
    // Issue 11 item 8: this ended "blocked by an unmet need", exit 1, although the help promises 3.
    await expect(runSteps({ steps, ctx, ledger: new Ledger(), only: ['create'] })).rejects.toMatchObject({ exitCode: 3, details: ['delete: the cluster still exists'] });
    expect(ctx.applied).toEqual([]);
    gone.value = true;
    const out = await runSteps({ steps, ctx, ledger: new Ledger(), only: ['create'] });
    expect(out.exitCode).toBe(0);
    expect(out.states.get('delete')?.status).toBe('verified-only');
    expect(ctx.applied).toEqual(['create']);
  });

  it('an unknown --only or --from step is exit 2 naming the flag, with a did-you-mean, and --only with no step is too', () => {
    const steps = [step('namespaces'), step('storage', ['namespaces'])];
    expect(() => selectSteps(steps, ['namespace'])).toThrow(InputError);
    expect(() => selectSteps(steps, ['namespace'])).toThrow('--only: unknown step "namespace"; did you mean "namespaces"?; steps are: namespaces, storage');
    expect(() => selectSteps(steps, undefined, 'strorage')).toThrow('--from: unknown step "strorage"; did you mean "storage"?');
    expect(() => selectSteps(steps, ['fireworks'])).toThrow(/^--only: unknown step "fireworks"; steps are/);
    expect(() => selectSteps(steps, [])).toThrow(/^--only: no step named/);
    expect([...selectSteps(steps, undefined, 'storage')]).toEqual(['storage']);
  });

  it('--from starts at a step and refuses when earlier needed steps do not verify', async () => {
    const steps = [step('a'), step('b', ['a']), step('c', ['b'])];
    const ctx = world();
    await expect(runSteps({ steps, ctx, ledger: new Ledger(), from: 'b' })).rejects.toMatchObject({ exitCode: 3 });
    ctx.done.add('a');
    const out = await runSteps({ steps, ctx, ledger: new Ledger(), from: 'b' });
    expect(ctx.applied).toEqual(['b', 'c']);
    expect(out.exitCode).toBe(0);
    await expect(runSteps({ steps, ctx, ledger: new Ledger(), from: 'nope' })).rejects.toThrow(/unknown step "nope"/);
  });

  it('Ctrl-C: the current step finishes its item, nothing new starts, exit 130', async () => {
    const ac = new AbortController();
    const ctx: World = { ...world(), signal: ac.signal };
    const first = step('a', [], {
      apply: async (c, l) => {
        l.record('thing', 'a-1', 'created');
        ac.abort();
        // The step sees the signal between items and records what it abandons.
        if (c.signal.aborted) l.record('thing', 'a-2', 'skipped', 'interrupted');
      },
    });
    const ledger = new Ledger();
    const out = await runSteps({ steps: [first, step('b', ['a'])], ctx, ledger });
    expect(out.exitCode).toBe(130);
    expect(out.states.get('a')?.status).toBe('interrupted');
    expect(out.states.get('b')?.status).toBe('interrupted');
    expect(ledger.counts('a')).toMatchObject({ created: 1, skipped: 1 });
    expect(ctx.applied).toEqual([]);
  });
});

describe('journal and resume', () => {
  it('survives a crash mid-write and resumes from the first step that is not green', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hdr-journal-'));
    const ctx = world();
    const steps = [step('a'), step('b', ['a']), step('c', ['b'])];
    const crashing = steps.map((s) =>
      s.id === 'c' ? { ...s, apply: async () => { throw new Error('simulated crash'); } } : s,
    );
    const journal = Journal.start(dir, { runId: 'r1', command: 'test', config: 'x', startedAt: 'now', steps: ['a', 'b', 'c'] });
    const ledger = new Ledger();
    ledger.onRecord((item) => journal.append({ t: 'item', ...item }));
    await runSteps({ steps: crashing, ctx, ledger, onState: (s: StepState) => journal.append({ t: 'step', ...s }) });
    // Tear the last line in half, as a power cut mid-append would.
    const size = statSync(journal.path).size;
    truncateSync(journal.path, size - 10);
    const data = Journal.read(journal.path);
    expect(data.torn).toBe(true);
    const green = new Set([...data.steps.values()].filter((s) => s.status === 'applied').map((s) => s.id));
    expect(green).toEqual(new Set(['a', 'b']));

    const resumed = await runSteps({ steps, ctx, ledger: new Ledger(), previouslyGreen: green });
    expect(resumed.states.get('a')?.status).toBe('unchanged');
    expect(resumed.states.get('b')?.status).toBe('unchanged');
    expect(resumed.states.get('c')?.status).toBe('applied');
    expect(ctx.applied).toEqual(['a', 'b', 'c']);
  });

  it('does not repeat a destructive step that the resumed run completed', async () => {
    const ctx = world();
    const del = step('delete', [], { destructive: true, verify: async () => ({ ok: false, missing: ['cluster exists'] }) });
    const out = await runSteps({ steps: [del, step('b', ['delete'])], ctx, ledger: new Ledger(), previouslyGreen: new Set(['delete']) });
    expect(out.states.get('delete')?.status).toBe('verified-only');
    expect(ctx.applied).toEqual(['b']);
  });

  it('rejects a journal damaged before its last line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hdr-journal-'));
    const path = join(dir, 'bad.jsonl');
    writeFileSync(path, '{"t":"run","runId":"x"}\n{oops\n{"t":"end","exitCode":0,"at":"z"}\n');
    expect(() => Journal.read(path)).toThrow(/line 2 is not valid JSON/);
    expect(readFileSync(path, 'utf8')).toContain('oops');
  });
});
