// Where a document's plain scalars read differently under kubectl's YAML 1.1 and YAML 1.2, and the
// line of a field kubectl refuses: js-yaml's result keeps no positions, so the yaml package, which
// does, reads the document again (only when there is something to say).
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { fieldPath } from './yaml11.js';
import { coreResolve, goResolve, readingsDiffer, type GoScalar } from './yaml11-resolve.js';

/** A plain scalar kubectl (YAML 1.1) and YAML 1.2 read differently: where, and both readings. */
export interface ScalarDifference {
  line: number;
  /** The field, e.g. spec.template.spec.volumes[0].secret.defaultMode; a key names itself. */
  field: string;
  text: string;
  yaml11: GoScalar;
  yaml12: GoScalar;
}

type NodeVisitor = (node: unknown, field: string, line: number) => void;

// Every node of a document with its field path (as fieldPath spells it) and line; keys are visited
// under their own field. The yaml package keeps positions, which js-yaml's result does not.
function visitNodes(text: string, firstLine: number, visit: NodeVisitor): void {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false });
  const lineOf = (node: unknown): number => {
    const offset = (node as { range?: [number] } | null)?.range?.[0] ?? 0;
    return firstLine - 1 + lineCounter.linePos(offset).line;
  };
  const walk = (node: unknown, field: string): void => {
    visit(node, field, lineOf(node));
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.source ?? pair.key.value) : '?';
        visit(pair.key, fieldPath(field, key), lineOf(pair.key));
        walk(pair.value, fieldPath(field, key));
      }
    } else if (isSeq(node)) node.items.forEach((item, i) => walk(item, fieldPath(field, i)));
  };
  walk(doc.contents, '');
}

/** Every plain scalar of a document whose two readings differ; `firstLine` is the document's line. */
export function findScalarDifferences(text: string, firstLine: number): ScalarDifference[] {
  const found: ScalarDifference[] = [];
  visitNodes(text, firstLine, (node, field, line) => {
    if (!isScalar(node) || node.type !== 'PLAIN' || typeof node.source !== 'string' || !readingsDiffer(node.source)) return;
    found.push({ line, field, text: node.source, yaml11: goResolve(node.source).value, yaml12: coreResolve(node.source) });
  });
  return found;
}

/** The line of a field of a document, for an error about it; undefined when it cannot be found. */
export function lineOfField(text: string, firstLine: number, field: string): number | undefined {
  let found: number | undefined;
  visitNodes(text, firstLine, (_node, at, line) => {
    if (found === undefined && at === field) found = line;
  });
  return found;
}

function jsonScalar(value: GoScalar): string {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value);
}

/** "…defaultMode: 0400 is 256 to kubectl (YAML 1.1) but 400 under YAML 1.2: write 256, or "0400" for the text" */
export function describeScalarDifference(file: string, d: ScalarDifference): string {
  const mean = typeof d.yaml11 === 'string' ? `"${d.text}" for the text` : `${jsonScalar(d.yaml11)} for what kubectl reads, or "${d.text}" for the text`;
  return `${file}:${d.line}: ${d.field || 'the document'}: ${d.text} is ${jsonScalar(d.yaml11)} to kubectl (YAML 1.1) but ${jsonScalar(d.yaml12)} under YAML 1.2; write ${mean}`;
}
