/** Secrets the plan needs: from the context when given, else those generated earlier, else new ones. */
import type { ApiKey } from './apiKeys.ts';
import type { Settings } from './declarations.ts';

export interface Secrets {
  readonly apiKeys: readonly ApiKey[];
  readonly password: string;
  /** Salt of the Basic auth hash: kept, so the same password renders the same htpasswd line (no needless reload). */
  readonly passwordSalt: string;
  /** LocalAI's own API key: only the relay sends it, so nothing else on the VM can use LocalAI directly. */
  readonly localaiKey: string;
}

/** What the appliance keeps in its state directory between boots. */
export interface StoredSecrets {
  readonly generatedKey?: string;
  readonly generatedPassword?: string;
  readonly passwordSalt?: string;
  readonly localaiKey?: string;
}

export interface SecretGenerator {
  apiKey(): string;
  password(): string;
  salt(): string;
}

/**
 * Context values win; a generated value is reused while the context leaves the variable empty, so the key
 * a developer pasted into Cline survives reboots. Returns what to store for next time.
 */
export function resolveSecrets(
  settings: Pick<Settings, 'authKeys' | 'authPassword'>,
  stored: StoredSecrets,
  generate: SecretGenerator,
): { secrets: Secrets; store: StoredSecrets } {
  const generatedKey = stored.generatedKey ?? (settings.authKeys === null ? generate.apiKey() : undefined);
  const generatedPassword =
    stored.generatedPassword ?? (settings.authPassword === null ? generate.password() : undefined);
  const apiKeys = settings.authKeys ?? [{ name: 'default', key: generatedKey as string }];
  const password = settings.authPassword ?? (generatedPassword as string);
  const passwordSalt = stored.passwordSalt ?? generate.salt();
  const localaiKey = stored.localaiKey ?? generate.apiKey();
  const store: StoredSecrets = {
    ...(generatedKey === undefined ? {} : { generatedKey }),
    ...(generatedPassword === undefined ? {} : { generatedPassword }),
    passwordSalt,
    localaiKey,
  };
  return { secrets: { apiKeys, password, passwordSalt, localaiKey }, store };
}
