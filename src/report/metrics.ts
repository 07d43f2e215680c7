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

export interface MetricsContext {
  /** Unix seconds of the last green drill before or including this one (from the history); 0: never. */
  lastSuccessSeconds: number;
}

/** One series per drill that is not green, labelled with a value of a fixed set (failure-reason.ts). */
function failureFamily(s: DrillSummary): Family {
  return {
    name: 'homelab_dr_drill_failure',
    help: 'Present (1) when the last DR drill was not green; reason is one of a fixed set: config, litmus, lock, tool, guard, preflight, step:<step>, interrupted, internal.',
    samples: s.failureReason ? [{ labels: { reason: s.failureReason }, value: 1 }] : [],
  };
}

export function drillMetricFamilies(s: DrillSummary, context: MetricsContext): Family[] {
  const ran = s.steps.filter((step) => step.durationSeconds !== undefined);
  const green = s.result === 'green';
  return [
    {
      name: 'homelab_dr_drill_success',
      help: '1 if the last DR drill ended green (every step verified), 0 otherwise.',
      samples: [{ value: green ? 1 : 0 }],
    },
    failureFamily(s),
    {
      name: 'homelab_dr_drill_last_run_timestamp_seconds',
      help: 'Unix time at which the last DR drill finished its last step (or was refused).',
      samples: [{ value: Date.parse(s.endedAt) / 1000 }],
    },
    {
      name: 'homelab_dr_drill_last_success_timestamp_seconds',
      help: 'Unix time at which the last green DR drill finished; 0 if no drill has been green yet.',
      samples: [{ value: context.lastSuccessSeconds }],
    },
    {
      name: 'homelab_dr_drill_duration_seconds',
      help: 'Wall time of the last DR drill, green or not. Not a recovery time: see homelab_dr_drill_rto_seconds.',
      samples: [{ value: s.rto.seconds }],
    },
    {
      name: 'homelab_dr_drill_rto_seconds',
      help: 'The measured RTO: start to every step verified green. Only a green drill has one; absent otherwise.',
      samples: green ? [{ value: s.rto.seconds }] : [],
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

export function renderMetrics(s: DrillSummary, context: MetricsContext): string {
  // A family without samples is left out whole: HELP and TYPE with no sample would only confuse.
  return `${drillMetricFamilies(s, context).filter((f) => f.samples.length > 0).flatMap(familyText).join('\n')}\n`;
}

export async function writeMetricsTextfile(path: string, s: DrillSummary, context: MetricsContext): Promise<void> {
  await writeFileAtomic(path, renderMetrics(s, context));
}
