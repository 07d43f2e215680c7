// Parses the config YAML keeping node ranges, so that any field path can be turned back into a line
// and column. `apps` written as a list is presented to validation as { items: [...] }, the one shape
// the schema's defaults and the loader work on; paths are mapped back to what the user wrote.
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { isRecord } from '../util/helpers.js';
import type { FieldPath } from './field-path.js';
import type { ConfigIssue } from './issues.js';
import { APPS_WAIT_BESIDE_LIST_FIX, findAppsWaitBesideList } from './legacy-apps-wait.js';

export interface SourcePosition {
  line: number;
  col: number;
}

export interface SourceNote {
  position: SourcePosition;
  /** Field path (as the user wrote it) and message, or a YAML syntax message. */
  message: string;
}

export interface YamlConfigSource {
  /** The document as plain data, undefined when it holds nothing. */
  data: unknown;
  syntaxErrors: SourceNote[];
  /** Issues with a path that do not stop the load; formatted by the loader. */
  warnings: ConfigIssue[];
  locate(path: FieldPath, at: 'key' | 'value'): SourcePosition;
  /** The path as the user wrote it (apps[0], not apps.items[0], when apps is a list). */
  displayPath(path: FieldPath): FieldPath;
}

interface Located {
  key?: Node | undefined;
  value?: Node | undefined;
}

function keyName(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}

function hasSource(node: Node | undefined): node is Node & { range: [number, number, number] } {
  if (node?.range == null) return false;
  return !(isScalar(node) && node.value === null && node.source === '');
}

/** The nodes along `path`, as deep as the document goes. */
function walk(doc: Document, root: Node | null, path: FieldPath): Located[] {
  const chain: Located[] = [{ value: root ?? undefined }];
  let current: unknown = root;
  for (const segment of path) {
    if (isAlias(current)) current = current.resolve(doc);
    let next: Located | undefined;
    if (isMap(current)) {
      const pair = current.items.find((item) => keyName(item.key) === String(segment));
      if (pair !== undefined) next = { key: pair.key as Node, value: (pair.value ?? undefined) as Node | undefined };
    } else if (isSeq(current) && typeof segment === 'number') {
      const item = current.items[segment];
      if (item !== undefined) next = { value: item as Node };
    }
    if (next === undefined) break;
    chain.push(next);
    current = next.value;
  }
  return chain;
}

function syntaxNotes(doc: Document, lineCounter: LineCounter, text: string): SourceNote[] {
  if (doc.errors.length === 0) return [];
  // The one invalid shape an older example taught gets its fix instead of the parser's words.
  const waitLine = findAppsWaitBesideList(text);
  if (waitLine !== undefined) {
    const col = text.split('\n')[waitLine]!.search(/\S/) + 1;
    return [{ position: { line: waitLine + 1, col }, message: `YAML syntax: ${APPS_WAIT_BESIDE_LIST_FIX}` }];
  }
  return doc.errors.map((error) => ({
    position: lineCounter.linePos(error.pos[0]),
    message: `YAML syntax: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
  }));
}

/** Plain data; an alias bomb (more than 100 alias expansions) becomes a syntax error. */
function toData(doc: Document, syntaxErrors: SourceNote[]): unknown {
  if (doc.contents === null) return undefined;
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    syntaxErrors.push({ position: { line: 1, col: 1 }, message: `YAML: ${(error as Error).message}` });
    return undefined;
  }
}

export function readYamlSource(text: string): YamlConfigSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntaxErrors = syntaxNotes(doc, lineCounter, text);
  const data = syntaxErrors.length === 0 ? toData(doc, syntaxErrors) : undefined;
  const appsWrittenAsList = isRecord(data) && Array.isArray(data.apps);
  if (appsWrittenAsList) data.apps = { items: data.apps };

  const route = (path: FieldPath): { doc: Document; path: FieldPath } => {
    if (appsWrittenAsList && path[0] === 'apps' && path[1] === 'items') return { doc, path: ['apps', ...path.slice(2)] };
    return { doc, path };
  };

  return {
    data,
    syntaxErrors,
    warnings: [],
    locate(path, at) {
      const target = route(path);
      const chain = walk(target.doc, target.doc.contents as Node | null, target.path);
      const deepest = chain[chain.length - 1]!;
      const complete = chain.length === target.path.length + 1;
      const preferred = at === 'key' || !complete ? [deepest.key, deepest.value] : [deepest.value, deepest.key];
      const node = preferred.find(hasSource);
      return node === undefined ? { line: 1, col: 1 } : lineCounter.linePos(node.range[0]);
    },
    displayPath(path) {
      return appsWrittenAsList && path[0] === 'apps' && path[1] === 'items' ? ['apps', ...path.slice(2)] : path;
    },
  };
}
