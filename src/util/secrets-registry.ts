// Every secret value that homelab-dr holds in memory is registered here, so that any text bound for
// a log, the journal, a report or an error can be scrubbed of it, whichever code path produced it.

const known = new Set<string>();

/** Values shorter than this are not scrubbed: "1" or "true" would shred every message. */
const MIN_LENGTH = 4;

export function registerSecret(value: string | Buffer): void {
  const text = typeof value === 'string' ? value : value.toString('utf8');
  if (text.length >= MIN_LENGTH) known.add(text);
  const b64 = Buffer.from(text, 'utf8').toString('base64');
  if (b64.length >= MIN_LENGTH) known.add(b64);
}

export function scrub(text: string): string {
  let out = text;
  for (const value of known) if (out.includes(value)) out = out.split(value).join('[REDACTED]');
  return out;
}

export function knownSecretCount(): number {
  return known.size;
}

/** Tests only: forget every registered value. */
export function clearSecretsForTest(): void {
  known.clear();
}
