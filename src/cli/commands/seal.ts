// `homelab-dr seal`: kubeseal-like. A Secret from stdin, or a configured secret from its store, sealed
// in memory with --cert (a file or an http(s) URL) and written to stdout as a SealedSecret.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeYaml } from '../../k8s/yaml-write.js';
import { KubeYamlError, loadKubeYaml } from '../../k8s/yaml11.js';
import { InputError, errorMessage } from '../../util/errors.js';
import { registerSecret } from '../../util/secrets-registry.js';
import { sealSecret, type SealingScope, type SecretToSeal } from '../../secrets/seal.js';
import type { CliOptions } from '../args.js';

const SCOPES: readonly SealingScope[] = ['strict', 'namespace-wide', 'cluster-wide'];

async function readCert(cert: string): Promise<string> {
  try {
    if (/^https?:\/\//.test(cert)) {
      const res = await fetch(cert, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return await res.text();
    }
    return await readFile(resolve(cert), 'utf8');
  } catch (err) {
    throw new InputError(`--cert ${cert}: cannot read the certificate: ${errorMessage(err)}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// A Secret is read as kubectl reads it (YAML 1.1): `flag: yes` is a boolean there, not text.
function readSecretYaml(text: string): unknown {
  try {
    return loadKubeYaml(text, 'stdin').value;
  } catch (err) {
    if (err instanceof KubeYamlError) throw new InputError(`stdin: ${err.message}`);
    // The parser may quote the text it stopped at, which may be a value: say only where.
    const line = (err as { mark?: { line?: number } }).mark?.line;
    throw new InputError(`stdin: not valid YAML${line !== undefined ? ` (line ${line + 1})` : ''}`);
  }
}

// kubectl refuses a non-string in these maps; the value itself is never named (it may be a secret).
function requireStrings(map: unknown, field: string): void {
  if (map === undefined || map === null) return;
  if (typeof map !== 'object' || Array.isArray(map)) throw new InputError(`stdin: ${field} must be a mapping`);
  for (const [key, value] of Object.entries(map)) {
    if (typeof value !== 'string') {
      throw new InputError(`stdin: ${field}.${key}: kubectl reads this value as ${value === null ? 'null' : `a ${typeof value}`} (YAML 1.1), not as text; quote it`);
    }
  }
}

/** A v1 Secret (data base64, stringData plain) as the values to seal; nothing is written anywhere. */
export function secretFromYaml(text: string): SecretToSeal {
  const doc = readSecretYaml(text);
  const s = doc as { kind?: string; type?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; data?: Record<string, string>; stringData?: Record<string, string> };
  if (!s || s.kind !== 'Secret') throw new InputError('stdin: expected a v1 Secret (kind: Secret)');
  if (!s.metadata?.name || !s.metadata.namespace) throw new InputError('stdin: the Secret needs metadata.name and metadata.namespace');
  for (const field of ['data', 'stringData'] as const) requireStrings(s[field], field);
  requireStrings(s.metadata.labels, 'metadata.labels');
  requireStrings(s.metadata.annotations, 'metadata.annotations');
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) data[k] = Buffer.from(String(v), 'base64');
  for (const [k, v] of Object.entries(s.stringData ?? {})) data[k] = Buffer.from(String(v), 'utf8');
  for (const v of Object.values(data)) registerSecret(v);
  return { name: s.metadata.name, namespace: s.metadata.namespace, type: s.type, labels: s.metadata.labels, annotations: s.metadata.annotations, data };
}

async function configuredSecret(opts: CliOptions): Promise<SecretToSeal> {
  const [namespace, name] = (opts.secret ?? '').split('/');
  if (!namespace || !name) throw new InputError(`--secret must be NAMESPACE/NAME, not "${opts.secret}"`);
  const { loadForCommand } = await import('../context.js');
  const { config, ctx } = await loadForCommand(opts, 'plan');
  const secret = config.secrets.find((s) => s.namespace === namespace && s.name === name);
  if (!secret) throw new InputError(`no secret ${namespace}/${name} in ${config.source}; configured: ${config.secrets.map((s) => `${s.namespace}/${s.name}`).join(', ')}`);
  const { values, missing } = await ctx.inputs.values();
  const data: Record<string, Buffer> = {};
  for (const [key, source] of Object.entries(secret.data)) {
    if ('value' in source) data[key] = Buffer.from(source.value, 'utf8');
    else {
      const value = values.get(`${source.store}/${source.key}`);
      if (!value) {
        const why = missing.find((m) => m.store === source.store && m.key === source.key)?.reason ?? 'not read';
        throw new InputError(`${namespace}/${name} data.${key}: store ${source.store} key ${source.key}: ${why}`);
      }
      data[key] = value;
    }
  }
  return { name, namespace, type: secret.type, labels: secret.labels, annotations: secret.annotations, data, scope: secret.scope };
}

export async function sealCommand(opts: CliOptions): Promise<number> {
  if (!opts.cert) throw new InputError('seal needs --cert FILE|URL (the controller serves it at /v1/cert.pem)');
  if (opts.scope !== undefined && !SCOPES.includes(opts.scope as SealingScope)) {
    throw new InputError(`--scope must be one of ${SCOPES.join(', ')}, not "${opts.scope}"`);
  }
  const secret = opts.secret ? await configuredSecret(opts) : secretFromYaml(await readStdin());
  const scope = (opts.scope as SealingScope | undefined) ?? secret.scope ?? 'strict';
  // A refused certificate is named as the operator gave it (file or URL); the secret never is.
  const sealed = sealSecret({ ...secret, scope }, await readCert(opts.cert), { certSource: `--cert ${opts.cert}` });
  // A SealedSecret is a manifest to apply, not a report: -o picks its format, and it carries no envelope.
  process.stdout.write(opts.output === 'json' ? `${JSON.stringify(sealed, null, 2)}\n` : writeYaml(sealed));
  return 0;
}
