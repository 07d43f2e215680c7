// Sealing M secrets: homelab-dr in-process (src/secrets/seal.ts, the same call `reseal-secrets` makes
// per secret) against a `kubeseal --cert`-per-secret loop, the way a hard-reset script reseals. Both
// use the same 4096-bit certificate (the controller's key size), and both outputs are unsealed with
// the private key afterwards, so the row cannot time something that does not work.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { controlPlaneBinaries } from '../src/cluster/control-plane-binaries.js';
import { sealSecret, sealingLabel, type SecretToSeal } from '../src/secrets/seal.js';
import { makeSealingKey, unsealValue } from '../test/fixtures/secrets/sealing-keys.js';
import { timed } from './stats.js';

const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

function secrets(m: number): SecretToSeal[] {
  return Array.from({ length: m }, (_, i) => ({
    name: `app-${i}-credentials`,
    namespace: i % 2 === 0 ? 'networking' : 'apps',
    type: 'Opaque',
    labels: { 'app.kubernetes.io/name': `app-${i}` },
    data: { token: `tok-${i}-${'x'.repeat(40)}`, password: `pw-${i}-${'y'.repeat(24)}`, url: `https://git.example/r${i}.git` },
  }));
}

function asSecretJson(s: SecretToSeal): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: s.name, namespace: s.namespace, labels: s.labels },
    type: s.type,
    data: Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  });
}

interface Sealed {
  metadata: { name: string; namespace: string };
  spec: { encryptedData: Record<string, string> };
}

function checkSealed(privateKeyPem: string, input: SecretToSeal, out: Sealed, who: string): void {
  for (const [key, value] of Object.entries(input.data)) {
    const sealedValue = out.spec.encryptedData[key];
    if (!sealedValue) throw new Error(`${who}: ${input.namespace}/${input.name} has no sealed ${key}`);
    const plain = unsealValue(privateKeyPem, sealingLabel(input.namespace, input.name, 'strict'), sealedValue);
    if (!plain.equals(Buffer.from(value))) throw new Error(`${who}: ${input.namespace}/${input.name} ${key} does not unseal to its value`);
  }
}

export async function benchSeal(m: number, rounds: number): Promise<{ homelabDr: number[]; kubesealLoop: number[] }> {
  const { kubeseal } = controlPlaneBinaries(['kubeseal']);
  const dir = mkdtempSync(join(tmpdir(), 'hdr-bench-seal-'));
  try {
    const { privateKeyPem, certPem } = makeSealingKey({ bits: 4096 });
    const certPath = join(dir, 'cert.pem');
    writeFileSync(certPath, certPem);
    const inputs = secrets(m);
    const jsons = inputs.map(asSecretJson);
    // Offline: kubeseal needs no cluster with --cert; its own HOME and no kubeconfig keep it that way.
    const env = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: join(dir, 'no-kubeconfig') };
    const out = { homelabDr: [] as number[], kubesealLoop: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['kubeseal', 'homelab-dr'] as const) : (['homelab-dr', 'kubeseal'] as const);
      for (const who of order) {
        if (who === 'kubeseal') {
          const { seconds, value } = await timed(() =>
            jsons.map((input) => {
              const r = spawnSync(kubeseal, ['--cert', certPath, '-o', 'yaml'], { input, env, encoding: 'utf8' });
              if (r.status !== 0) throw new Error(`kubeseal exited ${r.status}: ${r.stderr.slice(-1000)}`);
              return r.stdout;
            }),
          );
          value.forEach((yaml, i) => checkSealed(privateKeyPem, inputs[i]!, parse(yaml) as Sealed, 'kubeseal'));
          out.kubesealLoop.push(seconds);
          log(`seal round ${round + 1}/${rounds} kubeseal loop: ${m} secrets in ${seconds.toFixed(2)} s`);
        } else {
          const { seconds, value } = await timed(() => inputs.map((s) => sealSecret(s, certPem)));
          value.forEach((sealed, i) => checkSealed(privateKeyPem, inputs[i]!, sealed, 'homelab-dr'));
          out.homelabDr.push(seconds);
          log(`seal round ${round + 1}/${rounds} homelab-dr: ${m} secrets in ${seconds.toFixed(3)} s`);
        }
      }
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
