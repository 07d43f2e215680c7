import { SecretStoreError, type SecretStore } from './types.js';

/** Values from environment variables named prefix + key. */
export function envStore(name: string, env: NodeJS.ProcessEnv, prefix = ''): SecretStore {
  return {
    name,
    type: 'env',
    location: prefix ? `environment (variables ${prefix}*)` : 'environment',
    async get(key: string): Promise<Buffer> {
      const variable = prefix + key;
      const value = env[variable];
      if (value === undefined) throw new SecretStoreError(name, key, `environment variable ${variable} is not set`);
      return Buffer.from(value, 'utf8');
    },
  };
}
