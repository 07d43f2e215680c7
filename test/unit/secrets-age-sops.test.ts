// The age and sops stores against the real binaries built by scripts/control-plane.sh.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/secrets/stores/index.js';
import { cachedBinary } from '../../src/util/binaries.js';

const SECRET = 'age-sops-secret-5d1e';
const age = cachedBinary('age', 'age');
const ageKeygen = cachedBinary('age', 'age-keygen');
const sops = cachedBinary('sops', 'sops');
const haveAge = existsSync(age) && existsSync(ageKeygen);
const haveSops = haveAge && existsSync(sops);
if (!haveAge) console.warn(`secrets-age-sops: age tests skipped, no age/age-keygen at ${age} (run: npm run control-plane)`);
if (!haveSops) console.warn(`secrets-age-sops: sops tests skipped, no sops at ${sops} or no age-keygen (run: npm run control-plane)`);

const PLAINTEXT: Record<string, string> = {
  'secrets.yaml': `token: ${SECRET}\nport: 8443\n`,
  'secrets.json': JSON.stringify({ token: SECRET, port: 8443 }),
  'secrets.env': `token=${SECRET}\nport=8443\n`,
};

let dir: string;
let identity: string;
let recipient: string;
const env = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: dir });

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof Error) return e;
  }
  throw new Error('expected a rejection');
}

function newIdentity(name: string): { path: string; recipient: string } {
  const path = join(dir, name);
  execFileSync(ageKeygen, ['-o', path], { stdio: 'pipe' });
  const publicKey = /# public key: (age1\w+)/.exec(readFileSync(path, 'utf8'))?.[1];
  if (!publicKey) throw new Error(`age-keygen wrote no public key comment to ${path}`);
  return { path, recipient: publicKey };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'age-sops-'));
  if (haveAge) ({ path: identity, recipient } = newIdentity('identity.txt'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!haveAge)('age store (real age)', () => {
  function encrypted(name: string, to = recipient): string {
    const path = join(dir, `${name}.age`);
    execFileSync(age, ['--encrypt', '--recipient', to, '--output', path], { input: PLAINTEXT[name] });
    return path;
  }

  it.each(Object.keys(PLAINTEXT))('decrypts %s.age in memory and reads its keys', async (name) => {
    const store = openStore('bootstrap', { type: 'age', path: encrypted(name), identity }, { tools: { age } });
    expect((await store.get('token')).toString()).toBe(SECRET);
    expect((await store.get('port')).toString()).toBe('8443');
    expect(store.location).toBe(join(dir, `${name}.age`));
  });

  it('names the file when the identity does not match, and prints no value', async () => {
    const other = newIdentity('other.txt');
    const path = encrypted('secrets.yaml', other.recipient);
    const error = await rejection(openStore('bootstrap', { type: 'age', path, identity }, { tools: { age } }).get('token'));
    expect(error.message).toMatch(new RegExp(`^secret store "bootstrap": cannot decrypt ${path}: .*no identity matched`, 's'));
    expect(error.message).not.toContain(SECRET);
  });

  it('names a missing key and refuses a loose identity file', async () => {
    const path = encrypted('secrets.yaml');
    const store = openStore('bootstrap', { type: 'age', path, identity }, { tools: { age } });
    expect((await rejection(store.get('nope'))).message).toBe(`secret store "bootstrap" key "nope": not found in ${path}; it holds 2 key(s): token, port`);
    const loose = newIdentity('loose.txt');
    chmodSync(loose.path, 0o644);
    const looseStore = openStore('bootstrap', { type: 'age', path, identity: loose.path }, { tools: { age } });
    expect((await rejection(looseStore.get('token'))).message).toMatch(/age identity .*loose\.txt is readable by group or others \(mode 0644\); fix it with: chmod 600/);
  });
});

describe.skipIf(!haveSops)('sops store (real sops, age keys)', () => {
  function sopsEncrypted(name: string): string {
    const path = join(dir, name.replace('secrets', 'secrets.sops'));
    writeFileSync(path, PLAINTEXT[name] as string, { mode: 0o600 });
    execFileSync(sops, ['--encrypt', '--age', recipient, '--in-place', path], { env: env(), stdio: 'pipe' });
    return path;
  }

  it.each(Object.keys(PLAINTEXT))('decrypts %s with SOPS_AGE_KEY_FILE and reads its keys', async (name) => {
    const path = sopsEncrypted(name);
    expect(readFileSync(path, 'utf8')).not.toContain(SECRET);
    const store = openStore('vault-file', { type: 'sops', path, ageKeyFile: identity }, { tools: { sops }, env: env() });
    expect((await store.get('token')).toString()).toBe(SECRET);
    expect((await store.get('port')).toString()).toBe('8443');
  });

  it('fails without a usable age key, naming the file and no value', async () => {
    const path = sopsEncrypted('secrets.yaml');
    const error = await rejection(openStore('vault-file', { type: 'sops', path }, { tools: { sops }, env: env() }).get('token'));
    expect(error.message).toMatch(new RegExp(`^secret store "vault-file": cannot decrypt ${path}: .*exit`, 's'));
    expect(error.message).not.toContain(SECRET);
  });

  it('does not expose the sops metadata as a key', async () => {
    const path = sopsEncrypted('secrets.yaml');
    const store = openStore('vault-file', { type: 'sops', path, ageKeyFile: identity }, { tools: { sops }, env: env() });
    expect((await rejection(store.get('sops'))).message).toMatch(/not found .*it holds 2 key\(s\): token, port/);
  });
});
