/**
 * The relay's configuration: validation, and options from the JSON file (src/core/render/relayConfig.ts writes it;
 * its schema and defaults are src/core/facts/relay.ts).
 */
import { RELAY_DEFAULTS, type RelayConfigFile, type RelayLimits } from '../../core/facts/relay.ts';

export interface ReadinessOptions {
  /** How often /readyz is probed. */
  readonly pollIntervalMs: number;
  /** The model the one-token warm-up asks for. */
  readonly warmupModel: string;
  /** A probe that takes longer counts as unreachable (probes only; completions have no socket timeout). */
  readonly probeTimeoutMs: number;
}

/** Prompt-prefix learning and re-warming (warmup.ts). */
export interface WarmupOptions {
  /** How many prefixes to keep; 0: off, and the store is deleted. */
  readonly prefixes: number;
  readonly budgetTokens: number;
  readonly storePath: string;
  /**
   * The key names file (keyNames.ts): entries of names it does not list are deleted. Read at start, at each pass and
   * before each save; missing or invalid keeps what is stored.
   */
  readonly keyNamesPath: string;
  /** A pass starts or resumes only after no completion has run for this long. */
  readonly idleMs: number;
  readonly expiryMs: number;
  /** The neutral user turn after a replayed prefix. */
  readonly userTurn: string;
  /** Changes reach the disk this long after they happen (and at shutdown). */
  readonly saveDelayMs: number;
}

export interface RelayConfig extends RelayLimits {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** LocalAI's base URL, e.g. http://127.0.0.1:8080 (http only: it is on loopback). */
  readonly upstreamUrl: string;
  /** The internal LocalAI key, sent as `Authorization: Bearer`; null sends none. */
  readonly upstreamKey: string | null;
  /** Longer than nginx's upstream keepalive_timeout (60 s), so nginx never reuses a connection the relay closed. */
  readonly serverKeepAliveMs: number;
  /** Seconds a client is told to wait after a 429. */
  readonly retryAfterSeconds: number;
  /** false: no probing, no warm-up; /health always says ready (tests, upstreams that need no warm-up). */
  readonly readiness: ReadinessOptions | false;
  /** null: no prefix learning, no re-warm pass. */
  readonly warmup: WarmupOptions | null;
  /** One line per event; never content, never a key. */
  readonly log: (line: string) => void;
  /** Milliseconds, monotonic. */
  readonly now: () => number;
}

export type RelayOptions = Partial<Omit<RelayConfig, 'readiness' | 'warmup'>> & {
  readonly upstreamUrl: string;
  readonly readiness?: Partial<ReadinessOptions> | false;
  readonly warmup?:
    | (Partial<WarmupOptions> &
        Pick<WarmupOptions, 'prefixes' | 'budgetTokens' | 'storePath' | 'keyNamesPath'>)
    | null;
};

export { RELAY_DEFAULTS };

export function resolveRelayConfig(options: RelayOptions): RelayConfig {
  const url = new URL(options.upstreamUrl);
  if (url.protocol !== 'http:')
    throw new Error(`relay: upstream ${options.upstreamUrl} must be an http:// URL`);
  const config: RelayConfig = {
    host: options.host ?? RELAY_DEFAULTS.host,
    port: options.port ?? RELAY_DEFAULTS.port,
    upstreamUrl: options.upstreamUrl.replace(/\/+$/, ''),
    upstreamKey: options.upstreamKey ?? null,
    keyNameHeader: options.keyNameHeader ?? RELAY_DEFAULTS.keyNameHeader,
    graceMs: options.graceMs ?? RELAY_DEFAULTS.graceMs,
    keepAliveIntervalMs: options.keepAliveIntervalMs ?? RELAY_DEFAULTS.keepAliveIntervalMs,
    timeoutMs: options.timeoutMs ?? RELAY_DEFAULTS.timeoutMs,
    queueLimit: options.queueLimit ?? RELAY_DEFAULTS.queueLimit,
    bodyLimitBytes: options.bodyLimitBytes ?? RELAY_DEFAULTS.bodyLimitBytes,
    serverKeepAliveMs: options.serverKeepAliveMs ?? RELAY_DEFAULTS.serverKeepAliveMs,
    retryAfterSeconds: options.retryAfterSeconds ?? RELAY_DEFAULTS.retryAfterSeconds,
    readiness:
      options.readiness === false ? false : { ...RELAY_DEFAULTS.readiness, ...(options.readiness ?? {}) },
    warmup:
      options.warmup === undefined || options.warmup === null
        ? null
        : {
            idleMs: RELAY_DEFAULTS.warmup.idleMs,
            expiryMs: RELAY_DEFAULTS.warmup.expiryMs,
            userTurn: RELAY_DEFAULTS.warmup.userTurn,
            saveDelayMs: 1_000,
            ...options.warmup,
          },
    log: options.log ?? ((line) => process.stdout.write(`${line}\n`)),
    now: options.now ?? (() => performance.now()),
  };
  const problems = configProblems(config);
  if (problems.length > 0) throw new Error(`relay: invalid configuration: ${problems.join('; ')}`);
  return config;
}

function configProblems(config: RelayConfig): string[] {
  const problems: string[] = [];
  const positive = (name: string, value: number, min = 1) => {
    if (!Number.isInteger(value) || value < min)
      problems.push(`${name} must be an integer ≥ ${min} (got ${value})`);
  };
  positive('port', config.port, 0);
  if (config.port > 65_535) problems.push(`port must be at most 65535 (got ${config.port})`);
  positive('graceMs', config.graceMs, 0);
  positive('keepAliveIntervalMs', config.keepAliveIntervalMs);
  positive('timeoutMs', config.timeoutMs);
  positive('queueLimit', config.queueLimit, 0);
  positive('bodyLimitBytes', config.bodyLimitBytes);
  positive('serverKeepAliveMs', config.serverKeepAliveMs);
  positive('retryAfterSeconds', config.retryAfterSeconds);
  if (!/^[A-Za-z0-9-]+$/.test(config.keyNameHeader)) problems.push('keyNameHeader must be a header name');
  if (config.upstreamKey !== null && !/^[\x21-\x7e]+$/.test(config.upstreamKey))
    problems.push('the upstream key must be printable ASCII without spaces');
  if (config.readiness !== false) {
    positive('readiness.pollIntervalMs', config.readiness.pollIntervalMs);
    positive('readiness.probeTimeoutMs', config.readiness.probeTimeoutMs);
    if (config.readiness.warmupModel === '') problems.push('readiness.warmupModel must not be empty');
  }
  if (config.warmup !== null) {
    positive('warmup.prefixes', config.warmup.prefixes, 0);
    positive('warmup.budgetTokens', config.warmup.budgetTokens, 0);
    positive('warmup.idleMs', config.warmup.idleMs, 0);
    positive('warmup.expiryMs', config.warmup.expiryMs);
    positive('warmup.saveDelayMs', config.warmup.saveDelayMs, 0);
    if (!config.warmup.storePath.startsWith('/')) problems.push('warmup.storePath must be an absolute path');
    if (!config.warmup.keyNamesPath.startsWith('/'))
      problems.push('warmup.keyNamesPath must be an absolute path');
  }
  return problems;
}

/**
 * Options from the parsed JSON file. `readFile` reads the key file (so this stays testable); a key given
 * inline (`upstream.apiKey`, for sandboxes) wins over the file.
 */
export function relayOptionsFromFile(json: unknown, readFile: (path: string) => string): RelayOptions {
  if (typeof json !== 'object' || json === null)
    throw new Error('relay: the configuration is not a JSON object');
  const file = json as Partial<RelayConfigFile> & { upstream?: { apiKey?: string } };
  if (typeof file.upstream?.url !== 'string') throw new Error('relay: the configuration has no upstream.url');
  const keyFile = file.upstream.apiKeyFile;
  const upstreamKey =
    file.upstream.apiKey ?? (typeof keyFile === 'string' && keyFile !== '' ? readFile(keyFile).trim() : null);
  const number = (value: unknown, name: string): number | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'number') throw new Error(`relay: ${name} must be a number`);
    return value;
  };
  const defined = <T extends object>(object: T) =>
    Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as {
      [K in keyof T]: Exclude<T[K], undefined>;
    };
  const readiness = file.readiness;
  const warmup = file.warmup;
  if (
    warmup !== undefined &&
    (typeof warmup !== 'object' || warmup === null || typeof warmup.keyNamesPath !== 'string')
  )
    throw new Error('relay: warmup must be an object with keyNamesPath');
  return {
    upstreamUrl: file.upstream.url,
    upstreamKey,
    ...defined({
      host: file.listen?.host,
      port: number(file.listen?.port, 'listen.port'),
      keyNameHeader: file.keyNameHeader,
      graceMs: number(file.graceMs, 'graceMs'),
      keepAliveIntervalMs: number(file.keepAliveIntervalMs, 'keepAliveIntervalMs'),
      timeoutMs: number(file.timeoutMs, 'timeoutMs'),
      queueLimit: number(file.queueLimit, 'queueLimit'),
      bodyLimitBytes: number(file.bodyLimitBytes, 'bodyLimitBytes'),
    }),
    ...(readiness === undefined
      ? {}
      : {
          readiness:
            readiness === false
              ? false
              : defined({
                  pollIntervalMs: number(readiness.pollIntervalMs, 'readiness.pollIntervalMs'),
                  warmupModel: readiness.warmupModel,
                }),
        }),
    ...(warmup === undefined
      ? {}
      : {
          warmup: {
            prefixes: number(warmup.prefixes, 'warmup.prefixes') ?? 0,
            budgetTokens: number(warmup.budgetTokens, 'warmup.budgetTokens') ?? 0,
            storePath: String(warmup.storePath),
            keyNamesPath: warmup.keyNamesPath,
          },
        }),
  };
}
