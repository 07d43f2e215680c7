// Loads a homelab-dr config: YAML → schema (shape and defaults) → cross-field checks → paths resolved
// against the config's directory → the checks of the provider in use → the typed HomelabConfig. Every
// problem is collected and reported as `file:line:col: field: message` in one InputError (exit 2).
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { problemRecord, type ProblemRecord } from '../report/problems.js';
import { InputError } from '../util/errors.js';
import { crossFieldIssues } from './cross-checks.js';
import { isRecord } from '../util/helpers.js';
import { formatFieldPath } from './field-path.js';
import type { ConfigIssue } from './issues.js';
import { toHomelabConfig, type ConfigAsWritten } from './normalize.js';
import { resolvePaths } from './path-fields.js';
import { providerIssues } from './provider-checks.js';
import { schemaIssues } from './schema-messages.js';
import { validateConfigShape } from './schema.js';
import type { HomelabConfig, ProviderName } from './types.js';
import { readYamlSource, type SourceNote, type YamlConfigSource } from './yaml-source.js';

export interface LoadOptions {
  /** Check that every input path (manifests, namespaces file, …) exists, and read the ones a provider parses. Default true. */
  checkFiles?: boolean;
  /**
   * The provider the command uses when it overrides cluster.provider (--provider): the provider's own
   * checks (k3d: a tagged image, a registries.yaml that parses) follow it. The returned config keeps
   * cluster.provider as written.
   */
  provider?: ProviderName;
}

function noteLine(file: string, note: SourceNote): string {
  return `${file}:${note.position.line}:${note.position.col}: ${note.message}`;
}

/** A note with its field apart, for the problem record (-o json|yaml); a syntax error has none. */
type FieldNote = SourceNote & { field?: string; issue?: string };

function issueNote(source: YamlConfigSource, issue: ConfigIssue): FieldNote {
  const seeAlso = issue.firstAt === undefined ? '' : ` (first at line ${source.locate(issue.firstAt, 'value').line})`;
  const field = formatFieldPath(source.displayPath(issue.path));
  return {
    position: source.locate(issue.path, issue.at ?? 'value'),
    message: `${field}: ${issue.message}${seeAlso}`,
    field,
    issue: `${issue.message}${seeAlso}`,
  };
}

function noteRecord(file: string, note: FieldNote): ProblemRecord {
  return problemRecord({ check: 'config', file, line: note.position.line, column: note.position.col, field: note.field, message: note.issue ?? note.message });
}

function byPosition(a: SourceNote, b: SourceNote): number {
  return a.position.line - b.position.line || a.position.col - b.position.col;
}

function invalid(absolutePath: string, file: string, notes: FieldNote[]): InputError {
  const sorted = [...notes].sort(byPosition);
  const lines = [...new Set(sorted.map((note) => noteLine(file, note)))];
  const records = sorted.filter((note, i) => sorted.findIndex((other) => noteLine(file, other) === noteLine(file, note)) === i).map((note) => noteRecord(file, note));
  const count = `${lines.length} error${lines.length === 1 ? '' : 's'}`;
  return new InputError(`config ${absolutePath} is invalid (${count})`, lines, records);
}

/**
 * Parses and validates config text. `sourcePath` names the file in messages (as given) and anchors
 * relative paths (its directory).
 */
export function parseConfig(text: string, sourcePath: string, options: LoadOptions = {}): HomelabConfig {
  const absolutePath = resolve(sourcePath);
  const source = readYamlSource(text);
  if (source.syntaxErrors.length > 0) throw invalid(absolutePath, sourcePath, source.syntaxErrors);

  const data = source.data;
  if (data === undefined || data === null) {
    const empty = { position: { line: 1, col: 1 }, message: '(top level): the config is empty; start with apiVersion: homelab-dr/v1 and kind: RecoveryPlan' };
    throw invalid(absolutePath, sourcePath, [empty]);
  }
  const issues = [...schemaIssues(validateConfigShape(data), data), ...crossFieldIssues(data)];
  const checkFiles = options.checkFiles ?? true;
  if (isRecord(data)) {
    issues.push(...resolvePaths(data, dirname(absolutePath), checkFiles, options.provider));
    const provider = options.provider ?? (isRecord(data.cluster) ? data.cluster.provider : undefined);
    issues.push(...providerIssues(data, provider, checkFiles));
  }
  if (issues.length > 0) throw invalid(absolutePath, sourcePath, issues.map((issue) => issueNote(source, issue)));

  const warnings = source.warnings.map((warning) => noteLine(sourcePath, issueNote(source, warning)));
  return toHomelabConfig(data as ConfigAsWritten, absolutePath, warnings);
}

export async function loadConfig(path: string, options: LoadOptions = {}): Promise<HomelabConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
    throw new InputError(`config ${resolve(path)} ${reason}`, ['give the config file with --config FILE, or set HOMELAB_DR_CONFIG (default ./homelab.yaml)']);
  }
  return parseConfig(text, path, options);
}
