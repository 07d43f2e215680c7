// --insecure-file-perms is a command-line flag, not a config key: it must travel from parseCli through
// loadForCommand into the stores every step and `seal --secret` read. A 0644 file store is refused
// without it (with a hint naming the real flag) and read with it.
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseCli } from '../../src/cli/args.js';
import { loadForCommand } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { makeSealingKey } from '../fixtures/secrets/sealing-keys.js';

const VALUES = {
  CF_TUNNEL_TOKEN: 'loose-perms-canary-1',
  GITLAB_AGENT_TOKEN: 'loose-perms-canary-2',
  ARGOCD_REPO_TOKEN: 'loose-perms-canary-3',
};
const EXEC_STORE = '  demo:\n    type: exec\n    command: ["./secrets/demo-store.sh"]\n';
const FILE_STORE = '  demo:\n    type: file\n    path: ./secrets/values.yaml\n';

let dir: string;
let config: string;
let valuesFile: string;
let certPath: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'insecure-file-perms-'));
  const home = join(dir, 'homelab');
  cpSync(resolve('config/example'), home, { recursive: true });
  config = join(home, 'homelab.yaml');
  const text = readFileSync(config, 'utf8');
  if (!text.includes(EXEC_STORE)) throw new Error('the bundled example no longer declares the demo exec store this test rewrites');
  writeFileSync(config, text.replace(EXEC_STORE, FILE_STORE));
  valuesFile = join(home, 'secrets', 'values.yaml');
  writeFileSync(valuesFile, Object.entries(VALUES).map(([k, v]) => `${k}: ${v}\n`).join(''));
  chmodSync(valuesFile, 0o644); // readable by group and others: refused unless the flag says otherwise
  certPath = join(dir, 'cert.pem');
  writeFileSync(certPath, makeSealingKey().certPem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await main(argv), out, err };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('--insecure-file-perms reaches the stores', () => {
  it('the run steps: without the flag a 0644 file store is refused with a hint naming the flag', async () => {
    const { ctx } = await loadForCommand(parseCli(['dr-test', '-c', config]), 'dr-test');
    const { values, missing } = await ctx.inputs.values();
    expect(values.size).toBe(0);
    expect(missing.map((m) => m.key).sort()).toEqual(Object.keys(VALUES).sort());
    for (const m of missing) {
      expect(m.reason).toContain(`secrets file ${valuesFile} is readable by group or others (mode 0644)`);
      expect(m.reason).toContain(`fix it with: chmod 600 ${valuesFile} (or pass --insecure-file-perms to accept it)`);
      expect(m.reason).not.toContain('set insecureFilePerms');
    }
  });

  it('the run steps: with the flag the same file is read', async () => {
    const { ctx } = await loadForCommand(parseCli(['dr-test', '-c', config, '--insecure-file-perms']), 'dr-test');
    const { values, missing } = await ctx.inputs.values();
    expect(missing).toEqual([]);
    for (const [key, value] of Object.entries(VALUES)) expect(values.get(`demo/${key}`)?.toString()).toBe(value);
  });

  it('seal --secret: refused without the flag (exit 2, no value), sealed with it', async () => {
    const args = ['seal', '-c', config, '--secret', 'networking/cloudflared-token', '--cert', certPath];
    const refused = await cli(...args);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('networking/cloudflared-token data.token: store demo key CF_TUNNEL_TOKEN');
    expect(refused.err).toContain('(or pass --insecure-file-perms to accept it)');
    expect(refused.out).toBe('');

    const sealed = await cli(...args, '--insecure-file-perms');
    expect(sealed.err).toBe('');
    expect(sealed.code).toBe(0);
    expect(sealed.out).toContain('kind: SealedSecret');
    expect(sealed.out).toMatch(/encryptedData:\n\s+token: \S+/);
    for (const value of Object.values(VALUES)) expect(sealed.out + sealed.err).not.toContain(value);
  });
});
