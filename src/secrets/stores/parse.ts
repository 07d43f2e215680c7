// Turns a store file's plaintext (YAML, JSON or dotenv) into key → raw value. Parse errors carry a
// line number only: parser messages quote the offending text, which may be a secret.
import { basename } from 'node:path';
import { parseDocument } from 'yaml';

export type SecretFileFormat = 'yaml' | 'json' | 'dotenv';

/** The format a path's extension implies, looking through a trailing `.age` or `.enc`. */
export function formatForPath(path: string): SecretFileFormat {
  const name = basename(path).toLowerCase().replace(/\.(age|enc)$/, '');
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.env') || name.startsWith('.env') || name.endsWith('.dotenv')) return 'dotenv';
  return 'yaml';
}

export class SecretFileParseError extends Error {}

export function parseSecretMap(text: string, format: SecretFileFormat): Map<string, unknown> {
  if (format === 'dotenv') return parseDotenv(text);
  const data = format === 'json' ? parseJson(text) : parseYaml(text);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new SecretFileParseError(`the top level is not a ${format === 'json' ? 'JSON object' : 'YAML mapping'} of key: value`);
  }
  return new Map(Object.entries(data));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new SecretFileParseError('not valid JSON');
  }
}

function parseYaml(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const line = text.slice(0, first.pos[0]).split('\n').length;
    throw new SecretFileParseError(`not valid YAML at line ${line} (${first.code})`);
  }
  return doc.toJS();
}

const DOTENV_LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*?)\s*$/;

export function parseDotenv(text: string): Map<string, unknown> {
  const entries = new Map<string, unknown>();
  text.split(/\r?\n/).forEach((line, index) => {
    if (/^\s*(#|$)/.test(line)) return;
    const match = DOTENV_LINE.exec(line);
    if (!match?.[1] || match[2] === undefined) throw new SecretFileParseError(`line ${index + 1} is not KEY=value`);
    entries.set(match[1], dotenvValue(match[2], index + 1));
  });
  return entries;
}

function dotenvValue(raw: string, lineNumber: number): string {
  const quote = raw[0];
  if (quote === "'" || quote === '"') {
    const end = raw.lastIndexOf(quote);
    if (end === 0) throw new SecretFileParseError(`line ${lineNumber} has an unterminated ${quote} quote`);
    const inner = raw.slice(1, end);
    return quote === "'" ? inner : inner.replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
  }
  // An unquoted value ends at " #", the start of an inline comment.
  return raw.replace(/\s+#.*$/, '');
}
