/** The plan: settings + host facts + secrets → sizing, warnings, and every file and service the appliance manages. */

import { LAYOUT, USERS } from '../facts/layout.ts';
import { MODEL } from '../facts/model.ts';
import { APPLIANCE_TARGET, type ServingTarget } from '../facts/target.ts';
import { UNITS } from '../facts/units.ts';
import { type Endpoint, endpointFor } from '../host/endpoint.ts';
import type { HostFacts } from '../host/types.ts';
import { htpasswdLine } from '../render/htpasswd.ts';
import { renderLocalaiEnv } from '../render/localaiEnv.ts';
import { renderLocalaiModel } from '../render/localaiModel.ts';
import { renderLocalaiUnit } from '../render/localaiUnit.ts';
import { renderApiKeyMap } from '../render/nginxAuth.ts';
import { renderNginxMain } from '../render/nginxMain.ts';
import { renderNginxSite } from '../render/nginxSite.ts';
import {
  RELAY_CONFIG_PATH,
  RELAY_KEY_NAMES_PATH,
  renderRelayConfig,
  renderRelayKeyNames,
} from '../render/relayConfig.ts';
import { RELAY_UNIT_PATH, RELAY_USER, renderRelayUnit } from '../render/relayUnit.ts';
import { type ReportRuntime, renderReport, type TlsSummary } from '../render/report.ts';
import {
  BANNER_PATH,
  CERTBOT_DEPLOY_HOOK_PATH,
  LOGROTATE_PATH,
  RENEW_SERVICE_PATH,
  RENEW_TIMER_PATH,
  renderBanner,
  renderCertbotDeployHook,
  renderLogrotate,
  renderRenewService,
  renderRenewTimer,
} from '../render/systemFiles.ts';
import { DECLARATIONS, type Settings } from '../settings/declarations.ts';
import type { Secrets } from '../settings/secrets.ts';
import type { SettingsProblem } from '../settings/types.ts';
import { planSizing, type Sizing } from '../sizing/sizingPlan.ts';
import { warmupBudget } from '../sizing/warmupBudget.ts';

export const AUTH_REALM = 'SLM-Copilot';

export type { Endpoint } from '../host/endpoint.ts';
export { endpointFor } from '../host/endpoint.ts';
export type { TlsSummary } from '../render/report.ts';

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
  /** Files whose change only needs a reload (nginx re-reads its configuration without dropping connections). */
  readonly reloadOnChange: readonly string[];
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
  /** null in a preview (`slm-copilot plan`): no certificate has been made. */
  readonly tls: TlsSummary | null;
  /** sha256 of the bundle served at /slm-copilot.mjs, when it is installed. */
  readonly bundleSha256?: string;
  /** What the last bootstrap found running (kept in the state directory), for the report. */
  readonly runtime?: ReportRuntime;
  readonly target?: ServingTarget;
}

export type PlanResult =
  | { readonly ok: true; readonly plan: Plan; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly SettingsProblem[]; readonly warnings: readonly string[] };

export function computePlan(input: PlanInput): PlanResult {
  const sized = planSizing(input.settings, input.host);
  if (!sized.ok) return sized;
  const { sizing } = sized;
  const warnings = [...sized.warnings, ...settingsWarnings(input.settings)];
  const endpoint = endpointFor(input.settings, input.host);
  const localaiEnv = renderLocalaiEnv(sizing, input.secrets.localaiKey);
  const modelYaml = renderLocalaiModel(sizing);
  const target = input.target ?? APPLIANCE_TARGET;
  const site = renderNginxSite({
    target,
    corsOrigins: input.settings.apiCorsOrigins,
    timeoutSeconds: input.settings.apiTimeout,
    acmeDomain: input.settings.tlsCertificate === null ? input.settings.tlsDomain : null,
    authRealm: AUTH_REALM,
  });
  const htpasswd = `${htpasswdLine(input.settings.authUser, input.secrets.password, input.secrets.passwordSalt)}\n`;
  const files: PlannedFile[] = [
    file(LAYOUT.nginxMainConfig, 0o644, 'root', 'root', renderNginxMain(target), false),
    file(LAYOUT.nginxSite, 0o644, 'root', 'root', site, false),
    // Read by nginx's master (root) while loading the configuration.
    file(LAYOUT.nginxApiKeys, 0o600, 'root', 'root', renderApiKeyMap(input.secrets.apiKeys), true),
    // auth_basic reads the user file in the worker, at request time.
    file(LAYOUT.nginxHtpasswd, 0o640, 'root', USERS.nginx, htpasswd, true),
    file(LAYOUT.localaiEnvFile, 0o640, 'root', USERS.localai, localaiEnv, true),
    file(LAYOUT.localaiKeyFile, 0o640, 'root', RELAY_USER, `${input.secrets.localaiKey}\n`, true),
    file(
      RELAY_CONFIG_PATH,
      0o640,
      'root',
      RELAY_USER,
      renderRelayConfig({
        settings: input.settings,
        upstreamKeyFile: LAYOUT.localaiKeyFile,
        warmup: {
          prefixes: input.settings.apiWarmup,
          budgetTokens: warmupBudget(sizing.promptCacheMib, sizing.contextSize).budgetTokens,
          keyNamesPath: RELAY_KEY_NAMES_PATH,
        },
      }),
      false,
    ),
    // Names only (never keys). In no service's restartOnChange or reloadOnChange: a key change reloads nginx and
    // rewrites this file, and the running relay reads it at its next warm-up pass or save; streams are never cut.
    file(
      RELAY_KEY_NAMES_PATH,
      0o640,
      'root',
      RELAY_USER,
      // nginx names Bearer requests after the key, Basic auth ones "user:<user>" (nginxSite.ts).
      renderRelayKeyNames([
        ...input.secrets.apiKeys.map((entry) => entry.name),
        `user:${input.settings.authUser}`,
      ]),
      false,
    ),
    file(RELAY_UNIT_PATH, 0o644, 'root', 'root', renderRelayUnit(), false),
    file(RENEW_SERVICE_PATH, 0o644, 'root', 'root', renderRenewService(), false),
    file(RENEW_TIMER_PATH, 0o644, 'root', 'root', renderRenewTimer(), false),
    file(LOGROTATE_PATH, 0o644, 'root', 'root', renderLogrotate(), false),
    file(BANNER_PATH, 0o644, 'root', 'root', renderBanner(endpoint.baseUrl), false),
    file(CERTBOT_DEPLOY_HOOK_PATH, 0o755, 'root', 'root', renderCertbotDeployHook(), false),
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
        tls: input.tls,
        ...(input.runtime === undefined ? {} : { runtime: input.runtime }),
        ...(input.bundleSha256 === undefined ? {} : { bundleSha256: input.bundleSha256 }),
      }),
      true,
    ),
  ];
  const services: PlannedService[] = [
    {
      unit: UNITS.nginx,
      restartOnChange: [],
      reloadOnChange: [LAYOUT.nginxMainConfig, LAYOUT.nginxSite, LAYOUT.nginxApiKeys],
    },
    {
      unit: UNITS.localai,
      restartOnChange: [
        LAYOUT.localaiEnvFile,
        `${LAYOUT.localaiModels}/${MODEL.id}.yaml`,
        LAYOUT.localaiUnit,
      ],
      reloadOnChange: [],
    },
    {
      unit: UNITS.relay,
      // Not RELAY_KEY_NAMES_PATH: the relay re-reads it itself (a key change must never cut streams in flight).
      restartOnChange: [RELAY_CONFIG_PATH, RELAY_UNIT_PATH, LAYOUT.localaiKeyFile],
      reloadOnChange: [],
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
