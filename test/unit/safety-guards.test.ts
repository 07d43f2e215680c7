import { describe, expect, it } from 'vitest';
import {
  assertContextMatchesProvider,
  assertKubeconfigIsProviderCluster,
  assertThrowawayNameDiffers,
  contextMatchesProvider,
  normalizeServer,
  throwawayNameDiffers,
} from '../../src/safety/guards.js';
import { InputError, RefusedError } from '../../src/util/errors.js';

describe('normalizeServer', () => {
  it('reduces an address to scheme, host and port, with default ports and one spelling of loopback', () => {
    expect(normalizeServer('https://127.0.0.1:6443')).toEqual({ scheme: 'https', host: 'loopback', port: 6443 });
    expect(normalizeServer('https://0.0.0.0:6443')).toEqual({ scheme: 'https', host: 'loopback', port: 6443 });
    expect(normalizeServer('https://[::1]:6443/')).toEqual({ scheme: 'https', host: 'loopback', port: 6443 });
    expect(normalizeServer('localhost:6443')).toEqual({ scheme: 'https', host: 'loopback', port: 6443 });
    expect(normalizeServer('https://API.Example.com')).toEqual({ scheme: 'https', host: 'api.example.com', port: 443 });
    expect(normalizeServer('http://10.0.0.5')).toEqual({ scheme: 'http', host: '10.0.0.5', port: 80 });
  });

  it('gives undefined for what is not an API server address', () => {
    expect(normalizeServer('')).toBeUndefined();
    expect(normalizeServer('ftp://host:21')).toBeUndefined();
    expect(normalizeServer('https://')).toBeUndefined();
  });
});

describe('contextMatchesProvider', () => {
  it('matches k3d kubeconfig spellings of the same published port', () => {
    expect(contextMatchesProvider('https://0.0.0.0:41123', 'https://127.0.0.1:41123')).toBe(true);
    expect(contextMatchesProvider('https://localhost:41123', 'https://127.0.0.1:41123/')).toBe(true);
    expect(contextMatchesProvider('https://nas.lan:6443', 'https://NAS.lan:6443')).toBe(true);
  });

  it('refuses another port, another host, another scheme, or an unreadable address', () => {
    expect(contextMatchesProvider('https://127.0.0.1:41123', 'https://127.0.0.1:41124')).toBe(false);
    expect(contextMatchesProvider('https://192.168.1.10:6443', 'https://127.0.0.1:6443')).toBe(false);
    expect(contextMatchesProvider('http://127.0.0.1:6443', 'https://127.0.0.1:6443')).toBe(false);
    expect(contextMatchesProvider('not a url at all', 'not a url at all')).toBe(false);
  });

  it('assert throws RefusedError (exit 3) naming both servers', () => {
    expect(() => assertContextMatchesProvider('https://127.0.0.1:1', 'https://127.0.0.1:1', 'homelab')).not.toThrow();
    const call = () => assertContextMatchesProvider('https://10.0.0.1:6443', 'https://127.0.0.1:6443', 'homelab');
    expect(call).toThrow(RefusedError);
    expect(call).toThrow(/homelab.*10\.0\.0\.1:6443.*127\.0\.0\.1:6443/);
  });
});

describe('throwawayNameDiffers', () => {
  it('is false for the production name, whatever the case or stray whitespace', () => {
    expect(throwawayNameDiffers('homelab', 'homelab')).toBe(false);
    expect(throwawayNameDiffers('homelab', ' HomeLab ')).toBe(false);
    expect(throwawayNameDiffers('homelab', 'homelab-drtest-2501010203')).toBe(true);
  });

  it('assert refuses with exit 3', () => {
    let caught: unknown;
    try {
      assertThrowawayNameDiffers('homelab', 'homelab', 'dr-test');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RefusedError);
    expect((caught as RefusedError).exitCode).toBe(3);
    expect(() => assertThrowawayNameDiffers('homelab', 'homelab-drtest-1', 'dr-test')).not.toThrow();
  });
});

describe('assertKubeconfigIsProviderCluster (called by hard-reset, dr-test and drill before anything is destroyed)', () => {
  const provider = (exists: boolean, server = 'https://0.0.0.0:40002') => ({ exists: async () => exists, apiServer: async () => server });

  it('passes when the run\'s kubeconfig names the provider\'s cluster, in any loopback spelling', async () => {
    await expect(assertKubeconfigIsProviderCluster(provider(true), 'homelab', async () => 'https://127.0.0.1:40002/')).resolves.toBeUndefined();
  });

  it('refuses (exit 3) when it names another server', async () => {
    const err = await assertKubeconfigIsProviderCluster(provider(true), 'homelab', async () => 'https://127.0.0.1:40003/').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).exitCode).toBe(3);
    expect((err as Error).message).toMatch(/^the kubeconfig does not point at cluster "homelab": its server is https:\/\/127.0.0.1:40003\/, the provider's is https:\/\/0.0.0.0:40002/);
  });

  it('does not ask a cluster that does not exist yet (a throwaway before its create)', async () => {
    let asked = false;
    await assertKubeconfigIsProviderCluster(provider(false), 'homelab-drtest', async () => { asked = true; return 'https://127.0.0.1:1'; });
    expect(asked).toBe(false);
  });

  it('passes a half-made or half-deleted cluster with no kubeconfig (a crash, then --resume), and nothing else', async () => {
    const noKubeconfig = async (): Promise<string> => { throw new InputError('no kwok cluster named homelab (no .../kubeconfig.yaml)'); };
    await expect(assertKubeconfigIsProviderCluster(provider(true), 'homelab', noKubeconfig)).resolves.toBeUndefined();
    const broken = async (): Promise<string> => { throw new Error('connection reset'); };
    await expect(assertKubeconfigIsProviderCluster(provider(true), 'homelab', broken)).rejects.toThrow('connection reset');
  });

  it('passes a half-made cluster whose provider record is missing too, whichever read fails first', async () => {
    // The kubeconfig's InputError comes late, the provider's record's ENOENT at once (a kwok cluster
    // killed mid-create: its kwokctl.yaml not written yet); the missing kubeconfig still decides.
    const noRecord = { exists: async () => true, apiServer: async (): Promise<string> => { throw Object.assign(new Error('ENOENT: no such file or directory, open \'.../kwokctl.yaml\''), { code: 'ENOENT' }); } };
    const lateNoKubeconfig = async (): Promise<string> => {
      await new Promise((r) => setTimeout(r, 20));
      throw new InputError('no kwok cluster named homelab (no .../kubeconfig.yaml)');
    };
    await expect(assertKubeconfigIsProviderCluster(noRecord, 'homelab', lateNoKubeconfig)).resolves.toBeUndefined();
    // With a kubeconfig in place, the provider's missing record is an error, not a pass.
    await expect(assertKubeconfigIsProviderCluster(noRecord, 'homelab', async () => 'https://127.0.0.1:1')).rejects.toThrow(/ENOENT/);
  });

  it('passes a provider that cannot be asked because its tool is missing (preflight names the tool)', async () => {
    const noTool = { exists: async (): Promise<boolean> => { throw new InputError('k3d is not installed (PATH=/usr/bin)'); }, apiServer: async () => 'https://127.0.0.1:1' };
    let asked = false;
    await expect(assertKubeconfigIsProviderCluster(noTool, 'homelab', async () => { asked = true; return 'https://127.0.0.1:2'; })).resolves.toBeUndefined();
    expect(asked).toBe(false);
  });
});
