// kubectl's reading of a YAML document: sigs.k8s.io/yaml decodes through its goyaml.v2 (YAML 1.1
// scalars, yaml11-resolve.ts) and converts the result to JSON. js-yaml parses, with a schema whose one
// implicit type is goyaml.v2's resolve(); the walk after it does the JSON conversion's part (float
// and big-integer keys, refusals, merge keys in document order). test/unit/yaml11-differential
// compares the whole with the real library on generated documents.
import jsYaml from 'js-yaml';
import { coreResolve, goFloatKey, goResolve, INT64_MAX, sameScalar } from './yaml11-resolve.js';

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

/** A field path as messages spell it: spec.volumes[0].secret, metadata.labels["app.kubernetes.io/name"]. */
export function fieldPath(parent: string, key: string | number): string {
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
