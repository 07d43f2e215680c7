// The one machine-readable contract of -o json|yaml: every command's result is an envelope with a
// versioned apiVersion and a kind, so a script can tell what it reads and notice when it changes.
// YAML goes through the project's one YAML writer, so it reads back the same under YAML 1.1 and 1.2.
import { writeYaml } from '../k8s/yaml-write.js';
import { VERSION } from '../version.js';
import { stdoutDocument } from './exit.js';

export const OUTPUT_API_VERSION = 'homelab-dr.io/v1alpha1';

export const OUTPUT_FORMATS = ['json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export type OutputKind = 'Plan' | 'LintResult' | 'VerifyResult' | 'Status' | 'Diagnosis' | 'RunResult' | 'Error';

export interface Envelope<K extends OutputKind = OutputKind> {
  apiVersion: typeof OUTPUT_API_VERSION;
  kind: K;
  metadata: { command: string; homelabDrVersion: string; generatedAt: string };
  [field: string]: unknown;
}

export function envelope<K extends OutputKind>(kind: K, command: string, body: Record<string, unknown>, now: Date = new Date()): Envelope<K> {
  return {
    apiVersion: OUTPUT_API_VERSION,
    kind,
    metadata: { command, homelabDrVersion: VERSION, generatedAt: now.toISOString() },
    ...body,
  };
}

/** The envelope as text: JSON (one document, indented) or YAML. Fields that hold undefined are dropped. */
export function renderEnvelope(value: Envelope, format: OutputFormat): string {
  const plain = JSON.parse(JSON.stringify(value)) as unknown;
  return format === 'json' ? `${JSON.stringify(plain, null, 2)}\n` : writeYaml(plain);
}

export function writeEnvelope(value: Envelope, format: OutputFormat, out: Pick<NodeJS.WritableStream, 'write'> = process.stdout): void {
  if (out === process.stdout) stdoutDocument.written = true;
  out.write(renderEnvelope(value, format));
}
