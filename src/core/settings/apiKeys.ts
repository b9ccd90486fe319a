/** ONEAPP_COPILOT_AUTH_KEYS: comma-separated Bearer keys, each `name:key` or a bare key (named key1, key2, …). */
import { maskSecret, quote } from './mask.ts';
import { ok, type Parsed, refused } from './types.ts';

export interface ApiKey {
  readonly name: string;
  readonly key: string;
}

export const KEY_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;
export const MIN_KEY_LENGTH = 32;
/** nginx's map hash bucket (256 bytes) must hold "Bearer <key>". */
export const MAX_KEY_LENGTH = 128;
/** Besides the contract's spaces, commas, colons and quotes: what nginx's config syntax would interpret. */
const KEY_FORBIDDEN = /[\s,:"'`\\$;{}#]|[^\x21-\x7e]/;
const FIX = 'generate one with: echo "sk-$(openssl rand -hex 24)"';

/** '' means "no keys given": the appliance generates one and keeps it (null). */
export function parseApiKeys(text: string): Parsed<readonly ApiKey[] | null> {
  if (text.trim() === '') return ok(null);
  const problems: string[] = [];
  const keys: ApiKey[] = [];
  const entries = text.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    const position = `entry ${index + 1}`;
    if (entry === '') {
      problems.push(`${position} is empty; remove the extra comma.`);
      return;
    }
    const colon = entry.indexOf(':');
    const name = colon === -1 ? `key${index + 1}` : entry.slice(0, colon);
    const key = colon === -1 ? entry : entry.slice(colon + 1);
    if (colon !== -1 && !KEY_NAME_PATTERN.test(name)) {
      problems.push(
        `${position} has the name ${quote(name)}; a key name is 1 to 32 letters, digits, '.', '_' or '-'.`,
      );
    }
    const shown = colon === -1 ? maskSecret(key) : `${quote(name)}:${maskSecret(key)}`;
    if (key.length < MIN_KEY_LENGTH) {
      problems.push(
        `${position} (${shown}) is too short; a key needs at least ${MIN_KEY_LENGTH} characters — ${FIX}.`,
      );
    }
    if (key.length > MAX_KEY_LENGTH) {
      problems.push(`${position} (${shown}) is too long; a key has at most ${MAX_KEY_LENGTH} characters.`);
    }
    if (KEY_FORBIDDEN.test(key)) {
      problems.push(
        `${position} (${shown}) contains spaces, commas, colons, quotes or one of \\ $ ; { } # (or non-ASCII), which a key may not — ${FIX}.`,
      );
    }
    keys.push({ name, key });
  });
  for (const [index, entry] of keys.entries()) {
    const firstName = keys.findIndex((other) => other.name === entry.name);
    if (firstName !== index) {
      problems.push(
        `entries ${firstName + 1} and ${index + 1} share the name ${quote(entry.name)}; names must be unique.`,
      );
    }
    const firstKey = keys.findIndex((other) => other.key === entry.key);
    if (firstKey !== index) {
      problems.push(
        `entries ${firstKey + 1} and ${index + 1} are the same key; give every user a different key.`,
      );
    }
  }
  return problems.length > 0 ? refused(...problems) : ok(keys);
}
