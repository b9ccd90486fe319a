/** Generated secrets kept across boots in the state directory (root-only JSON), and how new ones are made. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretGenerator, StoredSecrets } from '../../core/settings/secrets.ts';
import { writeAtomically } from './files.ts';

export const SECRETS_FILE = 'secrets.json';

const SALT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export const randomSecrets: SecretGenerator = {
  apiKey: () => `sk-${randomBytes(24).toString('hex')}`,
  password: () => randomBytes(18).toString('base64url'),
  salt: () => [...randomBytes(16)].map((byte) => SALT_ALPHABET[byte % SALT_ALPHABET.length]).join(''),
};

export function readStoredSecrets(stateDir: string): StoredSecrets {
  const path = join(stateDir, SECRETS_FILE);
  if (!existsSync(path)) return {};
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`${path} does not hold a JSON object`);
  const record = parsed as Record<string, unknown>;
  const text = (name: string) => (typeof record[name] === 'string' ? { [name]: record[name] as string } : {});
  return {
    ...text('generatedKey'),
    ...text('generatedPassword'),
    ...text('passwordSalt'),
    ...text('localaiKey'),
  };
}

/** Writes only when something changed, so a second boot writes nothing. */
export function storeSecrets(stateDir: string, secrets: StoredSecrets): void {
  const current = readStoredSecrets(stateDir);
  if (JSON.stringify(current) === JSON.stringify(secrets)) return;
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeAtomically(join(stateDir, SECRETS_FILE), `${JSON.stringify(secrets, null, 2)}\n`, 0o600);
}
