// The textfile-collector metrics: valid Prometheus text exposition format (checked by a strict parser
// below), the five families the issue names, and an atomic replacement of the file.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/engine/journal.js';
import { temporaryPathFor, writeFileAtomic } from '../../src/report/atomic-write.js';
import { escapeLabelValue, renderMetrics, writeMetricsTextfile } from '../../src/report/metrics.js';
import { summarizeDrill } from '../../src/report/summary.js';

interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface ParsedFamily {
  help?: string;
  type?: string;
  samples: ParsedSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** Reads one label set, un-escaping values; throws on anything the format does not allow. */
function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let pos = 0;
  while (pos < text.length) {
    const eq = text.indexOf('=', pos);
    const label = text.slice(pos, eq);
    if (eq === -1 || !LABEL_NAME.test(label) || label.startsWith('__')) throw new Error(`bad label name in {${text}}`);
    if (label in labels) throw new Error(`duplicate label ${label}`);
    if (text[eq + 1] !== '"') throw new Error(`label ${label} is not quoted`);
    let value = '';
    let i = eq + 2;
    for (; i < text.length && text[i] !== '"'; i++) {
      if (text[i] === '\\') {
        const next = text[++i];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`bad escape \\${next}`);
      } else if (text[i] === '\n') throw new Error('raw newline in a label value');
      else value += text[i];
    }
    if (text[i] !== '"') throw new Error('unterminated label value');
    labels[label] = value;
    pos = i + 1;
    if (text[pos] === ',') pos++;
    else if (pos !== text.length) throw new Error(`expected , after label ${label}`);
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${text}`);
  return Number(text);
}

/** The text exposition format 0.0.4, strictly: one HELP and one TYPE per family, before its samples. */
function parsePrometheusText(text: string): Map<string, ParsedFamily> {
  if (!text.endsWith('\n')) throw new Error('the last line must end with a newline');
  const families = new Map<string, ParsedFamily>();
  const seenSeries = new Set<string>();
  const family = (name: string) => {
    if (!METRIC_NAME.test(name)) throw new Error(`bad metric name ${name}`);
    if (!families.has(name)) families.set(name, { samples: [] });
    return families.get(name)!;
  };
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const f = family(meta[2]!);
      if (meta[1] === 'HELP') {
        if (f.help !== undefined) throw new Error(`second HELP for ${meta[2]}`);
        f.help = meta[3]!;
      } else {
        if (f.type !== undefined) throw new Error(`second TYPE for ${meta[2]}`);
        if (f.samples.length > 0) throw new Error(`TYPE after samples of ${meta[2]}`);
        if (!TYPES.has(meta[3]!)) throw new Error(`bad type ${meta[3]}`);
        f.type = meta[3]!;
      }
      continue;
    }
    if (line.startsWith('#') || line === '') continue;
    const sample = /^([^{\s]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`bad sample line: ${line}`);
    const series = `${sample[1]}{${sample[2] ?? ''}}`;
    if (seenSeries.has(series)) throw new Error(`duplicate series ${series}`);
    seenSeries.add(series);
    family(sample[1]!).samples.push({ name: sample[1]!, labels: parseLabels(sample[2] ?? ''), value: parseValue(sample[3]!) });
  }
  return families;
}

const fixture = (name: string) => Journal.read(join(import.meta.dirname, '../fixtures/report', name));
const summaryOf = (name: string) => summarizeDrill({ journal: fixture(name), versions: {}, config: 'c.yaml' });
const NEVER = { lastSuccessSeconds: 0 };
const value = (families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}) =>
  families.get(name)!.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))!.value;

describe('parsePrometheusText (the checker itself)', () => {
  it.each([
    ['# TYPE a gauge\n# TYPE a gauge\na 1\n', 'second TYPE'],
    ['a{step=x} 1\n', 'not quoted'],
    ['a{step="x\\q"} 1\n', 'bad escape'],
    ['a 1\na 2\n', 'duplicate series'],
    ['9a 1\n', 'bad metric name'],
    ['a one\n', 'bad value'],
    ['a 1', 'newline'],
  ])('rejects %j', (text, why) => {
    expect(() => parsePrometheusText(text)).toThrow(why);
  });
});

describe('renderMetrics', () => {
  it('gives the families of a green drill, each typed once, with the measured values and an RTO', () => {
    const families = parsePrometheusText(renderMetrics(summaryOf('green-kwok.jsonl'), { lastSuccessSeconds: 1_700_000_000 }));
    expect([...families.keys()]).toEqual([
      'homelab_dr_drill_success',
      'homelab_dr_drill_last_run_timestamp_seconds',
      'homelab_dr_drill_last_success_timestamp_seconds',
      'homelab_dr_drill_duration_seconds',
      'homelab_dr_drill_rto_seconds',
      'homelab_dr_step_duration_seconds',
      'homelab_dr_items',
    ]);
    for (const f of families.values()) {
      expect(f.type).toBe('gauge');
      expect(f.help!.length).toBeGreaterThan(20);
    }
    expect(value(families, 'homelab_dr_drill_success')).toBe(1);
    expect(value(families, 'homelab_dr_drill_duration_seconds')).toBe(12.278);
    expect(value(families, 'homelab_dr_drill_rto_seconds')).toBe(12.278);
    expect(value(families, 'homelab_dr_drill_last_success_timestamp_seconds')).toBe(1_700_000_000);
    // A green drill has no failure series at all.
    expect(families.has('homelab_dr_drill_failure')).toBe(false);
    expect(value(families, 'homelab_dr_drill_last_run_timestamp_seconds')).toBe(Date.parse('2026-11-25T19:28:16.095Z') / 1000);
    expect(value(families, 'homelab_dr_step_duration_seconds', { step: 'create-cluster' })).toBe(7.104);
    expect(families.get('homelab_dr_step_duration_seconds')!.samples).toHaveLength(8);
    expect(value(families, 'homelab_dr_items', { step: 'apps', outcome: 'created' })).toBe(12);
    // Every outcome of every step, zeros included: 8 steps × 6 outcomes.
    expect(families.get('homelab_dr_items')!.samples).toHaveLength(48);
  });

  it('reports a red drill as 0, with no RTO, the last success carried over, a bounded reason, and durations only for the steps that ran', () => {
    const families = parsePrometheusText(renderMetrics(summaryOf('missing-secret.jsonl'), { lastSuccessSeconds: 1_700_000_000 }));
    expect(value(families, 'homelab_dr_drill_success')).toBe(0);
    expect(families.has('homelab_dr_drill_rto_seconds')).toBe(false);
    expect(families.get('homelab_dr_drill_duration_seconds')!.help).toContain('Not a recovery time');
    expect(value(families, 'homelab_dr_drill_duration_seconds')).toBe(0.687);
    expect(value(families, 'homelab_dr_drill_last_success_timestamp_seconds')).toBe(1_700_000_000);
    expect(families.get('homelab_dr_drill_failure')!.samples).toEqual([{ name: 'homelab_dr_drill_failure', labels: { reason: 'preflight' }, value: 1 }]);
    expect(families.get('homelab_dr_step_duration_seconds')!.samples.map((s) => s.labels.step)).toEqual(['preflight']);
    expect(value(families, 'homelab_dr_items', { step: 'preflight', outcome: 'failed' })).toBe(1);
  });

  it('escapes label values so that any step id survives the round trip', () => {
    const summary = summaryOf('green-kwok.jsonl');
    const odd = 'say "hi"\\now\nthen';
    summary.steps[0]!.id = odd;
    const families = parsePrometheusText(renderMetrics(summary, NEVER));
    expect(families.get('homelab_dr_step_duration_seconds')!.samples[0]!.labels.step).toBe(odd);
    expect(escapeLabelValue(odd)).toBe('say \\"hi\\"\\\\now\\nthen');
  });
});

describe('atomic writes', () => {
  it('replaces the metrics file whole and leaves no temporary file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'textfile-'));
    const target = join(dir, 'homelab_dr.prom');
    writeFileSync(target, 'stale\n');
    await writeMetricsTextfile(target, summaryOf('green-kwok.jsonl'), NEVER);
    expect(readdirSync(dir)).toEqual(['homelab_dr.prom']);
    expect(parsePrometheusText(readFileSync(target, 'utf8')).size).toBe(7);
  });

  it('names its temporary file so that node_exporter (*.prom) never reads it half-written', () => {
    const temporary = temporaryPathFor('/var/lib/node_exporter/textfile_collector/homelab_dr.prom');
    expect(temporary.startsWith('/var/lib/node_exporter/textfile_collector/.homelab_dr.prom.')).toBe(true);
    expect(temporary.endsWith('.tmp')).toBe(true);
  });

  it('removes its temporary file when the rename fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'textfile-'));
    // Renaming a file over a non-empty directory fails after the temporary file was written.
    const occupied = join(dir, 'homelab_dr.prom');
    await writeFileAtomic(join(occupied, 'inside'), 'x');
    await expect(writeFileAtomic(occupied, 'new')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['homelab_dr.prom']);
    expect(readdirSync(occupied)).toEqual(['inside']);
  });
});

describe('the example alert rules in docs/', () => {
  it('query only metrics the drill writes, and cover "no green drill in 35 days" and "last drill red"', async () => {
    const { parse } = await import('yaml');
    const { drillMetricFamilies } = await import('../../src/report/metrics.js');
    const rules = (parse(readFileSync(join(import.meta.dirname, '../../docs/prometheus/homelab-dr-alerts.yaml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules);
    const written = new Set(drillMetricFamilies(summaryOf('missing-secret.jsonl'), NEVER).map((f) => f.name));
    for (const rule of rules) {
      for (const metric of rule.expr.match(/homelab_dr_[a-z_]+/g) ?? []) expect(written, `${rule.alert}: ${metric}`).toContain(metric);
    }
    expect(rules.find((r) => r.alert === 'HomelabDrNoGreenDrillIn35Days')?.expr).toContain('time() - homelab_dr_drill_last_success_timestamp_seconds > 35 * 86400');
    expect(rules.find((r) => r.alert === 'HomelabDrLastDrillRed')?.expr.trim()).toBe('homelab_dr_drill_success == 0');
  });
});
