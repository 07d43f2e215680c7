// Every secret value that homelab-dr holds in memory is registered here, so that any text bound for
// a log, the journal, a report or an error can be scrubbed of it, whichever code path produced it.

const known = new Set<string>();
/** Environment variables that hold secret values (an env store's variables, a store's API token). */
const variables = new Set<string>();

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

/**
 * Marks an environment variable as holding a secret: homelab-dr itself may read it, but no child
 * process (kubectl, helm, kwokctl and the control plane it starts...) inherits it. Registered from the
 * config before anything runs, because children start before the stores are read.
 */
export function registerSecretVariable(name: string): void {
  if (name) variables.add(name);
}

/**
 * What a child process inherits: `env` without the registered secret variables and without any
 * variable whose value is a registered secret. A child that does need a value (an exec store's
 * helper, sops) is given its environment explicitly instead.
 */
export function childEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (variables.has(name) || (value !== undefined && known.has(value))) continue;
    out[name] = value;
  }
  return out;
}

/** Tests only: forget every registered value. */
export function clearSecretsForTest(): void {
  known.clear();
  variables.clear();
}
