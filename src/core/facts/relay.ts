/**
 * The relay's configuration: the JSON file's schema and the defaults. The renderer (src/core/render/relayConfig.ts)
 * writes the file from the settings; the relay (src/appliance/relay/config.ts) reads it and fills what is missing
 * from the same defaults.
 */
import { KEY_NAME_HEADER } from './headers.ts';
import { RELAY_ADDRESS } from './layout.ts';
import { MODEL, REQUEST_BODY_LIMIT_MIB } from './model.ts';

export const RELAY_CONFIG_PATH = '/etc/slm-copilot/relay.json';

/** The relay's limits and timings, in the file and in the running relay alike. Times in milliseconds. */
export interface RelayLimits {
  /** Set by nginx (always overwriting) to the key's name; the relay counts usage under it, never forwards it. */
  readonly keyNameHeader: string;
  /** A stream with no upstream byte after this long gets SSE headers and keep-alive comments. */
  readonly graceMs: number;
  readonly keepAliveIntervalMs: number;
  /** End to end, queue included (ONEAPP_COPILOT_API_TIMEOUT). */
  readonly timeoutMs: number;
  /** Completions that may wait while one is served; more are refused with 429. */
  readonly queueLimit: number;
  readonly bodyLimitBytes: number;
}

/** What `slm-copilot relay --config FILE` reads (src/appliance/relay/config.ts validates it). */
export interface RelayConfigFile extends RelayLimits {
  readonly listen: { readonly host: string; readonly port: number };
  readonly upstream: {
    readonly url: string;
    /** File holding LocalAI's internal API key (only the relay and LocalAI know it); null sends none. */
    readonly apiKeyFile: string | null;
  };
  readonly readiness: { readonly pollIntervalMs: number; readonly warmupModel: string } | false;
}

export const RELAY_DEFAULTS = {
  host: RELAY_ADDRESS.host,
  port: RELAY_ADDRESS.port,
  keyNameHeader: KEY_NAME_HEADER,
  graceMs: 20_000,
  keepAliveIntervalMs: 15_000,
  timeoutMs: 1_800_000,
  queueLimit: 16,
  // nginx refuses larger bodies first (client_max_body_size); the relay's limit is a little above it, so nginx's
  // 413 is the one clients see.
  bodyLimitBytes: (REQUEST_BODY_LIMIT_MIB + 1) * 1024 * 1024,
  serverKeepAliveMs: 75_000,
  retryAfterSeconds: 5,
  readiness: { pollIntervalMs: 2_000, warmupModel: MODEL.id, probeTimeoutMs: 5_000 },
} as const;
