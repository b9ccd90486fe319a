/**
 * `slm-copilot bootstrap` (after configure, every boot): start the services, wait (bounded) for the model,
 * Let's Encrypt when a domain is set, publish to OneGate, and write the report with what is running.
 */
import { posix } from 'node:path';
import { LAYOUT } from '../../core/facts/layout.ts';
import { ONEGATE_ATTRIBUTES } from '../../core/facts/oneflow.ts';
import { ROLE_UNITS, UNITS } from '../../core/facts/units.ts';
import { VERSION } from '../../core/facts/version.ts';
import { EXIT } from '../../core/lib/failure.ts';
import { type ReportRuntime, renderReport } from '../../core/render/report.ts';
import { problemSentence } from '../../core/settings/types.ts';
import { applyFiles } from '../apply/files.ts';
import { requestCertificate } from '../tls/letsEncrypt.ts';
import { prepareTls } from '../tls/tlsStep.ts';
import type { StageEnvironment } from './environment.ts';
import { waitForModel } from './health.ts';
import { publishToOneGate } from './onegate.ts';
import { type Prepared, prepare } from './prepare.ts';
import { storeRuntime } from './runtimeState.ts';

export interface BootstrapOptions {
  /** How long to wait for the model to be ready before reporting "loading" (the stage does not fail). */
  readonly waitSeconds: number;
  /** ACME directory (default: Let's Encrypt production). */
  readonly acmeServer?: string;
}

export async function bootstrap(stage: StageEnvironment, options: BootstrapOptions): Promise<number> {
  const { log } = stage;
  const result = prepare(stage);
  if (!result.ok) {
    for (const problem of result.problems) log('error', problemSentence(problem));
    return EXIT.refused;
  }
  let prepared = result.prepared;
  const units = ROLE_UNITS[prepared.plan.role];
  for (const unit of units) {
    stage.host.services.enable(unit);
    stage.host.services.start(unit);
  }
  log('info', `bootstrap: services started; waiting up to ${options.waitSeconds} s for the model`);
  const model = await waitForModel(options.waitSeconds, (message) => log('info', message));
  log(
    model === 'ready' ? 'info' : 'warning',
    `bootstrap: model ${model}${model === 'ready' ? '' : ' (it keeps loading in the background; the report says when to retry)'}`,
  );
  const acme = await ensureLetsEncrypt(stage, prepared, options.acmeServer);
  if (acme.refreshed !== null) prepared = acme.refreshed;
  const oneGate = await publishToOneGate(stage.host.root, stage.env, {
    [ONEGATE_ATTRIBUTES.endpoint]: prepared.plan.endpoint.baseUrl,
    [ONEGATE_ATTRIBUTES.caFingerprint]: prepared.tls.caFingerprintSha256,
  });
  const oneGateText = typeof oneGate === 'string' ? oneGate : `failed: ${oneGate.failed}`;
  if (typeof oneGate !== 'string') log('warning', `bootstrap: OneGate ${oneGateText}`);
  writeReport(stage, prepared, {
    services: Object.fromEntries(
      units.map((unit) => [unit, stage.host.services.isActive(unit) ? 'active' : 'inactive']),
    ),
    model,
    letsEncrypt: acme.text,
    oneGate: oneGateText,
  });
  log('info', `bootstrap: done; connection details in ${LAYOUT.report}`);
  return EXIT.ok;
}

/** Issues (or retries) the Let's Encrypt certificate when a domain is set and none is in use. */
export async function ensureLetsEncrypt(
  stage: StageEnvironment,
  prepared: Prepared,
  acmeServer?: string,
): Promise<{ text: string | null; refreshed: Prepared | null }> {
  const { settings } = prepared;
  if (settings.tlsDomain === null || settings.tlsCertificate !== null) return { text: null, refreshed: null };
  if (prepared.tls.mode === 'letsencrypt')
    return { text: `active for ${settings.tlsDomain}`, refreshed: null };
  stage.log('info', `bootstrap: requesting a Let's Encrypt certificate for ${settings.tlsDomain}`);
  const issued = await requestCertificate({
    root: stage.host.root,
    domain: settings.tlsDomain,
    email: settings.tlsEmail,
    env: stage.env,
    ...(acmeServer === undefined ? {} : { server: acmeServer }),
  });
  if (!issued.ok) {
    stage.log('warning', `bootstrap: Let's Encrypt failed, the appliance CA stays in use: ${issued.reason}`);
    return { text: `failed, appliance CA in use (retried daily): ${issued.reason}`, refreshed: null };
  }
  const tls = prepareTls({ root: stage.host.root, settings, host: prepared.host, now: stage.now() });
  stage.host.services.nginxTest();
  stage.host.services.tryReload(UNITS.nginx);
  stage.log(
    'info',
    `bootstrap: Let's Encrypt certificate installed for ${settings.tlsDomain}; nginx reloaded`,
  );
  return { text: `active for ${settings.tlsDomain}`, refreshed: { ...prepared, tls } };
}

/** The plan's report with what is running now; written (with the state) only when it changed. */
function writeReport(stage: StageEnvironment, prepared: Prepared, runtime: ReportRuntime): void {
  storeRuntime(posix.join(stage.host.root, LAYOUT.stateDir), runtime);
  const report = prepared.plan.files.find((file) => file.path === LAYOUT.report);
  if (report === undefined) return;
  const content = renderReport({
    version: VERSION,
    endpoint: prepared.plan.endpoint,
    sizing: prepared.plan.sizing,
    secrets: prepared.secrets,
    settings: prepared.settings,
    warnings: prepared.warnings,
    tls: prepared.tls,
    runtime,
    ...(prepared.bundleSha256 === undefined ? {} : { bundleSha256: prepared.bundleSha256 }),
  });
  applyFiles([{ ...report, content }], { root: stage.host.root, owners: stage.owners });
}
