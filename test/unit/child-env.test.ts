// A child process (kubectl, helm, kwokctl and the control plane it starts) inherits none of the secrets
// homelab-dr holds in its own environment: env-store variables and store tokens, by name from the
// config, and any variable whose value is a registered secret. Found by the leak scan (issue 8).
import { afterEach, describe, expect, it } from 'vitest';
import type { HomelabConfig } from '../../src/config/types.js';
import { run } from '../../src/util/exec.js';
import { childEnv, clearSecretsForTest, registerSecret, registerSecretVariable } from '../../src/util/secrets-registry.js';
import { createInputs, secretVariables } from '../../steps/inputs.js';

afterEach(() => clearSecretsForTest());

const config = {
  secretStores: {
    vault: { type: 'env', prefix: 'HDR_' },
    plain: { type: 'env' },
    lab: { type: 'gitlab', url: 'https://gitlab.example', project: 'me/homelab', tokenEnv: 'GITLAB_API_TOKEN' },
    helper: { type: 'exec', command: ['pass'], timeoutMs: 10_000 },
  },
  secrets: [
    { name: 'a', namespace: 'n', data: { token: { store: 'vault', key: 'TUNNEL_TOKEN' }, url: { value: 'https://x' } } },
    { name: 'b', namespace: 'n', data: { token: { store: 'plain', key: 'AGENT_TOKEN' }, other: { store: 'helper', key: 'NOT_A_VARIABLE' } } },
  ],
  sealedSecrets: { namespace: 'kube-system', controllerName: 'sealed-secrets-controller', controller: {}, keyBackup: { from: { store: 'vault', key: 'SEALING_KEY' } } },
} as unknown as HomelabConfig;

describe('childEnv', () => {
  it('drops registered variables and variables holding a registered value, keeps the rest', () => {
    registerSecretVariable('HDR_TUNNEL_TOKEN');
    registerSecret('exported-under-another-name');
    const env = { PATH: '/usr/bin', HOME: '/root', HDR_TUNNEL_TOKEN: 'v1', COPY: 'exported-under-another-name', SHORT: 'abc' };
    expect(childEnv(env)).toEqual({ PATH: '/usr/bin', HOME: '/root', SHORT: 'abc' });
  });

  it('the config names its secret variables: env stores (with prefix), key backup, gitlab tokens; not exec keys', () => {
    expect(secretVariables(config).sort()).toEqual(['AGENT_TOKEN', 'GITLAB_API_TOKEN', 'HDR_SEALING_KEY', 'HDR_TUNNEL_TOKEN']);
    createInputs(config);
    expect(Object.keys(childEnv({ PATH: '/bin', AGENT_TOKEN: 'x', HDR_TUNNEL_TOKEN: 'y', HDR_OTHER: 'z' }))).toEqual(['PATH', 'HDR_OTHER']);
  });

  it('run() hands a child homelab-dr environment without them, unless the caller passes env on purpose', async () => {
    const name = 'HDR_CHILD_ENV_TEST_TOKEN';
    process.env[name] = 'value-of-the-test-token';
    try {
      registerSecretVariable(name);
      const script = `printf %s "\${${name}-unset}"`;
      expect((await run('sh', ['-c', script])).stdout).toBe('unset');
      expect((await run('sh', ['-c', script], { env: process.env })).stdout).toBe('value-of-the-test-token');
    } finally {
      delete process.env[name];
    }
  });
});
