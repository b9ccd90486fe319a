/** Valid settings for plan and render tests, built through the real loader. */

import type { Settings } from '../../src/core/settings/declarations.ts';
import { loadSettings } from '../../src/core/settings/load.ts';

export function settingsFrom(values: Record<string, string> = {}): Settings {
  const result = loadSettings(new Map(Object.entries(values)), { now: new Date() });
  if (!result.ok) throw new Error(`test settings refused: ${JSON.stringify(result.problems)}`);
  return result.settings;
}

export const TEST_SECRETS = {
  apiKeys: [{ name: 'default', key: 'sk-test-0000000000000000000000000000000000' }],
  password: 'test-password-123456',
  passwordSalt: 'testsalt',
  localaiKey: 'sk-localai-internal-000000000000000000000000',
};
