// The failure reason of a drill: one value of a fixed set (the metrics' label must not grow a new
// series for every new error message), and what a refused drill's evidence says in each rendering.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { Journal } from '../../src/engine/journal.js';
import { allFailureReasons, refusalReasonOf, STEP_REASONS, stepFailureReason } from '../../src/report/failure-reason.js';
import { renderReportMarkdown } from '../../src/report/markdown.js';
import { renderMetrics } from '../../src/report/metrics.js';
import { notificationJson, notificationText } from '../../src/report/notify.js';
import { summarizeDrill, summarizeRefusal } from '../../src/report/summary.js';
import { InputError, RefusedError } from '../../src/util/errors.js';
import { buildSteps } from '../../steps/index.js';

const fixture = (name: string) => Journal.read(join(import.meta.dirname, '../fixtures/report', name));

describe('failure reasons', () => {
  it('the fixed step list covers every step any config can put in the DAG', async () => {
    const { readFileSync } = await import('node:fs');
    const path = join(import.meta.dirname, '../../config/example/homelab.yaml');
    const config = parseConfig(readFileSync(path, 'utf8'), path, { checkFiles: false });
    const full = { ...config, firewall: { backend: 'nftables' as const, table: 't', defaultInput: 'drop' as const, allow: [] }, sealedSecrets: { ...config.sealedSecrets!, certOut: '/tmp/c.pem' } };
    for (const step of buildSteps(full)) expect(STEP_REASONS).toContain(step.id);
  });

  it('is bounded: every value a drill can produce is in the enumerated set', () => {
    const all = new Set(allFailureReasons());
    expect(all.size).toBe(5 + 1 + (STEP_REASONS.length - 1) + 2);
    for (const step of [...STEP_REASONS, 'no-such-step']) expect(all).toContain(stepFailureReason(step));
    expect(stepFailureReason('no-such-step')).toBe('internal');
    expect(stepFailureReason('apps')).toBe('step:apps');
    expect(stepFailureReason('preflight')).toBe('preflight');
  });

  it.each([
    [new InputError('config /x.yaml:3:1: apps[0].manifests: required'), 'config'],
    [new InputError('k3d is not installed (PATH=/usr/bin)'), 'tool'],
    [new RefusedError('drill refuses: 1 run-time dependency lives inside the cluster being rebuilt'), 'litmus'],
    [new RefusedError('drill refuses: the litmus could not run to the end: app x did not render'), 'litmus'],
    [new RefusedError('cluster homelab-drill is locked by run 2026-12-01 (pid 4242)'), 'lock'],
    [new RefusedError('a kwok cluster named x already exists'), 'guard'],
    // The run lock's own refusal is typed: its words need not say "lock".
    [new RefusedError('cluster homelab-dt-1 is in use by pid 7 (homelab-dr dr-test)', [], 'lock'), 'lock'],
    [new RefusedError('cluster homelab-dt-1 is in use by pid 7 (homelab-dr dr-test)'), 'guard'],
    [new Error('something broke'), 'internal'],
  ])('classifies %s as %s', (err, reason) => {
    expect(refusalReasonOf(err as { exitCode?: number; message: string; kind?: string })).toBe(reason);
  });

  it('a red journaled drill carries the first failed step as its reason; a green one has none', () => {
    expect(summarizeDrill({ journal: fixture('missing-secret.jsonl'), versions: {}, config: 'c' }).failureReason).toBe('preflight');
    expect(summarizeDrill({ journal: fixture('green-kwok.jsonl'), versions: {}, config: 'c' }).failureReason).toBeUndefined();
  });
});

describe('a drill refused before its journal', () => {
  const summary = summarizeRefusal({
    runId: 'r1',
    command: 'drill',
    config: 'homelab.yaml',
    startedAt: new Date('2026-12-01T00:00:00Z'),
    now: new Date('2026-12-01T00:00:00.400Z'),
    refusal: { reason: 'lock', message: 'cluster homelab-drill is locked by another run', details: ['lock file /s/locks/homelab-drill.lock'], exitCode: 3 },
    versions: {},
  });

  it('is red, with no step and no RTO, and says why in the report, the notification and the metrics', () => {
    expect(summary.result).toBe('red');
    expect(summary.exitCode).toBe(3);
    const md = renderReportMarkdown(summary);
    expect(md).toContain('RED (exit 3): refused before any step ran (lock)');
    expect(md).toContain('Time (no RTO: not green)');
    expect(md).toContain('cluster homelab-drill is locked by another run');
    expect(md).toContain('lock file /s/locks/homelab-drill.lock');
    expect(notificationText(summary).split('\n')[0]).toBe('homelab-dr drill RED: refused before any step ran (lock).');
    expect(notificationJson(summary)).toMatchObject({ result: 'red', reason: 'lock', exitCode: 3, durationSeconds: 0.4 });
    expect(notificationJson(summary)).not.toHaveProperty('rtoSeconds');
    const metrics = renderMetrics(summary, { lastSuccessSeconds: 1_764_547_200 });
    expect(metrics).toContain('homelab_dr_drill_success 0\n');
    expect(metrics).toContain('homelab_dr_drill_failure{reason="lock"} 1\n');
    expect(metrics).toContain('homelab_dr_drill_last_success_timestamp_seconds 1764547200\n');
    expect(metrics).not.toMatch(/^homelab_dr_drill_rto_seconds/m);
  });
});
