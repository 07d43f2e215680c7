// GitLab project CI/CD variables (GET /api/v4/projects/:id/variables/:key, PRIVATE-TOKEN auth).
// Only the status and GitLab's own error message are ever reported; the body of a success holds the value.
import { SecretStoreError, type SecretStore } from './types.js';

export interface GitlabStoreSettings {
  url: string;
  project: string;
  tokenEnv: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

export function variableUrl(baseUrl: string, project: string, key: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return `${base}/api/v4/projects/${encodeURIComponent(project)}/variables/${encodeURIComponent(key)}`;
}

async function gitlabErrorMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { message?: unknown; error?: unknown };
    const message = body.message ?? body.error;
    return typeof message === 'string' ? message.slice(0, 200) : '';
  } catch {
    return '';
  }
}

function statusExplanation(status: number, settings: GitlabStoreSettings): string {
  if (status === 401) return `the token in $${settings.tokenEnv} was rejected (expired or revoked?)`;
  if (status === 403) return `the token in $${settings.tokenEnv} may not read CI/CD variables of project ${settings.project} (check the token's scope and the user's role)`;
  if (status === 404) return `no such variable in project ${settings.project} (or no such project)`;
  return 'unexpected response';
}

export function gitlabStore(name: string, settings: GitlabStoreSettings): SecretStore {
  return {
    name,
    type: 'gitlab',
    location: settings.url,
    async get(key: string): Promise<Buffer> {
      const token = settings.env[settings.tokenEnv];
      if (!token) throw new SecretStoreError(name, key, `environment variable ${settings.tokenEnv} (the GitLab token) is not set`);
      const url = variableUrl(settings.url, settings.project, key);
      let response: Response;
      try {
        response = await fetch(url, { headers: { 'PRIVATE-TOKEN': token }, signal: AbortSignal.timeout(settings.timeoutMs) });
      } catch (e) {
        const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : e instanceof Error ? e.message : String(e);
        throw new SecretStoreError(name, key, `cannot reach ${settings.url}: ${cause}`);
      }
      if (!response.ok) {
        const detail = await gitlabErrorMessage(response);
        throw new SecretStoreError(name, key, `HTTP ${response.status} from ${settings.url}: ${statusExplanation(response.status, settings)}${detail ? ` (GitLab says: ${detail})` : ''}`);
      }
      let variable: { value?: unknown };
      try {
        variable = (await response.json()) as { value?: unknown };
      } catch {
        throw new SecretStoreError(name, key, `${settings.url} answered HTTP ${response.status} with a body that is not JSON (is the url the GitLab root?)`);
      }
      if (typeof variable.value !== 'string') throw new SecretStoreError(name, key, `${settings.url} answered without a string "value" field`);
      return Buffer.from(variable.value, 'utf8');
    },
  };
}
