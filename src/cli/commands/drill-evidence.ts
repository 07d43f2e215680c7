// The drill's evidence (report, history, metrics, notification) for every `drill` invocation: the
// one that ran its DAG, and the one refused before its journal started (bad config, the litmus, a lock,
// a missing tool), which would otherwise leave no trace and let no alert fire.
import { VERSION } from '../../version.js';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { newRunId } from '../../engine/journal.js';
import type { HomelabConfig } from '../../config/types.js';
import type { LoadedObject } from '../../k8s/types.js';
import { refusalReasonOf } from '../../report/failure-reason.js';
import type { DrillSummary } from '../../report/summary.js';
import { errorMessage } from '../../util/errors.js';
import type { CliOptions } from '../args.js';
import { stateDirOf } from '../context.js';
import { acquireLock, type HeldLock } from '../../safety/run-lock.js';

/** Where the evidence goes: from the config when it loads, else from what can still be read of it. */
export interface EvidenceTargets {
  reportDir: string;
  metricsTextfile: string;
  webhook?: string;
  /** Why a destination is a fallback (said on stderr, and in the notes). */
  warnings: string[];
}

/** Where the evidence goes: only these fields of the drill section matter, so a broken config can supply them. */
type EvidenceDrillConfig = Pick<HomelabConfig['drill'], 'reportDir' | 'metricsTextfile' | 'notify'>;

export function targetsFromConfig(opts: CliOptions, drill: EvidenceDrillConfig): EvidenceTargets {
  const stateDir = stateDirOf(opts);
  return {
    reportDir: opts.reportDir ? resolve(opts.reportDir) : drill.reportDir ?? join(stateDir, 'reports'),
    metricsTextfile: drill.metricsTextfile ?? join(stateDir, 'homelab_dr.prom'),
    ...(drill.notify?.webhook ? { webhook: drill.notify.webhook } : {}),
    warnings: drill.metricsTextfile ? [] : [`drill.metricsTextfile is not set: metrics written to ${join(stateDir, 'homelab_dr.prom')}`],
  };
}

function stringAt(data: unknown, key: string): string | undefined {
  const v = (data as Record<string, unknown> | undefined)?.[key];
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/**
 * A config that failed validation may still say where its evidence goes: the drill section is read
 * as written (paths against the config's directory), so that a typo in apps still reaches the alert.
 * A config that cannot be read or parsed at all leaves the defaults under the state dir, and no webhook.
 */
export async function targetsFromBrokenConfig(opts: CliOptions): Promise<EvidenceTargets> {
  const configPath = resolve(opts.config);
  let drill: unknown;
  try {
    drill = (parseYaml(await readFile(configPath, 'utf8')) as Record<string, unknown> | null)?.['drill'];
  } catch (err) {
    drill = undefined;
    const fallback = targetsFromConfig(opts, {});
    return { ...fallback, warnings: [`the config ${configPath} cannot be read (${errorMessage(err).split('\n')[0]}): no notification can be sent; report and metrics go to the defaults`, ...fallback.warnings] };
  }
  const base = dirname(configPath);
  const reportDir = stringAt(drill, 'reportDir');
  const metricsTextfile = stringAt(drill, 'metricsTextfile');
  const webhook = stringAt((drill as Record<string, unknown> | undefined)?.['notify'], 'webhook');
  const targets = targetsFromConfig(opts, {
    ...(reportDir ? { reportDir: resolve(base, reportDir) } : {}),
    ...(metricsTextfile ? { metricsTextfile: resolve(base, metricsTextfile) } : {}),
    ...(webhook && /^https?:\/\//.test(webhook) ? { notify: { webhook } } : {}),
  });
  if (!targets.webhook) targets.warnings.push(`the config ${configPath} names no usable drill.notify.webhook: no notification can be sent`);
  return targets;
}

/**
 * Writes the report, the history, the metrics and sends the notification. A report or metrics file
 * that cannot be written makes the drill red (an unattended drill without evidence proves nothing);
 * a failed notification does not.
 */
export async function writeEvidence(summary: DrillSummary, targets: EvidenceTargets, exitCode: number, notes: string[]): Promise<number> {
  notes.push(...targets.warnings.map((w) => `warning: ${w}`));
  try {
    const { updateHistory, lastSuccessSeconds } = await import('../../report/history.js');
    const { writeMetricsTextfile } = await import('../../report/metrics.js');
    const { writeSummaryReport } = await import('../../report/drill-report.js');
    const written = await writeSummaryReport(summary, targets.reportDir);
    const history = await updateHistory(targets.reportDir, summary);
    notes.push(`drill report: ${written.dir} (${written.files.length} files); history: ${history.files[0]}`);
    notes.push(...history.warnings.map((w) => `warning: ${w}`));
    await writeMetricsTextfile(targets.metricsTextfile, summary, { lastSuccessSeconds: lastSuccessSeconds(history.history) });
    notes.push(`metrics: ${targets.metricsTextfile}`);
  } catch (err) {
    notes.push(`DRILL REPORT FAILED: ${errorMessage(err)}`);
    exitCode = exitCode === 0 ? 1 : exitCode;
  }
  if (!targets.webhook) return exitCode;
  const { notifyWebhook } = await import('../../report/notify.js');
  const sent = await notifyWebhook(targets.webhook, summary, { reportLocation: join(targets.reportDir, summary.runId) });
  notes.push(sent.ok
    ? `notified: ${new URL(targets.webhook).host} (attempt ${sent.attempts})`
    : `NOTIFY FAILED after ${sent.attempts} attempt(s): ${sent.error ?? `HTTP ${sent.status}`} (the drill's result stands)`);
  return exitCode;
}

/** The evidence of a drill whose journal ran to its end (or to its failure). */
export async function reportJournaledDrill(journalPath: string, exitCode: number, opts: CliOptions, config: HomelabConfig, providerName: string, notes: string[]): Promise<number> {
  const versions: Record<string, string> = { 'homelab-dr': VERSION, node: process.version, provider: providerName };
  try {
    const { kubernetesVersion } = await import('../../cluster/control-plane-binaries.js');
    if (providerName === 'kwok') versions.kubernetes = kubernetesVersion();
  } catch {
    /* the pins are informational */
  }
  const { Journal } = await import('../../engine/journal.js');
  const { summarizeDrill } = await import('../../report/summary.js');
  const fidelity = providerName === 'kwok' ? await rehearsalFidelity(config) : undefined;
  const summary = summarizeDrill({ journal: Journal.read(journalPath), versions, config: opts.config, ...(fidelity ? { fidelity } : {}) });
  return writeEvidence(summary, targetsFromConfig(opts, config.drill), exitCode, notes);
}

/** What the kwok rehearsal ran against what production runs; a controller manifest that no longer loads is said so. */
async function rehearsalFidelity(config: HomelabConfig): Promise<string[]> {
  const { fidelityOfConfig } = await import('../../fidelity.js');
  const manifests = config.sealedSecrets?.controller.manifests;
  let objects: LoadedObject[] = [];
  if (manifests) {
    const { loadManifests } = await import('../../k8s/manifests.js');
    try {
      objects = await loadManifests(manifests);
    } catch (err) {
      return [...fidelityOfConfig(config.cluster.image, []).lines.slice(0, 1), `sealed-secrets: production's version is unknown (${manifests} did not load: ${errorMessage(err)})`];
    }
  }
  return fidelityOfConfig(config.cluster.image, objects.map((o) => o.obj)).lines;
}

/** The error as main.ts would print it, and the exit code it ends with (bin/homelab-dr.js: internal is 1). */
function refusalOf(err: unknown): { message: string; details: string[]; exitCode: number } {
  const e = err as { exitCode?: number; details?: string[] };
  const typed = e?.exitCode === 2 || e?.exitCode === 3 || e?.exitCode === 130;
  return { message: errorMessage(err), details: typed ? (e.details ?? []) : [], exitCode: typed ? e.exitCode! : 1 };
}

export interface DrillRun {
  /** Called by the run once its journal exists: from then on the run writes its own evidence. */
  onJournal(path: string): void;
}

/**
 * Runs the drill; when it stops before its journal starts, writes red evidence that names the cause
 * and ends with the refusal's own exit code (the error is printed as main.ts prints any other).
 */
export async function drillWithEvidence(opts: CliOptions, run: (hooks: DrillRun) => Promise<number>): Promise<number> {
  const startedAt = new Date();
  let journaled = false;
  const hooks: DrillRun = { onJournal: () => (journaled = true) };
  let failure: unknown;
  let returned: number | undefined;
  let lock: HeldLock | undefined;
  try {
    if (opts.lockFile) {
      const holder = { pid: process.pid, command: 'drill', runId: '(starting)', startedAt: startedAt.toISOString() };
      lock = acquireLock(resolve(opts.lockFile), { what: `the drill lock ${resolve(opts.lockFile)}`, holder });
    }
    returned = await run(hooks);
    if (journaled) return returned;
    // The run said why on stderr already; the evidence needs a message of its own.
    failure = Object.assign(new Error(`the drill ended with exit ${returned} before its journal started`), { exitCode: returned });
  } catch (err) {
    if (journaled) throw err;
    failure = err;
  } finally {
    lock?.release();
  }
  const refusal = refusalOf(failure);
  const reason = refusal.exitCode === 130 ? 'interrupted' : refusalReasonOf(refusal);
  const { summarizeRefusal } = await import('../../report/summary.js');
  const summary = summarizeRefusal({
    runId: newRunId(startedAt),
    command: 'drill',
    config: opts.config,
    startedAt,
    refusal: { reason, ...refusal },
    versions: { 'homelab-dr': VERSION, node: process.version },
  });
  const targets = reason === 'config' ? await targetsFromBrokenConfig(opts) : await targetsOf(opts);
  const notes: string[] = [];
  await writeEvidence(summary, targets, summary.exitCode!, notes);
  process.stderr.write(`${notes.join('\n')}\n`);
  if (returned !== undefined) return returned;
  // main.ts prints the refusal and maps it to its exit code, as for any other command.
  throw failure;
}

/** A refusal after the config loaded: its drill section is valid, so it is read the ordinary way. */
async function targetsOf(opts: CliOptions): Promise<EvidenceTargets> {
  const { loadConfig } = await import('../../config/load.js');
  try {
    const config = await loadConfig(resolve(opts.config), opts.provider ? { provider: opts.provider } : {});
    return targetsFromConfig(opts, config.drill);
  } catch {
    return targetsFromBrokenConfig(opts);
  }
}
