// The seed's push_new_cert: once the controller is up, its certificate goes to sealedSecrets.certOut so
// that later `homelab-dr seal --cert` runs seal for the key that decrypts. Written atomically (a reader
// never sees half a PEM) and proven by fingerprint against what the live controller serves.
// Not part of the dr-test and drill plans (steps/index.ts): a throwaway cluster's certificate must never
// replace production's in the repository.
import { existsSync, readFileSync } from 'node:fs';
import type { Step } from '../src/engine/types.js';
import { writeFileAtomic } from '../src/report/atomic-write.js';
import { servedCert, type FetchedCert } from '../src/secrets/cert-fetch.js';
import { certFingerprint, parseSealingCert } from '../src/secrets/seal.js';
import { errorMessage } from '../src/util/errors.js';
import type { RecoveryContext } from './context.js';
import { localCertUrl } from './sealed-secrets-controller.js';

function certOut(ctx: RecoveryContext): string {
  const out = ctx.config.sealedSecrets?.certOut;
  if (!out) throw new Error('sealedSecrets.certOut is not set');
  return out;
}

async function liveCert(ctx: RecoveryContext): Promise<FetchedCert> {
  const ss = ctx.config.sealedSecrets!;
  const { cert, tried } = await servedCert(await ctx.kube(), { namespace: ss.namespace, controllerName: ss.controllerName, localUrl: await localCertUrl(ctx) });
  if (!cert) throw new Error(`the controller serves no certificate (${tried.join('; ')})`);
  parseSealingCert(cert.pem, undefined, `the controller's certificate (${cert.from})`);
  return cert;
}

/** The file's certificate fingerprint, or why there is none. */
function fileFingerprint(path: string): { fingerprint?: string; problem?: string } {
  if (!existsSync(path)) return { problem: `${path} does not exist` };
  try {
    return { fingerprint: certFingerprint(readFileSync(path, 'utf8')) };
  } catch (err) {
    return { problem: `${path} holds no usable certificate: ${errorMessage(err)}` };
  }
}

const short = (fingerprint: string): string => `sha256 ${fingerprint.slice(0, 16)}…`;

export const publishCert: Step<RecoveryContext> = {
  id: 'publish-cert',
  title: 'Publish the new sealing certificate',
  needs: ['sealed-secrets-available'],
  destructive: false,
  uses: async () => [],
  plan: async (ctx) => [
    `write the certificate the controller serves to ${certOut(ctx)} (atomically), so later \`seal\` runs use the key that decrypts`,
    "verify: the file's certificate fingerprint equals the live controller's",
  ],
  verify: async (ctx) => {
    const path = certOut(ctx);
    const file = fileFingerprint(path);
    if (!file.fingerprint) return { ok: false, missing: [file.problem!] };
    const live = certFingerprint((await liveCert(ctx)).pem);
    if (file.fingerprint !== live) {
      return { ok: false, missing: [`${path} holds certificate ${short(file.fingerprint)}, the controller serves ${short(live)}: seal would use a key the controller does not have`] };
    }
    return { ok: true, missing: [], checked: [{ kind: 'Certificate', name: `${path} (${short(live)})` }] };
  },
  apply: async (ctx, ledger) => {
    const path = certOut(ctx);
    const existed = existsSync(path);
    const cert = await liveCert(ctx);
    await writeFileAtomic(path, cert.pem.endsWith('\n') ? cert.pem : `${cert.pem}\n`);
    ledger.record('Certificate', `${path} (${short(certFingerprint(cert.pem))}, ${cert.from})`, existed ? 'configured' : 'created');
  },
};
