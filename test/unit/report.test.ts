// The drill report from real journals: a green kwok dr-test of the bundled example, and the same
// example with a secret missing from its store (fixtures recorded by `homelab-dr dr-test`).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, type JournalData } from '../../src/engine/journal.js';
import { writeDrillReport } from '../../src/report/drill-report.js';
import { renderReportMarkdown } from '../../src/report/markdown.js';
import { summarizeDrill } from '../../src/report/summary.js';
import { clearSecretsForTest, registerSecret } from '../../src/util/secrets-registry.js';

const fixture = (name: string) => Journal.read(join(import.meta.dirname, '../fixtures/report', name));
const VERSIONS = { 'homelab-dr': '0.1.0', node: 'v20.0.0' };
const NOW = new Date('2026-11-25T20:00:00.000Z');
const summarize = (journal: JournalData) => summarizeDrill({ journal, versions: VERSIONS, config: 'config/example/homelab.yaml', now: NOW });

/** The green journal with its apps step turned red mid-run, as a real apply failure would leave it. */
function withAppsFailed(): JournalData {
  const journal = fixture('green-kwok.jsonl');
  const apps = journal.steps.get('apps')!;
  journal.steps.set('apps', { ...apps, status: 'failed', missing: ['Deployment apps/jellyfin: 0/1 ready', 'ReplicaSet networking/cloudflared-5d9: FailedCreate'], error: 'verify: 2 problem(s)' });
  journal.items.push({ step: 'apps', kind: 'Deployment', name: 'apps/jellyfin', outcome: 'failed', error: 'timed out waiting: 0/1 ready', at: apps.endedAt! });
  journal.exitCode = 1;
  return journal;
}

describe('summarizeDrill', () => {
  it('measures a green drill: RTO to the last verified step, the slowest step, items per outcome', () => {
    const s = summarize(fixture('green-kwok.jsonl'));
    expect(s.schemaVersion).toBe(1);
    expect(s.result).toBe('green');
    // 19:28:03.817 → apps verified at 19:28:16.095
    expect(s.rto).toEqual({ seconds: 12.278, until: 'verified-green' });
    expect(s.slowestStep).toBe('create-cluster');
    expect(s.counts.items).toEqual({ created: 24, configured: 0, unchanged: 0, deleted: 0, skipped: 0, failed: 0 });
    expect(s.counts).toMatchObject({ green: 8, stepsTotal: 8 });
    const apps = s.steps.find((x) => x.id === 'apps')!;
    expect(apps).toMatchObject({ status: 'applied', green: true, startOffsetSeconds: 9.756, durationSeconds: 2.522, open: false });
    expect(apps.items.created).toBe(12);
    expect(s.failures).toEqual([]);
    // The teardown is recorded, but it is not a step of the DAG.
    expect(s.housekeeping).toEqual([{ step: 'teardown', kind: 'Cluster', name: 'homelab-drtest-2611251928', outcome: 'deleted' }]);
  });

  it('names the red step, the missing secret and the cause, once, and what it blocked', () => {
    const s = summarize(fixture('missing-secret.jsonl'));
    expect(s.result).toBe('red');
    expect(s.exitCode).toBe(1);
    expect(s.rto.until).toBe('failure');
    expect(s.failures).toHaveLength(1);
    const [failure] = s.failures;
    expect(failure!.step).toBe('preflight');
    // The verify finding repeats the item's error word for word, so it is not listed twice.
    expect(failure!.causes).toHaveLength(1);
    expect(failure!.causes[0]).toMatchObject({ source: 'item', subject: 'values value demo/GITLAB_AGENT_TOKEN_ROTATED' });
    expect(failure!.causes[0]!.text).toContain("no value for key 'GITLAB_AGENT_TOKEN_ROTATED'");
    expect(failure!.blocked).toEqual(['delete-cluster', 'create-cluster', 'namespaces', 'storage', 'sealed-secrets-controller', 'reseal-secrets', 'apps']);
    expect(s.counts.steps).toEqual({ failed: 1, blocked: 7 });
  });

  it('keeps verify findings that add to the failed items', () => {
    const s = summarize(withAppsFailed());
    expect(s.result).toBe('red');
    expect(s.failures[0]!.causes.map((c) => c.source)).toEqual(['item', 'verify', 'verify']);
    expect(s.failures[0]!.causes[2]!.text).toBe('ReplicaSet networking/cloudflared-5d9: FailedCreate');
  });

  it('draws a step with no recorded end to the last moment the journal knows, and calls the run incomplete', () => {
    const journal = fixture('green-kwok.jsonl');
    const apps = journal.steps.get('apps')!;
    journal.steps.set('apps', { id: 'apps', status: 'running', startedAt: apps.startedAt! });
    journal.exitCode = undefined;
    const s = summarize(journal);
    expect(s.result).toBe('incomplete');
    const open = s.steps.find((x) => x.id === 'apps')!;
    expect(open.open).toBe(true);
    // The teardown item at 19:28:16.454 is the last thing recorded.
    expect(open.durationSeconds).toBe(2.881);
  });

  it('calls an interrupted run interrupted, whatever else happened', () => {
    const journal = fixture('green-kwok.jsonl');
    journal.steps.set('apps', { ...journal.steps.get('apps')!, status: 'interrupted' });
    journal.exitCode = 130;
    const s = summarize(journal);
    expect(s.result).toBe('interrupted');
    expect(s.failures.map((f) => [f.step, f.status])).toEqual([['apps', 'interrupted']]);
  });
});

describe('renderReportMarkdown', () => {
  it('puts the verdict, RTO and counts first, then one row per step, then the failures', () => {
    const md = renderReportMarkdown(summarize(fixture('green-kwok.jsonl')));
    const lines = md.split('\n');
    expect(lines[0]).toBe('# Drill 2026-11-25T19-28-01-281Z-03mi: GREEN');
    expect(lines.slice(1, 8).join('\n')).toContain('**RTO:** 12.3 s (start → every step verified green)');
    expect(md).toContain('- **Items:** 24 created');
    expect(md).toContain('| create-cluster | applied | +0.6 s | 7.1 s | 2 | 0 | 0 | 0 | 0 | 0 |');
    expect(md).toContain('| delete-cluster | unchanged | +0.6 s | < 0.1 s |');
    expect(md.indexOf('## Steps')).toBeLessThan(md.indexOf('## Failures'));
    expect(md).toContain('## Failures\n\nNone.');
    expect(md.match(/^\| (?!Step \||Component \|)/gm)).toHaveLength(8 + 2); // 8 steps + 2 versions
  });

  it('shows the failure with its whole cause in a block that backticks inside cannot break', () => {
    const journal = fixture('missing-secret.jsonl');
    journal.items[0]!.error += '\nhint: ```quoted``` output';
    const md = renderReportMarkdown(summarize(journal));
    expect(md).toContain('- **Steps:** 0 of 8 green; red: preflight; 7 blocked');
    expect(md).toContain('### preflight: failed (1 item(s) failed; verify: 1 problem(s))');
    expect(md).toContain("````text\nsecret store \"demo\" key \"GITLAB_AGENT_TOKEN_ROTATED\"");
    expect(md).toContain("demo-store: no value for key 'GITLAB_AGENT_TOKEN_ROTATED'\nhint: ```quoted``` output\n````");
    expect(md).toContain('Not run because of it: delete-cluster, create-cluster,');
    expect(md).toContain('| apps | blocked by preflight | — | — |');
  });

  it('escapes pipes and newlines in table cells', () => {
    const s = summarize(fixture('green-kwok.jsonl'));
    s.versions = { 'kube|apiserver': 'v1.33\nbuild 7' };
    expect(renderReportMarkdown(s)).toContain('| kube\\|apiserver | v1.33<br>build 7 |');
  });
});

describe('writeDrillReport', () => {
  it('writes report.json, report.md and timeline.svg under <reportDir>/<runId>, and nothing else', async () => {
    const reportDir = mkdtempSync(join(tmpdir(), 'drill-report-'));
    const { dir, files, summary } = await writeDrillReport({
      journal: fixture('missing-secret.jsonl'),
      reportDir,
      versions: VERSIONS,
      config: 'config/example/homelab.yaml',
      now: NOW,
    });
    expect(dir).toBe(join(reportDir, '2026-11-25T19-28-32-215Z-vkbc'));
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['report.json', 'report.md', 'timeline.svg']);
    expect(readdirSync(dir).sort()).toEqual(['report.json', 'report.md', 'timeline.svg']);
    const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(json).toEqual(JSON.parse(JSON.stringify(summary)));
    expect(json).toMatchObject({ schemaVersion: 1, result: 'red', versions: VERSIONS, generatedAt: NOW.toISOString() });
    expect(json.failures[0].causes[0].text).toContain('GITLAB_AGENT_TOKEN_ROTATED');
  });

  it('never carries a secret value, even one that reached the journal by a path that forgot to scrub it', async () => {
    for (const name of ['green-kwok.jsonl', 'missing-secret.jsonl']) {
      expect(readFileSync(join(import.meta.dirname, '../fixtures/report', name), 'utf8')).not.toMatch(/demo-not-a-real/);
    }
    const reportDir = mkdtempSync(join(tmpdir(), 'drill-report-'));
    const journal = fixture('missing-secret.jsonl');
    journal.items[0]!.error = 'store said: token=leaked-token-value-123';
    registerSecret('leaked-token-value-123');
    try {
      const { files } = await writeDrillReport({ journal, reportDir, versions: VERSIONS, config: 'c.yaml' });
      for (const f of files) {
        const text = readFileSync(f, 'utf8');
        expect(text).not.toContain('leaked-token-value-123');
        if (!f.endsWith('.svg')) expect(text).toContain('token=[REDACTED]');
      }
    } finally {
      clearSecretsForTest();
    }
  });
});
