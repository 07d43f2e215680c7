// The drill as Prometheus metrics, for node_exporter's textfile collector (text exposition format
// 0.0.4). The file is replaced atomically: the collector may read it at any moment.
import { ITEM_OUTCOMES } from '../engine/types.js';
import { writeFileAtomic } from './atomic-write.js';
import type { DrillSummary } from './summary.js';

interface Sample {
  labels?: Record<string, string>;
  value: number;
}

interface Family {
  name: string;
  help: string;
  samples: Sample[];
}

/** Label values escape backslash, double quote and newline; nothing else needs it. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(value);
}

function sampleLine(name: string, { labels, value }: Sample): string {
  const pairs = Object.entries(labels ?? {}).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return `${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`;
}

function familyText({ name, help, samples }: Family): string[] {
  // HELP text escapes only backslash and newline.
  const helpText = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return [`# HELP ${name} ${helpText}`, `# TYPE ${name} gauge`, ...samples.map((s) => sampleLine(name, s))];
}

export function drillMetricFamilies(s: DrillSummary): Family[] {
  const ran = s.steps.filter((step) => step.durationSeconds !== undefined);
  return [
    {
      name: 'homelab_dr_drill_success',
      help: '1 if the last DR drill ended green (every step verified), 0 otherwise.',
      samples: [{ value: s.result === 'green' ? 1 : 0 }],
    },
    {
      name: 'homelab_dr_drill_last_run_timestamp_seconds',
      help: 'Unix time at which the last DR drill finished its last step.',
      samples: [{ value: Date.parse(s.endedAt) / 1000 }],
    },
    {
      name: 'homelab_dr_drill_duration_seconds',
      help: 'Wall time of the last DR drill from its start to verified green (or to its failure): the measured RTO.',
      samples: [{ value: s.rto.seconds }],
    },
    {
      name: 'homelab_dr_step_duration_seconds',
      help: 'Wall time of each step of the last DR drill that ran (verify, apply, verify).',
      samples: ran.map((step) => ({ labels: { step: step.id }, value: step.durationSeconds! })),
    },
    {
      name: 'homelab_dr_items',
      help: 'Objects and items each step of the last DR drill recorded, by outcome.',
      // Every outcome of every step, zeros included, so that the series exist before the first failure.
      samples: s.steps.flatMap((step) => ITEM_OUTCOMES.map((outcome) => ({ labels: { step: step.id, outcome }, value: step.items[outcome] }))),
    },
  ];
}

export function renderMetrics(s: DrillSummary): string {
  return `${drillMetricFamilies(s).flatMap(familyText).join('\n')}\n`;
}

export async function writeMetricsTextfile(path: string, s: DrillSummary): Promise<void> {
  await writeFileAtomic(path, renderMetrics(s));
}
