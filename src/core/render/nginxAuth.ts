/** The secret files nginx reads for auth: the Bearer key map (root-only) and the Basic auth user file. */
import type { ApiKey } from '../settings/apiKeys.ts';

/** Lines for `map $http_authorization $slm_key_name { include …; }`. Keys hold no character nginx interprets. */
export function renderApiKeyMap(keys: readonly ApiKey[]): string {
  return `${keys.map(({ name, key }) => `"Bearer ${key}" "${name}";`).join('\n')}\n`;
}
