/**
 * What to type into Cline and how to make VS Code trust the appliance CA, on Linux, macOS and Windows. Pure:
 * text from facts (Base URL with /v1, API key, model id, context window, Supports Images).
 */
import { LAYOUT } from '../../core/facts/layout.ts';

export interface ClineFacts {
  readonly baseUrl: string;
  /** null: the reader takes it from the report. */
  readonly key: string | null;
  readonly model: string;
  readonly contextWindow: number | null;
}

export const REPORT = `${LAYOUT.report} on the VM, root only`;

export function clineSettingsLines(facts: ClineFacts): string[] {
  const fromReport = (field: string) => `${field} from the [Cline] section of the report (${REPORT})`;
  const main: [string, string][] = [
    ['API Provider', 'OpenAI Compatible'],
    ['Base URL', facts.baseUrl],
    ['API Key', facts.key ?? fromReport('api_key')],
    ['Model ID', facts.model],
  ];
  const model: [string, string][] = [
    [
      'Context Window Size',
      facts.contextWindow === null ? fromReport('context_window_size') : String(facts.contextWindow),
    ],
    ['Supports Images', 'off (unchecked): no vision model is loaded'],
  ];
  const width = Math.max(...[...main, ...model].map(([name]) => name.length)) + 4;
  return [
    "In VS Code open Cline's settings (the gear icon) and enter:",
    ...main.map(([name, value]) => `  ${name.padEnd(width)}${value}`),
    '  Model Configuration:',
    ...model.map(([name, value]) => `    ${name.padEnd(width - 2)}${value}`),
  ];
}

export type Platform = 'linux' | 'darwin' | 'win32';

function linux(path: string): string[] {
  return [
    'Linux:',
    '  NODE_EXTRA_CA_CERTS for your session (then log out and in, and start VS Code again):',
    `    echo 'export NODE_EXTRA_CA_CERTS="${path}"' >> ~/.profile`,
    "  or the system trust store (VS Code's http.systemCertificates setting, on by default, uses it):",
    `    Debian/Ubuntu: sudo cp "${path}" /usr/local/share/ca-certificates/slm-copilot.crt && sudo update-ca-certificates`,
    `    Fedora/RHEL:   sudo cp "${path}" /etc/pki/ca-trust/source/anchors/slm-copilot.pem && sudo update-ca-trust`,
  ];
}

function macos(path: string): string[] {
  return [
    'macOS:',
    '  NODE_EXTRA_CA_CERTS for apps started from the Dock (until you log out; then quit and reopen VS Code):',
    `    launchctl setenv NODE_EXTRA_CA_CERTS "${path}"`,
    "  or the System keychain (VS Code's http.systemCertificates setting, on by default, uses it):",
    `    sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain "${path}"`,
  ];
}

function windows(path: string): string[] {
  return [
    'Windows (PowerShell):',
    '  NODE_EXTRA_CA_CERTS for your user (then quit and reopen VS Code):',
    `    setx NODE_EXTRA_CA_CERTS "${path}"`,
    "  or your user's trusted roots (VS Code's http.systemCertificates setting, on by default, uses them):",
    `    Import-Certificate -FilePath "${path}" -CertStoreLocation Cert:\\CurrentUser\\Root`,
  ];
}

/** This platform's commands with the saved file's path first, the other two with a placeholder. */
export function trustLines(savedPath: string, platform: Platform): string[] {
  const sections: Record<Platform, (path: string) => string[]> = { linux, darwin: macos, win32: windows };
  const others = (['linux', 'darwin', 'win32'] as const).filter((name) => name !== platform);
  return [
    `Make VS Code trust the appliance CA (saved as ${savedPath}). Either way works for Cline; NODE_EXTRA_CA_CERTS is the surest:`,
    ...sections[platform](savedPath),
    ...others.flatMap((name) => sections[name]('<path to the saved ca.pem>')),
    'Quit VS Code completely and start it again afterwards: Node reads NODE_EXTRA_CA_CERTS only when it starts.',
  ];
}

/** The context window a server states for a model, where it states one (none of LocalAI's answers do yet). */
export function contextWindowFrom(
  model: string,
  modelsBody: string | null,
  healthBody: string | null,
): number | null {
  const fields = [
    'context_window',
    'context_length',
    'context_size',
    'max_model_len',
    'max_context_length',
    'n_ctx',
  ];
  const pick = (object: unknown): number | null => {
    if (typeof object !== 'object' || object === null) return null;
    const record = object as Record<string, unknown>;
    for (const field of fields) {
      const value = record[field];
      if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
    }
    return null;
  };
  const parse = (text: string | null): unknown => {
    if (text === null) return null;
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  };
  const models = parse(modelsBody) as { data?: unknown } | null;
  const entry = Array.isArray(models?.data)
    ? models.data.find((item) => (item as { id?: unknown } | null)?.id === model)
    : undefined;
  return pick(entry) ?? pick((entry as { meta?: unknown } | undefined)?.meta) ?? pick(parse(healthBody));
}
