/**
 * systemd unit for the relay (nginx → relay → LocalAI). Hardened: its own user, nothing writable but its state
 * directory, loopback only. No MemoryDenyWriteExecute: V8's JIT needs writable-executable memory.
 */
import { USERS } from '../facts/layout.ts';
import { UNITS, unitPath } from '../facts/units.ts';
import { RELAY_CONFIG_PATH } from './relayConfig.ts';
import { NETWORK_ALLOWED, NODE_SERVICE_HARDENING, SHARED_HARDENING } from './unitHardening.ts';

export const RELAY_UNIT_PATH = unitPath(UNITS.relay);
export const RELAY_USER = USERS.relay;

export interface RelayUnitInput {
  /** The slm-copilot launcher. */
  readonly launcher?: string;
  readonly configPath?: string;
  /**
   * A OneFlow worker's relay publishes to OneGate (network beyond loopback) and, when stopped, lets its streams
   * finish: for up to the API timeout, and before nginx stops (ordered after it) so they reach the front.
   */
  readonly worker?: { readonly apiTimeoutSeconds: number };
}

/** A single VM's relay stops at once. */
const STOP_SECONDS = 10;

export function renderRelayUnit(input: RelayUnitInput = {}): string {
  const launcher = input.launcher ?? '/usr/local/bin/slm-copilot';
  const config = input.configPath ?? RELAY_CONFIG_PATH;
  return `# Written by slm-copilot from the plan; changes here are overwritten at the next boot.
[Unit]
Description=SLM-Copilot relay: keeps long prompt processing alive for clients, queues and counts requests (127.0.0.1 only)
# Ordered after LocalAI but independent of it: without LocalAI, /health says "down".${
    input.worker === undefined
      ? ''
      : "\n# A worker's also after nginx: when the VM stops, its streams drain through nginx before nginx stops."
  }
After=network.target ${UNITS.localai}${input.worker === undefined ? '' : ` ${UNITS.nginx}`}

[Service]
Type=simple
User=${RELAY_USER}
Group=${RELAY_USER}
ExecStart=${launcher} relay --config ${config}
Restart=on-failure
RestartSec=2
TimeoutStopSec=${input.worker === undefined ? STOP_SECONDS : input.worker.apiTimeoutSeconds + STOP_SECONDS}
Environment=NODE_ENV=production
# Its own state directory: /var/lib/slm-copilot (secrets, TLS keys) is root's and stays so.
StateDirectory=slm-copilot-relay
StateDirectoryMode=0750
WorkingDirectory=/var/lib/slm-copilot-relay
${SHARED_HARDENING}
${input.worker === undefined ? '' : `${NETWORK_ALLOWED}\n`}${NODE_SERVICE_HARDENING}

[Install]
WantedBy=multi-user.target
`;
}
