/**
 * The operator's report at /etc/one-appliance/config (mode 0600, INI sections): everything a developer needs to
 * connect. Later issues add TLS, service states and configure errors to these sections.
 */

import { MODEL } from '../plan/model.ts';
import type { Endpoint } from '../plan/plan.ts';
import type { Secrets } from '../plan/secrets.ts';
import { formatBytes } from '../plan/sizing.ts';
import type { Sizing } from '../plan/sizingPlan.ts';
import type { Settings } from '../settings/declarations.ts';

export interface ReportInput {
  readonly version: string;
  readonly endpoint: Endpoint;
  readonly sizing: Sizing;
  readonly secrets: Secrets;
  readonly settings: Settings;
  readonly warnings: readonly string[];
}

type Section = readonly [title: string, entries: ReadonlyArray<readonly [string, string | number]>];

export function renderReport(input: ReportInput): string {
  const { endpoint, sizing, secrets, settings } = input;
  const firstKey = secrets.apiKeys[0];
  const sections: Section[] = [
    [
      'Connection',
      [
        ['endpoint', endpoint.url],
        ['base_url', endpoint.baseUrl],
        ['model', MODEL.id],
      ],
    ],
    [
      'Cline',
      [
        ['api_provider', 'OpenAI Compatible'],
        ['base_url', endpoint.baseUrl],
        ['api_key', firstKey === undefined ? '' : firstKey.key],
        ['model_id', MODEL.id],
        ['context_window_size', sizing.contextSize],
        ['supports_images', 'off (no vision projector is loaded)'],
      ],
    ],
    ['API keys', secrets.apiKeys.map((entry) => [entry.name, entry.key] as const)],
    [
      'Basic auth',
      [
        ['user', settings.authUser],
        ['password', secrets.password],
      ],
    ],
    [
      'Sizing',
      [
        ['threads', sizing.threads],
        ['context_size', sizing.contextSize],
        ['prompt_cache_mib', sizing.promptCacheMib],
        [
          'memory_budget',
          `${formatBytes(sizing.memory.totalBytes)} of ${formatBytes(sizing.memory.hostBytes)}`,
        ],
        ...sizing.memory.parts.map(
          (part) => [`memory.${part.key}`, `${formatBytes(part.bytes)} (${part.name})`] as const,
        ),
        ['cpu_flags', sizing.cpuFlags.join(' ') || 'none of avx, avx2, avx512f, fma, f16c'],
      ],
    ],
    ['Warnings', input.warnings.map((warning, index) => [`warning.${index + 1}`, warning] as const)],
    [
      'Appliance',
      [
        ['version', input.version],
        ['report', '/etc/one-appliance/config'],
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
