/**
 * A OneFlow front's router: its JSON configuration (SERVICE_FILES.routerConfig) and its systemd unit. It listens
 * where the relay listens on one VM, so the client site is the same; it reads OneGate with the VM's token and
 * authenticates to the workers with the service secret (both in root:relay 0640 files, never in this JSON).
 */
import { RELAY_ADDRESS } from '../facts/layout.ts';
import {
  FLOW_TIMINGS,
  type OneGateAccess,
  SERVICE_FILES,
  SPILL_QUEUE_DEFAULT,
  WORKER_HTTPS_PORT,
} from '../facts/oneflow.ts';
import { RELAY_DEFAULTS } from '../facts/relay.ts';
import type { Settings } from '../settings/declarations.ts';
import { RELAY_USER } from './relayUnit.ts';
import { NETWORK_ALLOWED, NODE_SERVICE_HARDENING, SHARED_HARDENING } from './unitHardening.ts';

export interface RouterConfigFile {
  readonly listen: { readonly host: string; readonly port: number };
  readonly oneGate: { readonly endpoint: string; readonly vmId: string; readonly tokenFile: string };
  readonly secretFile: string;
  readonly workerPort: number;
  readonly membershipPeriodMs: number;
  readonly spillQueue: number;
  readonly keyNameHeader: string;
  readonly bodyLimitBytes: number;
  /** Milliseconds a worker may take to answer the CA fetch when it is first seen. */
  readonly pinTimeoutMs: number;
}

export interface RouterConfigInput {
  readonly settings: Pick<Settings, 'apiTimeout'>;
  readonly oneGate: OneGateAccess;
}

export function routerConfigFile(input: RouterConfigInput): RouterConfigFile {
  return {
    listen: { host: RELAY_ADDRESS.host, port: RELAY_ADDRESS.port },
    oneGate: {
      endpoint: input.oneGate.endpoint,
      vmId: input.oneGate.vmId,
      tokenFile: SERVICE_FILES.oneGateToken,
    },
    secretFile: SERVICE_FILES.serviceSecret,
    workerPort: WORKER_HTTPS_PORT,
    membershipPeriodMs: FLOW_TIMINGS.membershipPeriodS * 1000,
    spillQueue: SPILL_QUEUE_DEFAULT,
    keyNameHeader: RELAY_DEFAULTS.keyNameHeader,
    bodyLimitBytes: RELAY_DEFAULTS.bodyLimitBytes,
    pinTimeoutMs: 10_000,
  };
}

export function renderRouterConfig(input: RouterConfigInput): string {
  return `${JSON.stringify(routerConfigFile(input), null, 2)}\n`;
}

export function renderRouterUnit(launcher = '/usr/local/bin/slm-copilot'): string {
  return `# Written by slm-copilot from the plan; changes here are overwritten at the next boot.
[Unit]
Description=SLM-Copilot router (OneFlow front): keeps each key on the worker holding its prompt cache (127.0.0.1 only)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${RELAY_USER}
Group=${RELAY_USER}
ExecStart=${launcher} router --config ${SERVICE_FILES.routerConfig}
Restart=on-failure
RestartSec=2
TimeoutStopSec=10
Environment=NODE_ENV=production
WorkingDirectory=/
${SHARED_HARDENING}
${NETWORK_ALLOWED}
${NODE_SERVICE_HARDENING}

[Install]
WantedBy=multi-user.target
`;
}
