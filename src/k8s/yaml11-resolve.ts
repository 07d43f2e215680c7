// goyaml.v2's resolve(), ported: what kubectl, Flux and Argo CD (sigs.k8s.io/yaml) make of a plain
// scalar under YAML 1.1, and what the YAML 1.2 core schema makes of it. Pure functions of the text.

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
export const INT64_MAX = 2n ** 63n - 1n;
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
export function goFloatKey(value: number): string {
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
