// The scalar rules kubectl, Flux and Argo CD read manifests with: sigs.k8s.io/yaml decodes through
// its goyaml.v2 (YAML 1.1 as go-yaml v2 implements it) and converts the result to JSON. A port of
// goyaml.v2's resolve() and of sigs.k8s.io/yaml's JSON conversion; test/unit/yaml11-differential
// compares it with the real library on generated documents.
import jsYaml from 'js-yaml';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';

/** A float as goyaml.v2 resolves it: a key made of it is written the way sigs.k8s.io/yaml writes one. */
class GoFloat {
  constructor(readonly value: number) {}
  // js-yaml stringifies a non-plain-object key with String(): this tag lets toString() speak.
  get [Symbol.toStringTag](): string {
    return 'GoFloat';
  }
  toString(): string {
    return goFloatKey(this.value);
  }
}

/** The null a key can resolve to: sigs.k8s.io/yaml refuses it, so stringifying it throws. */
class GoNullKey {
  get [Symbol.toStringTag](): string {
    return 'GoNull';
  }
  toString(): string {
    throw new KubeYamlError('a mapping key is null, which kubectl refuses (unsupported map key)');
  }
}
const GO_NULL = new GoNullKey();

/** An integer beyond 2^53: a key made of it keeps every digit; a uint64 beyond int64 is refused. */
class GoBigInt {
  constructor(readonly value: bigint) {}
  get [Symbol.toStringTag](): string {
    return 'GoBigInt';
  }
  toString(): string {
    if (this.value > INT64_MAX) throw new KubeYamlError(`a mapping key is the unsigned integer ${this.value}, which kubectl refuses (unsupported map key of type uint64)`);
    return this.value.toString();
  }
}

/** What kubectl refuses to convert; `field` names where, when a field is to blame. */
export class KubeYamlError extends Error {
  constructor(message: string, readonly field?: string) {
    super(field ? `${field}: ${message}` : message);
  }
}

// A key no YAML text can spell (js-yaml refuses a NUL character): a plain `<<`, the merge key.
const MERGE_KEY = '\u0000<<merge';
const MERGE = { toString: () => MERGE_KEY, get [Symbol.toStringTag]() { return 'GoMerge'; } };

const BOOLS = new Map<string, boolean>();
for (const s of ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']) BOOLS.set(s, true);
for (const s of ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']) BOOLS.set(s, false);
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const SPECIAL_FLOATS = new Map<string, number>();
for (const s of ['.nan', '.NaN', '.NAN']) SPECIAL_FLOATS.set(s, NaN);
for (const s of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']) SPECIAL_FLOATS.set(s, Infinity);
for (const s of ['-.inf', '-.Inf', '-.INF']) SPECIAL_FLOATS.set(s, -Infinity);

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
// strconv.ParseFloat on a text that starts with '.': decimal digits, underscores only between digits.
const DOT_FLOAT = /^\.[0-9]+(_[0-9]+)*([eE][-+]?[0-9]+(_[0-9]+)*)?$/;
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const DIGITS: Record<number, RegExp> = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ };

/** strconv.ParseInt(s, 0, 64) (signed) or ParseUint (unsigned): the value, or undefined on an error. */
function goParseInt(text: string, signed: boolean): bigint | undefined {
  let s = text;
  let negative = false;
  if (signed && (s[0] === '+' || s[0] === '-')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '') return undefined;
  let base = 10;
  if (s[0] === '0') {
    const prefix = s.length >= 3 ? s[1]!.toLowerCase() : '';
    if (prefix === 'b' || prefix === 'o' || prefix === 'x') {
      base = prefix === 'b' ? 2 : prefix === 'o' ? 8 : 16;
      s = s.slice(2);
    } else {
      base = 8;
      s = s.slice(1);
      if (s === '') return 0n;
    }
  }
  if (!DIGITS[base]!.test(s)) return undefined;
  const magnitude = base === 10 ? BigInt(s) : BigInt((base === 2 ? '0b' : base === 8 ? '0o' : '0x') + s);
  if (!signed) return magnitude <= UINT64_MAX ? magnitude : undefined;
  if (negative) return magnitude <= INT64_MAX + 1n ? -magnitude : undefined;
  return magnitude <= INT64_MAX ? magnitude : undefined;
}

/** strconv.ParseFloat(s, 64) on a text YAML_STYLE_FLOAT or DOT_FLOAT accepted: out of range is an error. */
function goParseFloat(s: string): number | undefined {
  const value = Number.parseFloat(s.replaceAll('_', ''));
  return Number.isFinite(value) ? value : undefined;
}

// goyaml.v2's first-character hints: S sign, D digit, M a word of the table, '.' a float.
function hintOf(s: string): string | undefined {
  const c = s[0];
  if (c === undefined) return 'N';
  if (c >= '0' && c <= '9') return 'D';
  if (c === '+' || c === '-') return 'S';
  if (c === '.') return '.';
  return 'yYnNtTfFoO~'.includes(c) ? 'M' : undefined;
}

export type GoScalar = string | number | boolean | null;

/**
 * What goyaml.v2's resolve() makes of a plain scalar, as sigs.k8s.io/yaml then writes it to JSON:
 * timestamps stay strings (an interface{} gets the text), integers and floats are numbers.
 * `float` says the number was a float, `int` holds an integer a double cannot hold exactly: both
 * matter when the number is a key.
 */
export function goResolve(s: string): { value: GoScalar; float?: true; int?: bigint } {
  const hint = hintOf(s);
  if (hint === undefined) return { value: s };
  const bool = BOOLS.get(s);
  if (bool !== undefined) return { value: bool };
  if (NULLS.has(s)) return { value: null };
  const special = SPECIAL_FLOATS.get(s);
  if (special !== undefined) return { value: special, float: true };
  if (hint === '.') {
    const value = DOT_FLOAT.test(s) ? goParseFloat(s) : undefined;
    return value === undefined ? { value: s } : { value, float: true };
  }
  if (hint !== 'D' && hint !== 'S') return { value: s };
  // (A timestamp-looking text starts with four digits and '-': it is neither an integer nor a float.)
  const plain = s.replaceAll('_', '');
  const int = goParseInt(plain, true) ?? goParseInt(plain, false);
  if (int !== undefined) return goInt(int);
  if (YAML_STYLE_FLOAT.test(plain)) {
    const value = goParseFloat(plain);
    if (value !== undefined) return { value, float: true };
  }
  // goyaml.v2's own 0b branch: strconv.ParseInt(plain[2:], 2, 64) also takes a sign after the prefix.
  const binary = /^0b([-+]?)([01]+)$/.exec(plain);
  if (binary) {
    const magnitude = BigInt(`0b${binary[2]}`);
    const value = binary[1] === '-' ? -magnitude : magnitude;
    if (value >= -INT64_MAX - 1n && value <= UINT64_MAX) return goInt(value);
  }
  return { value: s };
}

function goInt(int: bigint): { value: number; int?: bigint } {
  const value = Number(int);
  return Number.isSafeInteger(value) ? { value } : { value, int };
}

/** strconv.FormatFloat(f, 'g', -1, 32), with .inf/.nan spelled as go-yaml spells them. */
function goFloatKey(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (value === Infinity) return '.inf';
  if (value === -Infinity) return '-.inf';
  const f32 = Math.fround(value);
  if (!Number.isFinite(f32)) return f32 > 0 ? '.inf' : '-.inf';
  if (f32 === 0) return Object.is(f32, -0) ? '-0' : '0';
  // The shortest decimal that reads back as this float32.
  let digits = 1;
  let text = f32.toExponential(0);
  while (Math.fround(Number(text)) !== f32) text = f32.toExponential(digits++);
  const [mantissa, expText] = text.split('e') as [string, string];
  const exp = Number(expText);
  // Shortest 'g' formatting: %e when the exponent is below -4 or at least 6.
  return exp < -4 || exp >= 6 ? goExponent(mantissa, exp) : Number(text).toString();
}

function goExponent(mantissa: string, exp: number): string {
  const sign = exp < 0 ? '-' : '+';
  const abs = Math.abs(exp);
  return `${mantissa}e${sign}${abs < 10 ? '0' : ''}${abs}`;
}

// The YAML 1.2 core schema's reading of a plain scalar (yaml's default, and homelab-dr's before 1.1).
const CORE_INT = /^[-+]?[0-9]+$/;
const CORE_OCT = /^0o[0-7]+$/;
const CORE_HEX = /^0x[0-9a-fA-F]+$/;
const CORE_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

export function coreResolve(s: string): GoScalar {
  if (NULLS.has(s)) return null;
  if (s === 'true' || s === 'True' || s === 'TRUE') return true;
  if (s === 'false' || s === 'False' || s === 'FALSE') return false;
  if (CORE_INT.test(s)) return Number.parseInt(s, 10) + 0;
  if (CORE_OCT.test(s)) return Number.parseInt(s.slice(2), 8);
  if (CORE_HEX.test(s)) return Number.parseInt(s.slice(2), 16);
  if (YAML_STYLE_FLOAT.test(s)) return Number.parseFloat(s);
  if (CORE_SPECIAL.test(s)) return /nan/i.test(s) ? NaN : s.startsWith('-') ? -Infinity : Infinity;
  return s;
}

export function sameScalar(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}

/** The plain scalar differs between kubectl's YAML 1.1 reading and the YAML 1.2 core reading. */
export function readingsDiffer(text: string): boolean {
  return !sameScalar(goResolve(text).value, coreResolve(text));
}

let plainScalarsThatDiffer = 0;

function constructPlain(text: string): unknown {
  // goyaml.v2 takes a plain `<<` key as the merge key before it resolves anything.
  if (text === '<<') return MERGE;
  const { value, float, int } = goResolve(text);
  if (typeof value !== 'string' && !sameScalar(value, coreResolve(text))) plainScalarsThatDiffer += 1;
  if (float) return new GoFloat(value as number);
  if (int !== undefined) return new GoBigInt(int);
  return value === null ? GO_NULL : value;
}

function explicitType(tag: string, accepts: (resolved: ReturnType<typeof goResolve>) => boolean, toFloat = false): jsYaml.Type {
  return new jsYaml.Type(`tag:yaml.org,2002:${tag}`, {
    kind: 'scalar',
    resolve: (data: unknown) => typeof data === 'string' && accepts(goResolve(data)),
    construct: (data: string) => {
      const { value, float, int } = goResolve(data);
      if (value === null) return GO_NULL;
      if (float || toFloat) return new GoFloat(value as number);
      return int !== undefined ? new GoBigInt(int) : value;
    },
  });
}

const KUBE_SCHEMA = jsYaml.FAILSAFE_SCHEMA.extend({
  implicit: [new jsYaml.Type('tag:homelab-dr,2026:yaml-1.1-plain', { kind: 'scalar', resolve: () => true, construct: constructPlain })],
  explicit: [
    explicitType('int', (r) => typeof r.value === 'number' && !r.float),
    explicitType('float', (r) => typeof r.value === 'number', true),
    explicitType('bool', (r) => typeof r.value === 'boolean'),
    explicitType('null', (r) => r.value === null),
  ],
});

/**
 * One YAML document as kubectl reads it (sigs.k8s.io/yaml YAMLToJSON). `differs` counts the plain
 * scalars the YAML 1.2 core schema would read otherwise: zero for nearly every manifest, so the lines
 * are looked up (findScalarDifferences) only when there is something to say.
 */
export function loadKubeYaml(text: string, filename: string): { value: unknown; differs: number } {
  plainScalarsThatDiffer = 0;
  const raw = jsYaml.load(text, { filename, schema: KUBE_SCHEMA });
  return { value: toJsonValue(raw, '', new WeakSet()), differs: plainScalarsThatDiffer };
}

function fieldPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? (parent ? `${parent}.${key}` : key) : `${parent}[${JSON.stringify(key)}]`;
}

// Replaces, in place, what the schema built with what sigs.k8s.io/yaml's JSON holds.
function toJsonValue(value: unknown, path: string, done: WeakSet<object>): unknown {
  if (value instanceof GoFloat) {
    if (!Number.isFinite(value.value)) throw new KubeYamlError(`${value.value} has no JSON form (json: unsupported value), and kubectl refuses it`, path || undefined);
    return value.value;
  }
  if (value === GO_NULL) return null;
  if (value === MERGE) return '<<';
  if (value instanceof GoBigInt) return Number(value.value);
  if (typeof value !== 'object' || value === null || done.has(value)) return value;
  done.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = toJsonValue(value[i], fieldPath(path, i), done);
    return value;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) record[key] = toJsonValue(record[key], fieldPath(path, key), done);
  if (Object.prototype.hasOwnProperty.call(record, MERGE_KEY)) applyMerge(record, path);
  return record;
}

function setProperty(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { configurable: true, enumerable: true, writable: true, value });
  else target[key] = value;
}

// goyaml.v2 merges in document order: a `<<` overrides the keys written before it, and the keys after
// it override the merge (and, in a sequence of maps, the earlier map wins).
function applyMerge(record: Record<string, unknown>, path: string): void {
  const entries = Object.entries(record);
  for (const key of Object.keys(record)) delete record[key];
  for (const [key, value] of entries) {
    if (key !== MERGE_KEY) {
      setProperty(record, key, value);
      continue;
    }
    const sources = Array.isArray(value) ? [...value].reverse() : [value];
    for (const source of sources) {
      if (typeof source !== 'object' || source === null || Array.isArray(source)) {
        throw new KubeYamlError('map merge requires map or sequence of maps as the value', fieldPath(path, '<<'));
      }
      for (const [k, v] of Object.entries(source)) setProperty(record, k, v);
    }
  }
}

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
