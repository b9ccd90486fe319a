/** The plan: settings + host facts + secrets → sizing, warnings, and every file and service the appliance manages. */
import type { HostFacts } from '../host/types.ts';
import { renderLocalaiEnv } from '../render/localaiEnv.ts';
import { renderLocalaiModel } from '../render/localaiModel.ts';
import { renderLocalaiUnit } from '../render/localaiUnit.ts';
import { renderReport } from '../render/report.ts';
import { DECLARATIONS, type Settings } from '../settings/declarations.ts';
import type { SettingsProblem } from '../settings/types.ts';
import { LAYOUT, USERS } from './layout.ts';
import { MODEL } from './model.ts';
import type { Secrets } from './secrets.ts';
import { planSizing, type Sizing } from './sizingPlan.ts';

export interface PlannedFile {
  readonly path: string;
  readonly mode: number;
  readonly owner: string;
  readonly group: string;
  readonly content: string;
  /** Holds secrets: never printed, never logged. */
  readonly secret: boolean;
}

export interface PlannedService {
  readonly unit: string;
  /** Files whose change means the service must restart. */
  readonly restartOnChange: readonly string[];
}

export interface Endpoint {
  /** The name clients connect to: the domain when set, else the first address, else the host name. */
  readonly host: string;
  readonly url: string;
  readonly baseUrl: string;
}

export interface Plan {
  readonly sizing: Sizing;
  readonly endpoint: Endpoint;
  readonly files: readonly PlannedFile[];
  readonly services: readonly PlannedService[];
}

export interface PlanInput {
  readonly settings: Settings;
  readonly host: HostFacts;
  readonly secrets: Secrets;
  readonly version: string;
}

export type PlanResult =
  | { readonly ok: true; readonly plan: Plan; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly SettingsProblem[]; readonly warnings: readonly string[] };

export function endpointFor(settings: Settings, host: HostFacts): Endpoint {
  const name = settings.tlsDomain ?? host.network.addresses[0] ?? host.network.hostname;
  const hostPart = name.includes(':') ? `[${name}]` : name;
  const url = `https://${hostPart}`;
  return { host: name, url, baseUrl: `${url}/v1` };
}

export function computePlan(input: PlanInput): PlanResult {
  const sized = planSizing(input.settings, input.host);
  if (!sized.ok) return sized;
  const { sizing } = sized;
  const warnings = [...sized.warnings, ...settingsWarnings(input.settings)];
  const endpoint = endpointFor(input.settings, input.host);
  const localaiEnv = renderLocalaiEnv(sizing);
  const modelYaml = renderLocalaiModel(sizing);
  const files: PlannedFile[] = [
    file(LAYOUT.localaiEnvFile, 0o640, 'root', USERS.localai, localaiEnv, false),
    file(`${LAYOUT.localaiModels}/${MODEL.id}.yaml`, 0o644, 'root', USERS.localai, modelYaml, false),
    file(LAYOUT.localaiUnit, 0o644, 'root', 'root', renderLocalaiUnit(), false),
    file(
      LAYOUT.report,
      0o600,
      'root',
      'root',
      renderReport({
        version: input.version,
        endpoint,
        sizing,
        secrets: input.secrets,
        settings: input.settings,
        warnings,
      }),
      true,
    ),
  ];
  const services: PlannedService[] = [
    {
      unit: 'local-ai.service',
      restartOnChange: [
        LAYOUT.localaiEnvFile,
        `${LAYOUT.localaiModels}/${MODEL.id}.yaml`,
        LAYOUT.localaiUnit,
      ],
    },
  ];
  return { ok: true, plan: { sizing, endpoint, files, services }, warnings };
}

function file(
  path: string,
  mode: number,
  owner: string,
  group: string,
  content: string,
  secret: boolean,
): PlannedFile {
  return { path, mode, owner, group, content, secret };
}

function settingsWarnings(settings: Settings): string[] {
  const warnings: string[] = [];
  if (settings.tlsCertificate !== null && settings.tlsDomain !== null) {
    warnings.push(
      `${DECLARATIONS.tlsCertificate.name} is set, so no Let's Encrypt certificate is requested for ${settings.tlsDomain}; the operator certificate is served.`,
    );
  }
  if (settings.tlsEmail !== null && settings.tlsDomain === null) {
    warnings.push(
      `${DECLARATIONS.tlsEmail.name} is set but ${DECLARATIONS.tlsDomain.name} is empty, so it is not used.`,
    );
  }
  return warnings;
}
