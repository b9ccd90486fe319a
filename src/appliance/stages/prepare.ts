/**
 * The common first half of configure and bootstrap: settings, host facts, secrets, TLS and the plan.
 * Nothing is written before the settings and the sizing are known to be valid.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { LAYOUT } from '../../core/facts/layout.ts';
import { VERSION } from '../../core/facts/version.ts';
import type { HostFacts } from '../../core/host/types.ts';
import { computePlan, type Plan, type TlsSummary } from '../../core/plan/plan.ts';
import type { Settings } from '../../core/settings/declarations.ts';
import { loadSettings } from '../../core/settings/load.ts';
import { resolveSecrets, type Secrets } from '../../core/settings/secrets.ts';
import type { SettingsProblem } from '../../core/settings/types.ts';
import { randomSecrets, readStoredSecrets, storeSecrets } from '../apply/secretStore.ts';
import { readHostFacts } from '../host/reader.ts';
import { prepareTls } from '../tls/tlsStep.ts';
import type { StageEnvironment } from './environment.ts';
import { readRuntime } from './runtimeState.ts';

function bundleDigest(root: string): { bundleSha256?: string } {
  const path = posix.join(root, LAYOUT.bundle);
  return existsSync(path)
    ? { bundleSha256: createHash('sha256').update(readFileSync(path)).digest('hex') }
    : {};
}

export interface Prepared {
  readonly settings: Settings;
  readonly host: HostFacts;
  readonly secrets: Secrets;
  readonly tls: TlsSummary & { readonly issued: boolean };
  readonly plan: Plan;
  readonly warnings: readonly string[];
  readonly bundleSha256?: string;
}

export type PrepareResult =
  | { readonly ok: true; readonly prepared: Prepared }
  | { readonly ok: false; readonly problems: readonly SettingsProblem[] };

export function prepare(stage: StageEnvironment): PrepareResult {
  const now = stage.now();
  const loaded = loadSettings(stage.contextValues, { now });
  if (!loaded.ok) return { ok: false, problems: loaded.problems };
  const host = readHostFacts({
    procDir: stage.procDir,
    diskPath: posix.join(stage.root, LAYOUT.localaiModels),
  });
  const stateDir = posix.join(stage.root, LAYOUT.stateDir);
  const { secrets, store } = resolveSecrets(loaded.settings, readStoredSecrets(stateDir), randomSecrets);
  const runtime = readRuntime(stateDir);
  const input = {
    settings: loaded.settings,
    host,
    secrets,
    version: VERSION,
    target: stage.target,
    ...(runtime === null ? {} : { runtime }),
    ...bundleDigest(stage.root),
  };
  // Validate the sizing before anything is written (TLS issuance and secrets included).
  const dryRun = computePlan({ ...input, tls: null });
  if (!dryRun.ok) return { ok: false, problems: dryRun.errors };
  storeSecrets(stateDir, store);
  const tls = prepareTls({ root: stage.root, settings: loaded.settings, host, now });
  const planned = computePlan({ ...input, tls });
  if (!planned.ok) return { ok: false, problems: planned.errors };
  return {
    ok: true,
    prepared: {
      settings: loaded.settings,
      host,
      secrets,
      tls,
      plan: planned.plan,
      warnings: [...loaded.warnings, ...planned.warnings],
      ...(input.bundleSha256 === undefined ? {} : { bundleSha256: input.bundleSha256 }),
    },
  };
}
