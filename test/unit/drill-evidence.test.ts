// The wrapper around every drill: evidence for a drill that stops before its journal, none added for
// one that journaled (it reports itself), and the refusal's own exit code either way.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCli } from '../../src/cli/args.js';
import { drillWithEvidence, targetsFromBrokenConfig } from '../../src/cli/commands/drill-evidence.js';
import { RefusedError } from '../../src/util/errors.js';

function setup(configText?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'drill-evidence-'));
  const config = join(dir, 'homelab.yaml');
  if (configText !== undefined) writeFileSync(config, configText);
  const opts = parseCli(['drill', '--config', config, '--state-dir', join(dir, 'state'), '--report-dir', join(dir, 'reports')]);
  const reports = () => (existsSync(join(dir, 'reports')) ? readdirSync(join(dir, 'reports')).filter((f) => !f.includes('.')) : []);
  const report = () => JSON.parse(readFileSync(join(dir, 'reports', reports()[0]!, 'report.json'), 'utf8'));
  const metrics = () => readFileSync(join(dir, 'state', 'homelab_dr.prom'), 'utf8');
  return { dir, opts, reports, report, metrics };
}

describe('drillWithEvidence', () => {
  it('a refusal before the journal: red evidence naming it, then the refusal itself is thrown for main to print', async () => {
    const t = setup();
    const refusal = new RefusedError('cluster homelab-drtest is locked by another run (pid 42)', ['wait for it, or see homelab-dr status']);
    await expect(drillWithEvidence(t.opts, async () => { throw refusal; })).rejects.toBe(refusal);
    expect(t.report()).toMatchObject({ result: 'red', exitCode: 3, failureReason: 'lock', refusal: { reason: 'lock', details: ['wait for it, or see homelab-dr status'] } });
    expect(t.metrics()).toContain('homelab_dr_drill_failure{reason="lock"} 1\n');
  });

  it('a run that returns without a journal (interrupted early): evidence, and its exit code', async () => {
    const t = setup();
    expect(await drillWithEvidence(t.opts, async () => 130)).toBe(130);
    expect(t.report()).toMatchObject({ result: 'red', failureReason: 'interrupted' });
  });

  it('a run that journaled writes its own evidence: the wrapper adds none, and passes its code and errors through', async () => {
    const t = setup();
    expect(await drillWithEvidence(t.opts, async (hooks) => { hooks.onJournal('/j'); return 1; })).toBe(1);
    const crash = new Error('crashed mid-run');
    await expect(drillWithEvidence(t.opts, async (hooks) => { hooks.onJournal('/j'); throw crash; })).rejects.toBe(crash);
    expect(t.reports()).toEqual([]);
  });

  it('a broken config still gives its drill section (paths against the config dir); an unparsable one gives the defaults and says why', async () => {
    const t = setup('apiVersion: homelab-dr/v1\ncluster: { servers: many }\ndrill:\n  reportDir: ./r\n  metricsTextfile: ./m.prom\n  notify: { webhook: "http://127.0.0.1:9/hook" }\n');
    const targets = await targetsFromBrokenConfig({ ...t.opts, reportDir: undefined });
    expect(targets).toMatchObject({ reportDir: join(t.dir, 'r'), metricsTextfile: join(t.dir, 'm.prom'), webhook: 'http://127.0.0.1:9/hook', warnings: [] });
    writeFileSync(join(t.dir, 'homelab.yaml'), 'drill: [unclosed\n');
    const fallback = await targetsFromBrokenConfig(t.opts);
    expect(fallback.webhook).toBeUndefined();
    expect(fallback.reportDir).toBe(join(t.dir, 'reports'));
    expect(fallback.warnings[0]).toMatch(/cannot be read .*: no notification can be sent/);
  });
});
