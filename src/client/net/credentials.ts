/** The credentials a client tool sends: a Bearer key (what Cline sends) and/or Basic auth. Pure. */

export interface Credentials {
  readonly key: string | null;
  readonly basic: { readonly user: string; readonly password: string } | null;
}

export interface CredentialOptions {
  readonly key?: string;
  readonly user?: string;
  readonly password?: string;
}

/** Environment variables that keep secrets off the command line (and out of shell history and `ps`). */
export const KEY_ENV = 'SLM_COPILOT_API_KEY';
export const PASSWORD_ENV = 'SLM_COPILOT_PASSWORD';

export function credentialsFrom(
  options: CredentialOptions,
  env: Readonly<Record<string, string | undefined>>,
): Credentials {
  const key = options.key ?? env[KEY_ENV] ?? null;
  const password = options.password ?? env[PASSWORD_ENV];
  const basic =
    options.user !== undefined && password !== undefined ? { user: options.user, password } : null;
  return { key: key === '' ? null : key, basic };
}

export const bearerHeader = (key: string) => ({ Authorization: `Bearer ${key}` });
export const basicHeader = (user: string, password: string) => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

/** What inference requests use: the key when given (as Cline), else Basic auth; null when neither. */
export function authHeader(credentials: Credentials): Record<string, string> | null {
  if (credentials.key !== null) return bearerHeader(credentials.key);
  if (credentials.basic !== null) return basicHeader(credentials.basic.user, credentials.basic.password);
  return null;
}
