import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAll, refKey } from '../../src/secrets/read-all.js';
import { openStore, openStores, SecretStoreError, type SecretStore } from '../../src/secrets/stores/index.js';
import { formatForPath, parseDotenv } from '../../src/secrets/stores/parse.js';

const SECRET = 's3cr3t-value-91c2';
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'secret-stores-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writePrivate(name: string, text: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof Error) return e;
    throw new Error(`non-Error rejection: ${String(e)}`);
  }
  throw new Error('expected a rejection');
}

describe('env store', () => {
  const env = { APP_DB_PASSWORD: SECRET, EMPTY: '' };

  it('reads prefix + key', async () => {
    const store = openStore('local', { type: 'env', prefix: 'APP_' }, { env });
    expect((await store.get('DB_PASSWORD')).toString()).toBe(SECRET);
    expect(store.location).toBe('environment (variables APP_*)');
  });

  it('names the variable when it is unset, and treats an empty value as missing', async () => {
    const store = openStore('local', { type: 'env' }, { env });
    const unset = await rejection(store.get('NOPE'));
    expect(unset).toBeInstanceOf(SecretStoreError);
    expect(unset.message).toBe('secret store "local" key "NOPE": environment variable NOPE is not set');
    expect((await rejection(store.get('EMPTY'))).message).toMatch(/key "EMPTY": the value is empty/);
  });
});

describe('file store', () => {
  it.each([
    ['values.yaml', `db: ${SECRET}\nport: 5432\nmultiline: |\n  line one\n  line two\n`],
    ['values.json', JSON.stringify({ db: SECRET, port: 5432, multiline: 'line one\nline two\n' })],
    ['values.env', `# comment\nexport db=${SECRET}\nport=5432 # inline comment\nmultiline="line one\\nline two\\n"\n`],
  ])('reads %s by its extension', async (name, text) => {
    const path = writePrivate(name, text);
    const store = openStore('vault-file', { type: 'file', path });
    expect((await store.get('db')).toString()).toBe(SECRET);
    expect((await store.get('port')).toString()).toBe('5432');
    expect((await store.get('multiline')).toString()).toBe('line one\nline two\n');
    expect(store.location).toBe(path);
  });

  it('refuses a file readable by group or others, naming path, mode and the fix', async () => {
    const path = writePrivate('loose.yaml', `db: ${SECRET}\n`, 0o640);
    const error = await rejection(openStore('vault-file', { type: 'file', path }).get('db'));
    expect(error.message).toBe(
      `secret store "vault-file": secrets file ${path} is readable by group or others (mode 0640); ` +
        `fix it with: chmod 600 ${path} (or pass --insecure-file-perms to accept it)`,
    );
    const accepted = openStore('vault-file', { type: 'file', path }, { insecureFilePerms: true });
    expect((await accepted.get('db')).toString()).toBe(SECRET);
  });

  it('names the missing key and the keys it does hold, without any value', async () => {
    const path = writePrivate('some.yaml', `alpha: ${SECRET}\nbeta: other\n`);
    const error = await rejection(openStore('vault-file', { type: 'file', path }).get('gamma'));
    expect(error.message).toBe(`secret store "vault-file" key "gamma": not found in ${path}; it holds 2 key(s): alpha, beta`);
    expect(error.message).not.toContain(SECRET);
  });

  it('refuses nested and null values by their shape', async () => {
    const path = writePrivate('nested.yaml', `nested: { inner: ${SECRET} }\nlist: [${SECRET}]\nnothing: null\n`);
    const store = openStore('vault-file', { type: 'file', path });
    expect((await rejection(store.get('nested'))).message).toMatch(/"nested": is a mapping, not a string value$/);
    expect((await rejection(store.get('list'))).message).toMatch(/is a list/);
    expect((await rejection(store.get('nothing'))).message).toMatch(/is null/);
  });

  it('reports a parse error by line, never quoting the secret text around it', async () => {
    const yamlPath = writePrivate('broken.yaml', `ok: 1\nbad: ${SECRET}: more\n`);
    const yamlError = await rejection(openStore('f', { type: 'file', path: yamlPath }).get('ok'));
    expect(yamlError.message).toMatch(/not valid YAML at line 2/);
    expect(yamlError.message).not.toContain(SECRET);
    const jsonPath = writePrivate('broken.json', `{"a": ${SECRET}}`);
    const jsonError = await rejection(openStore('f', { type: 'file', path: jsonPath }).get('a'));
    expect(jsonError.message).toBe(`secret store "f": ${jsonPath}: not valid JSON`);
    const envPath = writePrivate('broken.env', `A=1\n${SECRET}\n`);
    expect((await rejection(openStore('f', { type: 'file', path: envPath }).get('A'))).message).toBe(
      `secret store "f": ${envPath}: line 2 is not KEY=value`,
    );
  });

  it('names a file that does not exist', async () => {
    const error = await rejection(openStore('f', { type: 'file', path: join(dir, 'absent.yaml') }).get('a'));
    expect(error.message).toMatch(/cannot read secrets file .*absent\.yaml: no such file/);
  });
});

describe('parsing helpers', () => {
  it('picks the format from the extension, looking through .age', () => {
    expect(formatForPath('/x/secrets.json.age')).toBe('json');
    expect(formatForPath('/x/secrets.env')).toBe('dotenv');
    expect(formatForPath('/x/.env')).toBe('dotenv');
    expect(formatForPath('/x/secrets.yaml.age')).toBe('yaml');
    expect(formatForPath('/x/secrets.age')).toBe('yaml');
  });

  it('keeps single-quoted dotenv values literal and unescapes double-quoted ones', () => {
    const parsed = parseDotenv(`A='x\\ny # not a comment'\nB="q\\"uote"\nC=plain # comment\n`);
    expect(parsed.get('A')).toBe('x\\ny # not a comment');
    expect(parsed.get('B')).toBe('q"uote');
    expect(parsed.get('C')).toBe('plain');
  });
});

describe('exec store', () => {
  const script = (body: string): string[] => ['sh', '-c', body, 'helper'];

  it('returns stdout with one trailing newline trimmed, passing the key as the last argument', async () => {
    const store = openStore('pass', { type: 'exec', command: script('printf "%s-value\\n\\n" "$1"'), timeoutMs: 5000 });
    expect((await store.get('db')).toString()).toBe('db-value\n');
  });

  it('substitutes {key} where the command names it', async () => {
    const store = openStore('pass', { type: 'exec', command: ['sh', '-c', 'printf "%s" "$1"', 'helper', 'homelab/{key}'], timeoutMs: 5000 });
    expect((await store.get('db')).toString()).toBe('homelab/db');
  });

  it('fails on a non-zero exit with the status and stderr but not stdout', async () => {
    const store = openStore('pass', { type: 'exec', command: script(`echo ${SECRET}; echo "entry not found" >&2; exit 3`), timeoutMs: 5000 });
    const error = await rejection(store.get('db'));
    expect(error).toBeInstanceOf(SecretStoreError);
    expect(error.message).toMatch(/^secret store "pass" key "db": .*exit 3\nentry not found$/s);
    expect(error.message.replace(`echo ${SECRET}`, '')).not.toContain(SECRET);
  });

  it('kills a helper that hangs and says it timed out', async () => {
    const store = openStore('slow', { type: 'exec', command: script('sleep 5; echo late'), timeoutMs: 300 });
    const started = Date.now();
    const error = await rejection(store.get('db'));
    expect(error.message).toMatch(/timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('treats empty output as a missing value', async () => {
    const store = openStore('pass', { type: 'exec', command: script('echo'), timeoutMs: 5000 });
    expect((await rejection(store.get('db'))).message).toMatch(/the value is empty/);
  });
});

describe('gitlab store', () => {
  const TOKEN = 'glpat-test-token-abc';
  const requests: Array<{ url: string; token: string | undefined }> = [];
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push({ url: req.url ?? '', token: req.headers['private-token'] as string | undefined });
      res.setHeader('content-type', 'application/json');
      if (req.headers['private-token'] !== TOKEN) {
        res.statusCode = 401;
        res.end(JSON.stringify({ message: '401 Unauthorized' }));
      } else if (req.url === '/gitlab/api/v4/projects/me%2Fhomelab/variables/CF_TUNNEL_TOKEN') {
        res.end(JSON.stringify({ key: 'CF_TUNNEL_TOKEN', value: SECRET, variable_type: 'env_var' }));
      } else {
        res.statusCode = 404;
        res.end(JSON.stringify({ message: '404 Variable Not Found' }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gitlab/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const open = (env: NodeJS.ProcessEnv): SecretStore =>
    openStore('gitlab', { type: 'gitlab', url: baseUrl, project: 'me/homelab', tokenEnv: 'GITLAB_TOKEN' }, { env });

  it('reads a project variable with PRIVATE-TOKEN, url-encoding the project path', async () => {
    const value = await open({ GITLAB_TOKEN: TOKEN }).get('CF_TUNNEL_TOKEN');
    expect(value.toString()).toBe(SECRET);
    expect(requests.at(-1)).toEqual({ url: '/gitlab/api/v4/projects/me%2Fhomelab/variables/CF_TUNNEL_TOKEN', token: TOKEN });
  });

  it('names a missing variable with GitLab\'s message', async () => {
    const error = await rejection(open({ GITLAB_TOKEN: TOKEN }).get('NOPE'));
    expect(error.message).toMatch(/^secret store "gitlab" key "NOPE": HTTP 404 from .*no such variable in project me\/homelab.*404 Variable Not Found/);
  });

  it('explains a rejected token without printing it', async () => {
    const error = await rejection(open({ GITLAB_TOKEN: 'wrong-token-xyz' }).get('CF_TUNNEL_TOKEN'));
    expect(error.message).toMatch(/HTTP 401 .*token in \$GITLAB_TOKEN was rejected/);
    expect(error.message).not.toContain('wrong-token-xyz');
  });

  it('names the unset token variable without calling GitLab', async () => {
    const before = requests.length;
    expect((await rejection(open({}).get('CF_TUNNEL_TOKEN'))).message).toMatch(/environment variable GITLAB_TOKEN \(the GitLab token\) is not set/);
    expect(requests.length).toBe(before);
  });

  it('says when GitLab cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const store = openStore('gitlab', { type: 'gitlab', url, project: '1', tokenEnv: 'T' }, { env: { T: TOKEN } });
    expect((await rejection(store.get('A'))).message).toBe(`secret store "gitlab" key "A": cannot reach ${url}: connect ECONNREFUSED ${url.slice(7)}`);
  });
});

describe('readAll', () => {
  it('returns every value it found and every missing one with its reason', async () => {
    const path = writePrivate('all.yaml', `A: ${SECRET}\nB: two\n`);
    const stores = openStores({ vault: { type: 'file', path }, local: { type: 'env' } }, { env: { C: 'three' } });
    const refs = [
      { store: 'vault', key: 'A' },
      { store: 'vault', key: 'A' },
      { store: 'vault', key: 'B' },
      { store: 'vault', key: 'Z' },
      { store: 'local', key: 'C' },
      { store: 'local', key: 'D' },
      { store: 'gitlab', key: 'E' },
    ];
    const { values, missing } = await readAll(stores, refs);
    expect([...values.keys()].sort()).toEqual(['local/C', 'vault/A', 'vault/B']);
    expect(values.get(refKey({ store: 'vault', key: 'A' }))?.toString()).toBe(SECRET);
    expect(missing.map((m) => `${m.store}/${m.key}`).sort()).toEqual(['gitlab/E', 'local/D', 'vault/Z']);
    expect(missing.find((m) => m.store === 'gitlab')?.reason).toBe('no secret store named "gitlab" is configured (configured: vault, local)');
    for (const m of missing) expect(m.reason).not.toContain(SECRET);
  });
});
