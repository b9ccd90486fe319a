/** LocalAI's environment file (systemd EnvironmentFile). Every path is explicit: LocalAI resolves defaults from its CWD. */
import { LAYOUT, LOCALAI_ADDRESS } from '../facts/layout.ts';
import { MODEL, REQUEST_BODY_LIMIT_MIB } from '../facts/model.ts';
import type { Sizing } from '../sizing/sizingPlan.ts';

/** Directories LocalAI writes to; the unit's ReadWritePaths are rendered from the same list. */
export const LOCALAI_WRITABLE_PATHS = [
  LAYOUT.localaiConfigDir,
  LAYOUT.localaiDataDir,
  LAYOUT.localaiGenerated,
  LAYOUT.localaiUploads,
] as const;

export function localaiEnvironment(sizing: Sizing, apiKey: string): ReadonlyArray<readonly [string, string]> {
  return [
    ['LOCALAI_ADDRESS', `${LOCALAI_ADDRESS.host}:${LOCALAI_ADDRESS.port}`],
    // Only the relay knows it: nothing else on the VM reaches LocalAI's API (and its admin routes) directly.
    ['LOCALAI_API_KEY', apiKey],
    ['LOCALAI_MODELS_PATH', LAYOUT.localaiModels],
    ['LOCALAI_BACKENDS_PATH', LAYOUT.localaiBackends],
    ['LOCALAI_BACKENDS_SYSTEM_PATH', LAYOUT.localaiBackends],
    ['LOCALAI_CONFIG_DIR', LAYOUT.localaiConfigDir],
    ['LOCALAI_DATA_PATH', LAYOUT.localaiDataDir],
    ['LOCALAI_GENERATED_CONTENT_PATH', LAYOUT.localaiGenerated],
    ['LOCALAI_UPLOAD_PATH', LAYOUT.localaiUploads],
    ['LOCALAI_THREADS', String(sizing.threads)],
    ['LOCALAI_CONTEXT_SIZE', String(sizing.contextSize)],
    ['LOCALAI_LOAD_TO_MEMORY', MODEL.id],
    ['LOCALAI_MAX_ACTIVE_BACKENDS', '1'],
    // The edge is nginx: no web UI, no galleries (no outbound calls), no runtime overrides of this file.
    ['LOCALAI_DISABLE_WEBUI', 'true'],
    ['LOCALAI_DISABLE_GALLERY_ENDPOINT', 'true'],
    ['LOCALAI_AUTOLOAD_GALLERIES', 'false'],
    ['LOCALAI_AUTOLOAD_BACKEND_GALLERIES', 'false'],
    ['LOCALAI_GALLERIES', '[]'],
    ['LOCALAI_BACKEND_GALLERIES', '[]'],
    ['LOCALAI_DISABLE_RUNTIME_SETTINGS', 'true'],
    // A CPU prefill of a long Cline prompt plus generation outlasts the busy watchdog's 5 minutes.
    ['LOCALAI_WATCHDOG_BUSY', 'false'],
    ['LOCALAI_WATCHDOG_IDLE', 'false'],
    ['LOCALAI_UPLOAD_LIMIT', String(REQUEST_BODY_LIMIT_MIB)],
    ['LOCALAI_LOG_LEVEL', 'info'],
  ];
}

export function renderLocalaiEnv(sizing: Sizing, apiKey: string): string {
  const lines = localaiEnvironment(sizing, apiKey).map(([name, value]) => `${name}=${value}`);
  return `# Written by slm-copilot from the plan; changes here are overwritten at the next boot.\n${lines.join('\n')}\n`;
}
