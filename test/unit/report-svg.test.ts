// timeline.svg: well-formed XML (checked by a small strict parser below, no dependency), one bar per
// step that ran, parallel steps overlapping in time, the slowest step marked.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, type JournalData } from '../../src/engine/journal.js';
import { renderReportMarkdown } from '../../src/report/markdown.js';
import { summarizeDrill, summarizeRefusal, type DrillSummary } from '../../src/report/summary.js';
import { renderTimelineSvg, tickStep, wrapText } from '../../src/report/timeline-svg.js';

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const ENTITY = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;

/** A strict parser for the XML subset an SVG uses; throws with the offset on any well-formedness error. */
function parseXml(source: string): XmlElement {
  let pos = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${pos}: ${JSON.stringify(source.slice(pos, pos + 40))}`);
  };
  const skipSpace = () => {
    while (/\s/.test(source[pos] ?? '')) pos++;
  };
  const checkText = (text: string) => {
    for (let i = text.indexOf('&'); i !== -1; i = text.indexOf('&', i + 1)) if (!ENTITY.test(text.slice(i))) fail('bad entity');
    if (text.includes('<')) fail('raw < in text');
  };
  const name = (): string => {
    const m = NAME.exec(source.slice(pos)) ?? fail('expected a name');
    pos += m[0].length;
    return m[0];
  };
  if (source.startsWith('<?xml')) {
    pos = source.indexOf('?>') + 2;
    if (pos < 2) fail('unterminated declaration');
  }
  const element = (): XmlElement => {
    if (source[pos] !== '<') fail('expected <');
    pos++;
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
    for (;;) {
      skipSpace();
      if (source.startsWith('/>', pos)) {
        pos += 2;
        return el;
      }
      if (source[pos] === '>') {
        pos++;
        break;
      }
      const attr = name();
      if (attr in el.attrs) fail(`duplicate attribute ${attr}`);
      skipSpace();
      if (source[pos++] !== '=') fail('expected =');
      skipSpace();
      const quote = source[pos++];
      if (quote !== '"' && quote !== "'") fail('expected a quoted value');
      const end = source.indexOf(quote!, pos);
      if (end === -1) fail('unterminated attribute');
      const value = source.slice(pos, end);
      checkText(value);
      el.attrs[attr] = value;
      pos = end + 1;
    }
    for (;;) {
      const next = source.indexOf('<', pos);
      if (next === -1) fail(`unclosed <${el.name}>`);
      const text = source.slice(pos, next);
      checkText(text);
      el.text += text;
      pos = next;
      if (source.startsWith('</', pos)) {
        pos += 2;
        if (name() !== el.name) fail(`mismatched close of <${el.name}>`);
        skipSpace();
        if (source[pos++] !== '>') fail('expected >');
        return el;
      }
      if (source.startsWith('<!--', pos)) {
        const end = source.indexOf('-->', pos);
        if (end === -1) fail('unterminated comment');
        pos = end + 3;
        continue;
      }
      el.children.push(element());
    }
  };
  skipSpace();
  const root = element();
  skipSpace();
  if (pos !== source.length) fail('content after the root element');
  return root;
}

function all(el: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  return [...(pred(el) ? [el] : []), ...el.children.flatMap((c) => all(c, pred))];
}

const hasClass = (el: XmlElement, cls: string) => (el.attrs.class ?? '').split(' ').includes(cls);
const fixture = (name: string) => Journal.read(join(import.meta.dirname, '../fixtures/report', name));
const svgOf = (journal: JournalData) => renderTimelineSvg(summarizeDrill({ journal, versions: {}, config: 'c.yaml' }));

function barsByStep(svg: XmlElement): Map<string, XmlElement> {
  const groups = all(svg, (e) => e.name === 'g' && hasClass(e, 'step'));
  return new Map(groups.flatMap((g) => all(g, (e) => e.name === 'rect' && hasClass(e, 'bar')).map((bar) => [g.attrs['data-step']!, bar])));
}

describe('parseXml (the checker itself)', () => {
  it.each([
    ['<svg><g></svg>', 'mismatched'],
    ['<svg a="1" a="2"/>', 'duplicate'],
    ['<svg><text>a & b</text></svg>', 'bad entity'],
    ['<svg/><svg/>', 'after the root'],
    ['<svg x=1/>', 'quoted'],
  ])('rejects %s', (xml, why) => {
    expect(() => parseXml(xml)).toThrow(why);
  });
});

describe('renderTimelineSvg', () => {
  it('is well-formed SVG with one bar per step of a green drill, the slowest outlined', () => {
    const svg = parseXml(svgOf(fixture('green-kwok.jsonl')));
    expect(svg.name).toBe('svg');
    expect(svg.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    const bars = barsByStep(svg);
    expect([...bars.keys()]).toEqual(['preflight', 'delete-cluster', 'create-cluster', 'namespaces', 'storage', 'sealed-secrets-controller', 'reseal-secrets', 'apps']);
    expect(all(svg, (e) => e.name === 'rect' && hasClass(e, 'bar'))).toHaveLength(8);
    const slowest = all(svg, (e) => hasClass(e, 'slowest'));
    expect(slowest.map((e) => barsByStep(svg).get('create-cluster') === e)).toEqual([true]);
    // Coloured by outcome: applied and unchanged differ.
    expect(bars.get('apps')!.attrs.fill).not.toBe(bars.get('preflight')!.attrs.fill);
  });

  it('places bars on the time axis so parallel branches overlap and sequential ones do not', () => {
    const bars = barsByStep(parseXml(svgOf(fixture('green-kwok.jsonl'))));
    const span = (id: string) => {
      const { x, width } = bars.get(id)!.attrs;
      return [Number(x), Number(x) + Number(width)] as const;
    };
    const [storageStart, storageEnd] = span('storage');
    const [controllerStart] = span('sealed-secrets-controller');
    expect(controllerStart).toBeLessThan(storageEnd);
    expect(Math.abs(controllerStart - storageStart)).toBeLessThan(1);
    const [, createEnd] = span('create-cluster');
    const [appsStart, appsEnd] = span('apps');
    expect(appsStart).toBeGreaterThanOrEqual(createEnd);
    // apps ends the drill: its bar ends at the right edge of the plot.
    expect(appsEnd).toBeCloseTo(970, 0);
    // create-cluster took 7.1 of 12.3 s: over half of the plot's 660 px.
    expect(span('create-cluster')[1] - span('create-cluster')[0]).toBeCloseTo((7.104 / 12.278) * 660, 0);
  });

  it('draws no bar for steps that never ran, and says why in words', () => {
    const svg = parseXml(svgOf(fixture('missing-secret.jsonl')));
    expect([...barsByStep(svg).keys()]).toEqual(['preflight']);
    const notes = all(svg, (e) => e.name === 'text' && hasClass(e, 'note')).map((e) => e.text);
    expect(notes).toHaveLength(7);
    expect(new Set(notes)).toEqual(new Set(['not run: blocked by preflight']));
    const title = all(svg, (e) => e.name === 'text' && hasClass(e, 'title'))[0]!;
    expect(title.text).toBe('homelab-dr dr-test: RED · failed after 0.7 s');
  });

  it('escapes text that would break the XML', () => {
    const journal = fixture('green-kwok.jsonl');
    journal.header.runId = 'run <1> & "2"';
    const svg = parseXml(svgOf(journal));
    expect(all(svg, (e) => hasClass(e, 'subtitle'))[0]!.text).toContain('run &lt;1&gt; &amp; &quot;2&quot;');
  });

  it('chooses about six round ticks whatever the length', () => {
    expect(tickStep(12.278)).toBe(5);
    expect(tickStep(0.684)).toBe(0.2);
    expect(tickStep(95)).toBe(20);
    expect(tickStep(150)).toBe(30);
    expect(tickStep(3600)).toBe(600);
  });
});

/** Every text node's words, in document order: what a reader of the picture sees. */
function textOf(svg: XmlElement): string[] {
  return all(svg, (e) => e.name === 'text').map((e) => e.text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&'));
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Renders with librsvg (Debian's rsvg-convert) and returns the PNG's size from its IHDR chunk. */
function renderPng(svg: string, name: string): { path: string; width: number; height: number; bytes: number } {
  const dir = resolve('test-results/timelines');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.svg`), svg);
  const path = join(dir, `${name}.png`);
  execFileSync('rsvg-convert', ['--format', 'png', '--output', path, join(dir, `${name}.svg`)]);
  const png = readFileSync(path);
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  return { path, width: png.readUInt32BE(16), height: png.readUInt32BE(20), bytes: png.length };
}

const refusedSummary = (): DrillSummary =>
  summarizeRefusal({
    runId: '2026-12-01T00-10-00-000Z-lit1',
    command: 'drill',
    config: 'homelab.yaml',
    startedAt: new Date('2026-12-01T00:10:00.000Z'),
    now: new Date('2026-12-01T00:10:01.200Z'),
    refusal: {
      reason: 'litmus',
      message: 'drill refuses: 1 run-time dependency lives inside the cluster being rebuilt',
      details: ['preflight: secret store gitlab (gitlab) (https://gitlab.home.lan): gitlab.home.lan resolves to 127.0.0.7, the address of node k3d-homelab-server-0'],
      exitCode: 3,
    },
    versions: {},
  });

describe('the timeline says why a drill is red', () => {
  it('a red drill names its failed step and first cause in the picture, as the report does', () => {
    const summary = summarizeDrill({ journal: fixture('missing-secret.jsonl'), versions: {}, config: 'c.yaml' });
    const svg = parseXml(renderTimelineSvg(summary));
    const panel = all(svg, (e) => e.name === 'g' && hasClass(e, 'failure'));
    expect(panel).toHaveLength(1);
    expect(panel[0]!.attrs['data-step']).toBe('preflight');
    const words = textOf(panel[0]!).join(' ');
    expect(words).toContain('Failed step: preflight (failed)');
    const cause = summary.failures[0]!.causes[0]!;
    // The first cause as report.md states it (its first line), in the picture's words.
    expect(renderReportMarkdown(summary)).toContain(cause.text);
    expect(words.replace(/\s+/g, ' ')).toContain(`First cause: ${cause.subject}: ${cause.text.split('\n')[0]}`);
  });

  it('a green drill has no failure panel', () => {
    const svg = parseXml(svgOf(fixture('green-kwok.jsonl')));
    expect(all(svg, (e) => hasClass(e, 'failure'))).toEqual([]);
  });

  it('a drill refused before any step ran says so, with the refusal and its first detail', () => {
    const summary = refusedSummary();
    const words = textOf(parseXml(renderTimelineSvg(summary))).join(' ');
    expect(words).toContain('homelab-dr drill: RED · refused, no step ran');
    expect(words).toContain('Refused before any step ran (litmus)');
    expect(words).toContain('First cause: drill refuses: 1 run-time dependency lives inside the cluster being rebuilt');
    expect(words.replace(/\s+/g, ' ')).toContain('gitlab.home.lan resolves to 127.0.0.7');
  });

  it('wraps a long cause at spaces into at most the given lines, the last one cut with an ellipsis', () => {
    expect(wrapText('aaa bbb ccc', 7, 3)).toEqual(['aaa bbb', 'ccc']);
    expect(wrapText('aaa bbb ccc ddd eee', 7, 2)).toEqual(['aaa bbb', 'ccc dd…']);
    expect(wrapText('x'.repeat(12), 5, 2)).toEqual(['xxxx…']);
  });
});

describe('the timelines rendered by a real SVG renderer (librsvg)', () => {
  // Written to test-results/timelines/, so that a person can open the pictures the test checked.
  it.each([
    ['green', () => summarizeDrill({ journal: fixture('green-kwok.jsonl'), versions: {}, config: 'c.yaml' })],
    ['red', () => summarizeDrill({ journal: fixture('missing-secret.jsonl'), versions: {}, config: 'c.yaml' })],
    ['refused', refusedSummary],
  ])('renders the %s timeline to a PNG of the SVG\'s size whose text states the report\'s result', (name, make) => {
    const summary = make();
    const source = renderTimelineSvg(summary);
    const svg = parseXml(source);
    const png = renderPng(source, name);
    expect([png.width, png.height]).toEqual([Number(svg.attrs.width), Number(svg.attrs.height)]);
    // A blank white PNG of this size compresses to well under 2 kB; text and bars do not.
    expect(png.bytes).toBeGreaterThan(8_000);
    const words = textOf(svg).join(' ');
    const report = renderReportMarkdown(summary);
    expect(report).toContain(`: ${summary.result.toUpperCase()}`);
    expect(words).toContain(`${summary.command}: ${summary.result.toUpperCase()}`);
    for (const f of summary.failures) expect(words).toContain(f.step === 'refused before start' ? 'Refused before any step ran' : `Failed step: ${f.step}`);
  });
});
