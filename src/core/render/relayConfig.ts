/** The relay's JSON configuration (/etc/slm-copilot/relay.json), from the settings. Pure. */
import { LOCALAI_ADDRESS, RELAY_ADDRESS } from '../facts/layout.ts';
import { MODEL, REQUEST_BODY_LIMIT_MIB } from '../facts/model.ts';
import type { Settings } from '../settings/declarations.ts';

export const RELAY_CONFIG_PATH = '/etc/slm-copilot/relay.json';

/** What `slm-copilot relay --config FILE` reads (src/relay/config.ts validates it). Times in milliseconds. */
export interface RelayConfigFile {
  readonly listen: { readonly host: string; readonly port: number };
  readonly upstream: {
    readonly url: string;
    /** File holding LocalAI's internal API key (only the relay and LocalAI know it); null sends none. */
    readonly apiKeyFile: string | null;
  };
  /** Set by nginx (always overwritten) to the key's name; the relay counts usage under it. */
  readonly keyNameHeader: string;
  readonly graceMs: number;
  readonly keepAliveIntervalMs: number;
  readonly timeoutMs: number;
  readonly queueLimit: number;
  readonly bodyLimitBytes: number;
  readonly readiness: { readonly pollIntervalMs: number; readonly warmupModel: string } | false;
}

export interface RelayConfigInput {
  readonly settings: Pick<
    Settings,
    'apiTimeout' | 'apiStreamGrace' | 'apiKeepAliveInterval' | 'apiQueueLimit'
  >;
  readonly upstreamKeyFile: string | null;
  readonly listen?: { readonly host: string; readonly port: number };
  readonly upstream?: { readonly host: string; readonly port: number };
  readonly keyNameHeader?: string;
}

export function relayConfigFile(input: RelayConfigInput): RelayConfigFile {
  const listen = input.listen ?? RELAY_ADDRESS;
  const upstream = input.upstream ?? LOCALAI_ADDRESS;
  return {
    listen: { host: listen.host, port: listen.port },
    upstream: { url: `http://${upstream.host}:${upstream.port}`, apiKeyFile: input.upstreamKeyFile },
    keyNameHeader: input.keyNameHeader ?? 'X-SLM-Key-Name',
    graceMs: input.settings.apiStreamGrace * 1000,
    keepAliveIntervalMs: input.settings.apiKeepAliveInterval * 1000,
    timeoutMs: input.settings.apiTimeout * 1000,
    queueLimit: input.settings.apiQueueLimit,
    // nginx refuses larger bodies first (client_max_body_size); the relay's limit is a little above it.
    bodyLimitBytes: (REQUEST_BODY_LIMIT_MIB + 1) * 1024 * 1024,
    readiness: { pollIntervalMs: 2000, warmupModel: MODEL.id },
  };
}

export function renderRelayConfig(input: RelayConfigInput): string {
  return `${JSON.stringify(relayConfigFile(input), null, 2)}\n`;
}
