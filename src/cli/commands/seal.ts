// `homelab-dr seal`: kubeseal-like. A Secret from stdin, or a configured secret from its store, sealed
// in memory with --cert (a file or an http(s) URL) or the controller's certificate fetched through the
// cluster, and written to stdout as a SealedSecret (or, with --raw, one value's ciphertext).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeYaml } from '../../k8s/yaml-write.js';
import { KubeYamlError, loadKubeYaml } from '../../k8s/yaml11.js';
import { InputError, errorMessage } from '../../util/errors.js';
import { registerSecret } from '../../util/secrets-registry.js';
import { sealRaw, sealSecret, type SealingScope, type SecretToSeal } from '../../secrets/seal.js';
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

/** kubeseal's rule for --raw: strict needs the namespace and name, namespace-wide the namespace, cluster-wide neither. */
function rawTarget(opts: CliOptions, scope: SealingScope): { namespace: string; name: string; scope: SealingScope } {
  const needs = scope === 'strict' ? ['namespace', 'name'] : scope === 'namespace-wide' ? ['namespace'] : [];
  const missing = needs.filter((k) => !opts[k as 'namespace' | 'name']);
  if (missing.length > 0) throw new InputError(`seal --raw with scope ${scope} needs ${missing.map((k) => (k === 'namespace' ? '--namespace (-n)' : '--name')).join(' and ')}`);
  return { namespace: opts.namespace ?? '', name: opts.name ?? '', scope };
}

function checkFlags(opts: CliOptions): SealingScope | undefined {
  if (opts.scope !== undefined && !SCOPES.includes(opts.scope as SealingScope)) {
    throw new InputError(`--scope must be one of ${SCOPES.join(', ')}, not "${opts.scope}"`);
  }
  if (opts.raw && opts.secret) throw new InputError('seal --raw reads one value from stdin; --secret seals a whole configured Secret: give one');
  if (!opts.raw && (opts.name !== undefined || opts.namespace !== undefined)) {
    throw new InputError('seal takes --name and --namespace only with --raw (a Secret from stdin names itself)');
  }
  if (opts.cert && (opts.kubeconfig || opts.context || opts.controllerName || opts.controllerNamespace)) {
    throw new InputError('seal --cert reads the certificate from FILE|URL; --kubeconfig, --context and --controller-* fetch it from the cluster: give one way');
  }
  return opts.scope as SealingScope | undefined;
}

async function certificate(opts: CliOptions): Promise<{ pem: string; source: string }> {
  if (opts.cert) return { pem: await readCert(opts.cert), source: `--cert ${opts.cert}` };
  const { fetchControllerCert } = await import('./seal-cert.js');
  let cert;
  try {
    cert = await fetchControllerCert(opts);
  } catch (err) {
    // Bad input (no such cluster, a wrong context) or a controller that does not answer: either way, say how else to give it.
    const details = err instanceof InputError ? err.details : [];
    throw new InputError(`seal needs the controller's certificate: it could not be fetched through the cluster: ${errorMessage(err)}`, [
      ...details,
      'give --cert FILE|URL (the controller serves it at /v1/cert.pem), or --kubeconfig/--context for the cluster the controller runs in',
    ]);
  }
  if (opts.verbose) process.stderr.write(`seal: the certificate was ${cert.from}\n`);
  return { pem: cert.pem, source: `the controller's certificate (${cert.from})` };
}

function render(sealed: unknown, opts: CliOptions): string {
  const format = opts.format ?? (opts.output === 'json' ? 'json' : 'yaml');
  return format === 'json' ? `${JSON.stringify(sealed, null, 2)}\n` : writeYaml(sealed);
}

export async function sealCommand(opts: CliOptions): Promise<number> {
  const scopeFlag = checkFlags(opts);
  if (opts.raw) {
    const target = rawTarget(opts, scopeFlag ?? 'strict');
    const value = Buffer.from(await readStdin(), 'utf8');
    registerSecret(value);
    const { pem, source } = await certificate(opts);
    // Like kubeseal --raw: the ciphertext alone, without a newline, ready for encryptedData.
    process.stdout.write(sealRaw(value, target, pem, { certSource: source }));
    return 0;
  }
  const secret = opts.secret ? await configuredSecret(opts) : secretFromYaml(await readStdin());
  const scope = scopeFlag ?? secret.scope ?? 'strict';
  // A refused certificate is named as the operator gave it (file, URL or cluster); the secret never is.
  const { pem, source } = await certificate(opts);
  process.stdout.write(render(sealSecret({ ...secret, scope }, pem, { certSource: source }), opts));
  return 0;
}
