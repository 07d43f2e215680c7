// timeline.svg: well-formed XML (checked by a small strict parser below, no dependency), one bar per
// step that ran, parallel steps overlapping in time, the slowest step marked.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, type JournalData } from '../../src/engine/journal.js';
import { summarizeDrill } from '../../src/report/summary.js';
import { renderTimelineSvg, tickStep } from '../../src/report/timeline-svg.js';

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
