/**
 * The relay's configuration: the JSON file's schema and the defaults. The renderer (src/core/render/relayConfig.ts)
 * writes the file from the settings; the relay (src/appliance/relay/config.ts) reads it and fills what is missing
 * from the same defaults.
 */
import { KEY_NAME_HEADER } from './headers.ts';
import { RELAY_ADDRESS } from './layout.ts';
import { MODEL, REQUEST_BODY_LIMIT_MIB } from './model.ts';

/**
 * The model's readiness as the relay's /health says it (the body's "status"), the one type its readers share:
 *
 *   down     LocalAI refuses connections (or has not answered yet);
 *   loading  LocalAI answers, but the relay's one-token warm-up has not succeeded since it (re)started;
 *   ready    the warm-up succeeded and LocalAI has stayed reachable since.
 */
export type ReadinessState = 'down' | 'loading' | 'ready';

export const RELAY_CONFIG_PATH = '/etc/slm-copilot/relay.json';

/** The relay's own state directory (systemd StateDirectory=slm-copilot-relay, owned by the relay's user). */
export const RELAY_STATE_DIR = '/var/lib/slm-copilot-relay';
/** The learned prompt prefixes (system prompt, tools) the relay re-warms after an engine start; 0600, never logged. */
export const WARMUP_STORE_PATH = `${RELAY_STATE_DIR}/prefixes.json`;
/**
 * The API key names (never the keys) of AUTH_KEYS and the Basic auth principal, for the warmer to delete the stored
 * prefixes of a removed key. A file of its own, in no service's restart or reload list: a key change reloads nginx
 * only, and the running relay reads this file again at each warm-up pass and before each save.
 */
export const RELAY_KEY_NAMES_PATH = '/etc/slm-copilot/relay-key-names.json';

/**
 * The relay's /metrics gauge of how many prompt prefixes it keeps for re-warming (ONEAPP_COPILOT_API_WARMUP; 0 when
 * off), with one sample per stored prefix under WARMUP_PREFIX_TOKENS_METRIC: what `bench` reads to say whether
 * warm-up is on.
 */
export const WARMUP_LIMIT_METRIC = 'slm_copilot_warmup_prefixes_limit';
export const WARMUP_PREFIX_TOKENS_METRIC = 'slm_copilot_warmup_prefix_tokens';

/** The key names file's content (src/core/render/relayConfig.ts writes it; the relay's keyNames.ts reads it). */
export interface RelayKeyNamesFile {
  readonly version: 1;
  readonly keyNames: readonly string[];
}

/** Prefix learning and re-warming (ONEAPP_COPILOT_API_WARMUP): what the renderer writes into the file. */
export interface WarmupConfigFile {
  /** How many prefixes to keep; 0 turns learning off and deletes the store. */
  readonly prefixes: number;
  /** Tokens the kept prefixes may take in the engine's host cache (src/core/sizing/warmupBudget.ts). */
  readonly budgetTokens: number;
  readonly storePath: string;
  /** The key names file (RELAY_KEY_NAMES_PATH): entries of a name it does not list are deleted. */
  readonly keyNamesPath: string;
}

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
  /** Absent: no prefix learning, no re-warming (sandboxes, older files). */
  readonly warmup?: WarmupConfigFile;
  /** A OneFlow worker's: READY and the load go to OneGate (src/appliance/relay/workerPublisher.ts). */
  readonly worker?: WorkerPublicationFile;
}

export interface WorkerPublicationFile {
  readonly oneGate: { readonly endpoint: string; readonly vmId: string; readonly tokenFile: string };
  readonly publishPeriodMs: number;
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
  warmup: {
    /** A pass starts (and resumes) only after no completion has run for this long. */
    idleMs: 5_000,
    /** An entry no request used for this long is forgotten. */
    expiryMs: 30 * 24 * 3600 * 1000,
    /** The neutral user turn after a replayed prefix. */
    userTurn: 'Hi',
  },
} as const;
