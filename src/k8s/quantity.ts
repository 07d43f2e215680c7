// Kubernetes resource quantities ("50Gi", "0.5Gi", "500M", "1e3", "250m") as exact rationals,
// so that 512Mi equals 0.5Gi and 500Mi is less than it, with no floating-point rounding.

export interface Quantity {
  /** value = numerator / denominator, denominator > 0 */
  readonly numerator: bigint;
  readonly denominator: bigint;
}

const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

// A claim check compares every PV with every failing claim: the few distinct strings a homelab writes
// ("1Gi", "50Gi") are parsed once. Bounded, so a long-lived process cannot grow it without end.
const parsed = new Map<string, Quantity | undefined>();
const PARSED_MAX = 4096;

/** Parses a quantity string or number; undefined when it is not a valid Kubernetes quantity. */
export function parseQuantity(input: string | number): Quantity | undefined {
  const key = String(input);
  if (parsed.has(key)) return parsed.get(key);
  if (parsed.size >= PARSED_MAX) parsed.clear();
  const quantity = parseUncached(key);
  parsed.set(key, quantity);
  return quantity;
}

function parseUncached(input: string): Quantity | undefined {
  const match = QUANTITY.exec(input.trim());
  if (!match) return undefined;
  const [, sign = '', digits = '', exponent, suffix = ''] = match;
  const [whole = '', fraction = ''] = digits.split('.');
  let numerator = BigInt((whole || '0') + fraction) * (sign === '-' ? -1n : 1n);
  let denominator = 10n ** BigInt(fraction.length);
  const power = exponent !== undefined ? Number(exponent.slice(1)) : DECIMAL_SUFFIXES[suffix];
  if (suffix in BINARY_SUFFIXES) numerator *= 2n ** BigInt(BINARY_SUFFIXES[suffix]!);
  else if (power !== undefined && power >= 0) numerator *= 10n ** BigInt(power);
  else if (power !== undefined) denominator *= 10n ** BigInt(-power);
  return { numerator, denominator };
}

/** Negative, zero or positive as a is less than, equal to or greater than b. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  const left = a.numerator * b.denominator;
  const right = b.numerator * a.denominator;
  return left < right ? -1 : left > right ? 1 : 0;
}
