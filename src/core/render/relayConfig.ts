/** The relay's JSON configuration (/etc/slm-copilot/relay.json), from the settings. Pure. */
import { LOCALAI_ADDRESS, RELAY_ADDRESS } from '../facts/layout.ts';
import {
  RELAY_DEFAULTS,
  RELAY_KEY_NAMES_PATH,
  type RelayConfigFile,
  type RelayKeyNamesFile,
  WARMUP_STORE_PATH,
} from '../facts/relay.ts';
import type { Settings } from '../settings/declarations.ts';

export { RELAY_CONFIG_PATH, RELAY_KEY_NAMES_PATH, type RelayConfigFile } from '../facts/relay.ts';

export interface RelayConfigInput {
  readonly settings: Pick<
    Settings,
    'apiTimeout' | 'apiStreamGrace' | 'apiKeepAliveInterval' | 'apiQueueLimit'
  >;
  readonly upstreamKeyFile: string | null;
  readonly listen?: { readonly host: string; readonly port: number };
  readonly upstream?: { readonly host: string; readonly port: number };
  readonly keyNameHeader?: string;
  /** Prefix learning and re-warming; absent leaves it off. */
  readonly warmup?: {
    /** ONEAPP_COPILOT_API_WARMUP. */
    readonly prefixes: number;
    /** src/core/sizing/warmupBudget.ts. */
    readonly budgetTokens: number;
    readonly storePath?: string;
    /** The key names file; its content is renderRelayKeyNames's, never in this file (a key change must not restart the relay). */
    readonly keyNamesPath?: string;
  };
}

export function relayConfigFile(input: RelayConfigInput): RelayConfigFile {
  const listen = input.listen ?? RELAY_ADDRESS;
  const upstream = input.upstream ?? LOCALAI_ADDRESS;
  return {
    listen: { host: listen.host, port: listen.port },
    upstream: { url: `http://${upstream.host}:${upstream.port}`, apiKeyFile: input.upstreamKeyFile },
    keyNameHeader: input.keyNameHeader ?? RELAY_DEFAULTS.keyNameHeader,
    graceMs: input.settings.apiStreamGrace * 1000,
    keepAliveIntervalMs: input.settings.apiKeepAliveInterval * 1000,
    timeoutMs: input.settings.apiTimeout * 1000,
    queueLimit: input.settings.apiQueueLimit,
    bodyLimitBytes: RELAY_DEFAULTS.bodyLimitBytes,
    readiness: {
      pollIntervalMs: RELAY_DEFAULTS.readiness.pollIntervalMs,
      warmupModel: RELAY_DEFAULTS.readiness.warmupModel,
    },
    ...(input.warmup === undefined
      ? {}
      : {
          warmup: {
            prefixes: input.warmup.prefixes,
            budgetTokens: input.warmup.budgetTokens,
            storePath: input.warmup.storePath ?? WARMUP_STORE_PATH,
            keyNamesPath: input.warmup.keyNamesPath ?? RELAY_KEY_NAMES_PATH,
          },
        }),
  };
}

export function renderRelayConfig(file: RelayConfigFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** The key names file (RELAY_KEY_NAMES_PATH): names only, deduplicated and sorted, never a key. */
export function relayKeyNamesFile(keyNames: readonly string[]): RelayKeyNamesFile {
  return { version: 1, keyNames: [...new Set(keyNames)].sort() };
}

export function renderRelayKeyNames(keyNames: readonly string[]): string {
  return `${JSON.stringify(relayKeyNamesFile(keyNames), null, 2)}\n`;
}
