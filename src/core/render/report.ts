/**
 * The operator's report at /etc/one-appliance/config (mode 0600, INI sections): everything a developer needs to
 * connect, the TLS facts, the services' states and the last boot's configure errors.
 */

import { LAYOUT } from '../facts/layout.ts';
import { MODEL } from '../facts/model.ts';
import { FLOW_TIMINGS, WORKER_HTTPS_PORT } from '../facts/oneflow.ts';
import { WARMUP_STORE_PATH } from '../facts/relay.ts';
import type { Endpoint } from '../host/endpoint.ts';
import { formatBytes } from '../lib/bytes.ts';
import type { Settings } from '../settings/declarations.ts';
import type { Secrets } from '../settings/secrets.ts';
import type { Sizing } from '../sizing/sizingPlan.ts';
import { warmupBudget } from '../sizing/warmupBudget.ts';

/** What the TLS step established (it runs before planning, since it needs openssl and the state directory). */
export interface TlsSummary {
  readonly mode: 'appliance-ca' | 'operator' | 'letsencrypt';
  /** SHA-256 fingerprint of what GET /ca.pem serves, "AB:CD:…". */
  readonly caFingerprintSha256: string;
  readonly leafNotAfter: string;
}

export interface ReportInput {
  readonly version: string;
  readonly endpoint: Endpoint;
  /** null on a OneFlow front (no model there). */
  readonly sizing: Sizing | null;
  readonly secrets: Secrets;
  readonly settings: Settings;
  readonly warnings: readonly string[];
  readonly tls: TlsSummary | null;
  readonly bundleSha256?: string;
  /** Known only after bootstrap started the services. */
  readonly runtime?: ReportRuntime;
}

export interface ReportRuntime {
  readonly services: Readonly<Record<string, string>>;
  readonly model: string;
  readonly letsEncrypt: string | null;
  readonly oneGate: string;
}

/** Whether the relay re-warms learned prompt prefixes after a model start, and what that stores where. */
function warmupEntries(prefixes: number, sizing: Sizing): ReadonlyArray<readonly [string, string | number]> {
  if (prefixes === 0)
    return [
      [
        'state',
        'off (ONEAPP_COPILOT_API_WARMUP=0): no prompt prefix is stored; first requests after a model start prefill everything',
      ],
    ];
  const budget = warmupBudget(sizing.promptCacheMib, sizing.contextSize);
  return [
    [
      'state',
      `on: up to ${prefixes} prompt prefixes (system prompt and tools) re-warmed after every model start`,
    ],
    ['prefixes', prefixes],
    [
      'budget_tokens',
      `${budget.budgetTokens} (prompt cache ${budget.cacheTokens} tokens minus ${budget.liveReserveTokens} for one live conversation)`,
    ],
    ['store', WARMUP_STORE_PATH],
    [
      'privacy',
      'the stored system prompts hold workspace paths and custom instructions; they stay on this VM, readable by root and the relay, and VM snapshots and saved disks copy them; ONEAPP_COPILOT_API_WARMUP=0 deletes them',
    ],
  ];
}

/** A OneFlow VM's role, and what it serves. */
function serviceSection(input: ReportInput): Section {
  const { settings } = input;
  return [
    'OneFlow service',
    settings.role === 'front'
      ? [
          [
            'role',
            'front: TLS, API keys and CORS here; each key is routed to the worker holding its prompt cache',
          ],
          [
            'workers',
            `the service's RUNNING and READY workers, listed from OneGate every ${FLOW_TIMINGS.membershipPeriodS} s (slm-copilot doctor shows them)`,
          ],
          ['model', 'not loaded on this VM (LocalAI is off): the workers serve it'],
        ]
      : [
          ['role', `worker: serves only the front at ${settings.frontAddress ?? ''}`],
          [
            'onegate',
            `READY=YES once the model is ready, then the queue and busy share every ${FLOW_TIMINGS.publishPeriodS} s`,
          ],
        ],
  ];
}

type Section = readonly [title: string, entries: ReadonlyArray<readonly [string, string | number]>];

export function renderReport(input: ReportInput): string {
  const { endpoint, sizing, secrets, settings } = input;
  const firstKey = secrets.apiKeys[0];
  const role = settings.role;
  const clientFacing = role !== 'worker';
  const sections: Section[] = [
    ...(role === 'standalone' ? [] : [serviceSection(input)]),
    [
      'Connection',
      clientFacing
        ? [
            ['endpoint', endpoint.url],
            ['base_url', endpoint.baseUrl],
            ['model', MODEL.id],
          ]
        : [
            [
              'serves',
              `only the front at ${settings.frontAddress ?? ''} (port ${WORKER_HTTPS_PORT}, service secret)`,
            ],
          ],
    ],
    [
      'Cline',
      !clientFacing
        ? []
        : [
            ['api_provider', 'OpenAI Compatible'],
            ['base_url', endpoint.baseUrl],
            ['api_key', firstKey === undefined ? '' : firstKey.key],
            ['model_id', MODEL.id],
            [
              'context_window_size',
              sizing === null
                ? 'as the workers report it (their ONEAPP_COPILOT_MODEL_CONTEXT)'
                : sizing.contextSize,
            ],
            ['supports_images', 'off (no vision projector is loaded)'],
          ],
    ],
    ['API keys', clientFacing ? secrets.apiKeys.map((entry) => [entry.name, entry.key] as const) : []],
    [
      'TLS',
      input.tls === null
        ? [['mode', 'not set up yet']]
        : [
            ['mode', input.tls.mode],
            ['ca_url', `${endpoint.url}/ca.pem`],
            ['ca_fingerprint_sha256', input.tls.caFingerprintSha256],
            ['certificate_expires', input.tls.leafNotAfter],
            ['trust_for_cline', 'save ca.pem and start VS Code with NODE_EXTRA_CA_CERTS=/path/to/ca.pem'],
          ],
    ],
    [
      'Basic auth',
      clientFacing
        ? [
            ['user', settings.authUser],
            ['password', secrets.password],
          ]
        : [],
    ],
    [
      'Sizing',
      sizing === null
        ? []
        : [
            ['threads', sizing.threads],
            ['context_size', sizing.contextSize],
            ['prompt_cache_mib', sizing.promptCacheMib],
            [
              'memory_budget',
              `${formatBytes(sizing.memory.totalBytes, 'memory')} of ${formatBytes(sizing.memory.hostBytes, 'memory')}`,
            ],
            ...sizing.memory.parts.map(
              (part) =>
                [`memory.${part.key}`, `${formatBytes(part.bytes, 'memory')} (${part.name})`] as const,
            ),
            ['cpu_flags', sizing.cpuFlags.join(' ') || 'none of avx, avx2, avx512f, fma, f16c'],
          ],
    ],
    ['Warm-up', sizing === null ? [] : warmupEntries(role === 'worker' ? 0 : settings.apiWarmup, sizing)],
    [
      'Status',
      input.runtime === undefined
        ? [['state', 'configured; bootstrap starts the services']]
        : [
            ...Object.entries(input.runtime.services),
            ['model', input.runtime.model],
            ...(input.runtime.letsEncrypt === null
              ? []
              : [['letsencrypt', input.runtime.letsEncrypt] as const]),
            ['onegate', input.runtime.oneGate],
          ],
    ],
    ['Warnings', input.warnings.map((warning, index) => [`warning.${index + 1}`, warning] as const)],
    [
      'Test',
      !clientFacing
        ? []
        : [
            [
              'curl',
              `curl --cacert ca.pem ${endpoint.baseUrl}/chat/completions -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" -d '{"model":"${MODEL.id}","messages":[{"role":"user","content":"Say hello"}]}'`,
            ],
            [
              'get_ca',
              `curl -k ${endpoint.url}/ca.pem -o ca.pem  (then compare its SHA-256 fingerprint with the one above)`,
            ],
          ],
    ],
    [
      'Client tools',
      input.bundleSha256 === undefined || !clientFacing
        ? []
        : [
            ['download', `${endpoint.url}/slm-copilot.mjs`],
            ['sha256', input.bundleSha256],
            [
              'use',
              `node slm-copilot.mjs cline ${endpoint.url} --fingerprint <ca_fingerprint_sha256>   (Node 20+)`,
            ],
          ],
    ],
    [
      'Outbound connections',
      [
        [
          'made_by_the_appliance',
          "Let's Encrypt (only with ONEAPP_COPILOT_TLS_DOMAIN), OneGate (only when the VM has a token), time sync; no others",
        ],
      ],
    ],
    [
      'Appliance',
      [
        ['version', input.version],
        ['report', LAYOUT.report],
        ['logs', '/var/log/one-appliance'],
      ],
    ],
  ];
  const body = sections
    .filter(([, entries]) => entries.length > 0)
    .map(([title, entries]) => `[${title}]\n${entries.map(([key, value]) => `${key} = ${value}`).join('\n')}`)
    .join('\n\n');
  return `# SLM-Copilot report. Keep it private: it holds the API keys and the Basic auth password.\n\n${body}\n`;
}
