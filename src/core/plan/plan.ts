/** The plan: settings + host facts + secrets → sizing, warnings, and every file and service the appliance manages. */

import { LAYOUT, USERS } from '../facts/layout.ts';
import { MODEL } from '../facts/model.ts';
import {
  type CopilotRole,
  FLOW_TIMINGS,
  type OneGateAccess,
  SERVICE_FILES,
  WORKER_BOUNDS,
  WORKER_HTTPS_PORT,
} from '../facts/oneflow.ts';
import type { WorkerPublicationFile } from '../facts/relay.ts';
import { APPLIANCE_TARGET, type ServingTarget, under } from '../facts/target.ts';
import { type ApplianceUnit, UNITS, UNUSED_UNITS, unitPath } from '../facts/units.ts';
import { type Endpoint, endpointFor } from '../host/endpoint.ts';
import type { HostFacts } from '../host/types.ts';
import { htpasswdLine } from '../render/htpasswd.ts';
import { renderLocalaiEnv } from '../render/localaiEnv.ts';
import { renderLocalaiModel } from '../render/localaiModel.ts';
import { renderLocalaiUnit } from '../render/localaiUnit.ts';
import { renderApiKeyMap } from '../render/nginxAuth.ts';
import { renderNginxMain } from '../render/nginxMain.ts';
import { renderNginxSite } from '../render/nginxSite.ts';
import { renderNginxWorkerSite } from '../render/nginxWorkerSite.ts';
import {
  RELAY_CONFIG_PATH,
  RELAY_KEY_NAMES_PATH,
  relayConfigFile,
  renderRelayConfig,
  renderRelayKeyNames,
} from '../render/relayConfig.ts';
import { RELAY_UNIT_PATH, RELAY_USER, renderRelayUnit } from '../render/relayUnit.ts';
import { type ReportRuntime, renderReport, type TlsSummary } from '../render/report.ts';
import { renderRouterConfig, renderRouterUnit } from '../render/router.ts';
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
  readonly role: CopilotRole;
  /** null on a OneFlow front: it runs no model. */
  readonly sizing: Sizing | null;
  readonly endpoint: Endpoint;
  readonly files: readonly PlannedFile[];
  readonly services: readonly PlannedService[];
  /** Units this role does not run: stopped and disabled when they run (a role change). */
  readonly unused: readonly ApplianceUnit[];
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
  /** The VM's OneGate access (a front and a worker need it); null or absent when the VM has no token. */
  readonly oneGate?: OneGateAccess | null;
}

export type PlanResult =
  | { readonly ok: true; readonly plan: Plan; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly SettingsProblem[]; readonly warnings: readonly string[] };

export function computePlan(input: PlanInput): PlanResult {
  const role = input.settings.role;
  const oneGate = input.oneGate ?? null;
  const roleErrors = role !== 'standalone' && oneGate === null ? [noOneGate(role)] : [];
  if (role === 'front') {
    if (roleErrors.length > 0 || oneGate === null) return { ok: false, errors: roleErrors, warnings: [] };
    const warnings = [...settingsWarnings(input.settings), ...frontWarnings(input.secrets)];
    return { ok: true, plan: frontPlan(input, oneGate, warnings), warnings };
  }
  const sized = planSizing(input.settings, input.host);
  if (!sized.ok) return { ...sized, errors: [...sized.errors, ...roleErrors] };
  if (roleErrors.length > 0) return { ok: false, errors: roleErrors, warnings: sized.warnings };
  const warnings = [...sized.warnings, ...settingsWarnings(input.settings)];
  return { ok: true, plan: modelPlan(input, sized.sizing, oneGate, warnings), warnings };
}

/** A VM that runs the model: standalone (byte for byte what it always was), or a OneFlow worker. */
function modelPlan(
  input: PlanInput,
  sizing: Sizing,
  oneGate: OneGateAccess | null,
  warnings: readonly string[],
): Plan {
  const worker = input.settings.role === 'worker' && oneGate !== null;
  const endpoint = endpointFor(input.settings, input.host);
  const localaiEnv = renderLocalaiEnv(sizing, input.secrets.localaiKey);
  const modelYaml = renderLocalaiModel(sizing);
  const target = input.target ?? APPLIANCE_TARGET;
  const relayConfig = relayConfigFile({
    settings: input.settings,
    upstreamKeyFile: LAYOUT.localaiKeyFile,
    // A worker's key names are its front's: it has no list to keep learned prefixes against, so it learns none.
    ...(worker
      ? {}
      : {
          warmup: {
            prefixes: input.settings.apiWarmup,
            budgetTokens: warmupBudget(sizing.promptCacheMib, sizing.contextSize).budgetTokens,
            keyNamesPath: RELAY_KEY_NAMES_PATH,
          },
        }),
  });
  const files: PlannedFile[] = [
    file(LAYOUT.nginxMainConfig, 0o644, 'root', 'root', renderNginxMain(target), false),
    ...(worker ? workerSiteFiles(input, target) : clientSiteFiles(input, target)),
    file(LAYOUT.localaiEnvFile, 0o640, 'root', USERS.localai, localaiEnv, true),
    file(LAYOUT.localaiKeyFile, 0o640, 'root', RELAY_USER, `${input.secrets.localaiKey}\n`, true),
    file(
      RELAY_CONFIG_PATH,
      0o640,
      'root',
      RELAY_USER,
      renderRelayConfig(worker ? { ...relayConfig, worker: workerPublication(oneGate) } : relayConfig),
      false,
    ),
    ...(worker
      ? [oneGateTokenFile(oneGate)]
      : [
          // Names only (never keys). In no service's restartOnChange or reloadOnChange: a key change reloads nginx
          // and rewrites this file, and the running relay reads it at its next warm-up pass or save; streams are
          // never cut.
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
        ]),
    file(
      RELAY_UNIT_PATH,
      0o644,
      'root',
      'root',
      renderRelayUnit(worker ? { worker: { apiTimeoutSeconds: input.settings.apiTimeout } } : {}),
      false,
    ),
    ...systemFiles(endpoint),
    file(`${LAYOUT.localaiModels}/${MODEL.id}.yaml`, 0o644, 'root', USERS.localai, modelYaml, false),
    file(LAYOUT.localaiUnit, 0o644, 'root', 'root', renderLocalaiUnit(), false),
    reportFile(input, endpoint, sizing, warnings),
  ];
  const services: PlannedService[] = [
    {
      unit: UNITS.nginx,
      restartOnChange: [],
      reloadOnChange: worker
        ? [LAYOUT.nginxMainConfig, LAYOUT.nginxSite]
        : [LAYOUT.nginxMainConfig, LAYOUT.nginxSite, LAYOUT.nginxApiKeys],
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
      restartOnChange: [
        RELAY_CONFIG_PATH,
        RELAY_UNIT_PATH,
        LAYOUT.localaiKeyFile,
        ...(worker ? [SERVICE_FILES.oneGateToken] : []),
      ],
      reloadOnChange: [],
    },
  ];
  return {
    role: input.settings.role,
    sizing,
    endpoint,
    files,
    services,
    unused: UNUSED_UNITS[input.settings.role],
  };
}

/** A OneFlow front: the client site as on one VM, the router in the relay's place, no model. */
function frontPlan(input: PlanInput, oneGate: OneGateAccess, warnings: readonly string[]): Plan {
  const endpoint = endpointFor(input.settings, input.host);
  const target = input.target ?? APPLIANCE_TARGET;
  const files: PlannedFile[] = [
    file(LAYOUT.nginxMainConfig, 0o644, 'root', 'root', renderNginxMain(target), false),
    ...clientSiteFiles(input, target),
    oneGateTokenFile(oneGate),
    file(
      SERVICE_FILES.serviceSecret,
      0o640,
      'root',
      RELAY_USER,
      `${input.settings.serviceSecret ?? ''}\n`,
      true,
    ),
    file(
      SERVICE_FILES.routerConfig,
      0o640,
      'root',
      RELAY_USER,
      renderRouterConfig({ settings: input.settings, oneGate }),
      false,
    ),
    file(unitPath(UNITS.router), 0o644, 'root', 'root', renderRouterUnit(), false),
    ...systemFiles(endpoint),
    reportFile(input, endpoint, null, warnings),
  ];
  const services: PlannedService[] = [
    {
      unit: UNITS.nginx,
      restartOnChange: [],
      reloadOnChange: [LAYOUT.nginxMainConfig, LAYOUT.nginxSite, LAYOUT.nginxApiKeys],
    },
    {
      unit: UNITS.router,
      restartOnChange: [
        SERVICE_FILES.routerConfig,
        unitPath(UNITS.router),
        SERVICE_FILES.serviceSecret,
        SERVICE_FILES.oneGateToken,
      ],
      reloadOnChange: [],
    },
  ];
  return { role: 'front', sizing: null, endpoint, files, services, unused: UNUSED_UNITS.front };
}

/** The client site (TLS, keys, Basic auth, CORS) and the files it reads: standalone and front. */
function clientSiteFiles(input: PlanInput, target: ServingTarget): PlannedFile[] {
  const site = renderNginxSite({
    target,
    corsOrigins: input.settings.apiCorsOrigins,
    timeoutSeconds: input.settings.apiTimeout,
    acmeDomain: input.settings.tlsCertificate === null ? input.settings.tlsDomain : null,
    authRealm: AUTH_REALM,
  });
  const htpasswd = `${htpasswdLine(input.settings.authUser, input.secrets.password, input.secrets.passwordSalt)}\n`;
  return [
    file(LAYOUT.nginxSite, 0o644, 'root', 'root', site, false),
    // Read by nginx's master (root) while loading the configuration.
    file(LAYOUT.nginxApiKeys, 0o600, 'root', 'root', renderApiKeyMap(input.secrets.apiKeys), true),
    // auth_basic reads the user file in the worker, at request time.
    file(LAYOUT.nginxHtpasswd, 0o640, 'root', USERS.nginx, htpasswd, true),
  ];
}

/** A worker's site: its front's address and the service secret only (the site holds the secret: root:www-data 0640). */
function workerSiteFiles(input: PlanInput, target: ServingTarget): PlannedFile[] {
  const site = renderNginxWorkerSite({
    listen: { host: '0.0.0.0', port: WORKER_HTTPS_PORT },
    frontAddress: input.settings.frontAddress ?? '',
    secret: input.settings.serviceSecret ?? '',
    certificate: under(target, LAYOUT.tlsCertificate),
    key: under(target, LAYOUT.tlsKey),
    caPublic: under(target, LAYOUT.tlsCaPublic),
    timeoutSeconds: input.settings.apiTimeout,
  });
  return [file(LAYOUT.nginxSite, 0o640, 'root', USERS.nginx, site, true)];
}

/** The VM's OneGate token, for the relay's user only (one-context's copy is root's, 0400). */
const oneGateTokenFile = (oneGate: OneGateAccess): PlannedFile =>
  file(SERVICE_FILES.oneGateToken, 0o640, 'root', RELAY_USER, `${oneGate.token}\n`, true);

const workerPublication = (oneGate: OneGateAccess): WorkerPublicationFile => ({
  oneGate: { endpoint: oneGate.endpoint, vmId: oneGate.vmId, tokenFile: SERVICE_FILES.oneGateToken },
  publishPeriodMs: FLOW_TIMINGS.publishPeriodS * 1000,
});

function systemFiles(endpoint: Endpoint): PlannedFile[] {
  return [
    file(RENEW_SERVICE_PATH, 0o644, 'root', 'root', renderRenewService(), false),
    file(RENEW_TIMER_PATH, 0o644, 'root', 'root', renderRenewTimer(), false),
    file(LOGROTATE_PATH, 0o644, 'root', 'root', renderLogrotate(), false),
    file(BANNER_PATH, 0o644, 'root', 'root', renderBanner(endpoint.baseUrl), false),
    file(CERTBOT_DEPLOY_HOOK_PATH, 0o755, 'root', 'root', renderCertbotDeployHook(), false),
  ];
}

function reportFile(
  input: PlanInput,
  endpoint: Endpoint,
  sizing: Sizing | null,
  warnings: readonly string[],
): PlannedFile {
  return file(
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
  );
}

function noOneGate(role: CopilotRole): SettingsProblem {
  return {
    variable: 'TOKEN',
    message: `this VM has no OneGate access (ONEGATE_ENDPOINT, VMID and the token from one-context), but ${DECLARATIONS.role.name} is ${role}: a ${role === 'front' ? 'front lists its workers' : 'worker reports READY and its load'} through OneGate. Set TOKEN = "YES" in the VM template's CONTEXT (the SLM-Copilot template has it).`,
  };
}

/** One shared key pins everyone to one worker: the service starts with more workers than that. */
function frontWarnings(secrets: Secrets): string[] {
  if (secrets.apiKeys.length >= WORKER_BOUNDS.initial) return [];
  return [
    `${secrets.apiKeys.length} API key for a service that starts with ${WORKER_BOUNDS.initial} workers: each key stays on one worker (its prompt cache is there), so one shared key pins everyone to one worker. Give each developer a key (${DECLARATIONS.authKeys.name}).`,
  ];
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
