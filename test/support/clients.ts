/** Runs the real client libraries in child processes, trusting a CA only through NODE_EXTRA_CA_CERTS. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const OPENAI_CHAT = fileURLToPath(new URL('./openaiChat.ts', import.meta.url));
const SDK_CHAT = fileURLToPath(new URL('./sdkChat.ts', import.meta.url));

export interface ClientResult {
  readonly ok: boolean;
  readonly content?: string;
  readonly chunks?: number;
  readonly usage?: { prompt_tokens: number; completion_tokens: number } | null;
  readonly toolCalls?: { name: string; arguments: string }[];
  readonly status?: number | null;
  readonly code?: string | null;
  readonly message?: string;
}

export function openaiChat(env: {
  BASE_URL: string;
  API_KEY: string;
  CA_FILE: string;
  STREAM?: string;
  TOOLS?: string;
}): Promise<ClientResult> {
  return clientChild(OPENAI_CHAT, env);
}

/** One request (any body: messages, tools, tool_choice, stream) with the openai SDK or the AI SDK (sdkChat.ts). */
export function sdkChat(
  sdk: 'openai' | 'ai',
  gateway: { baseUrl: string; key: string; caFile: string },
  request: Record<string, unknown>,
  timeoutMs = 120_000,
): Promise<ClientResult & { finishReason?: string | null }> {
  return clientChild(
    SDK_CHAT,
    {
      SDK: sdk,
      BASE_URL: gateway.baseUrl,
      API_KEY: gateway.key,
      CA_FILE: gateway.caFile,
      REQUEST: JSON.stringify(request),
    },
    timeoutMs,
  );
}

function clientChild(
  script: string,
  env: { CA_FILE: string } & Record<string, string>,
  timeoutMs = 60_000,
): Promise<ClientResult> {
  const { CA_FILE, ...rest } = env;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script],
      { env: { PATH: process.env.PATH ?? '', NODE_EXTRA_CA_CERTS: CA_FILE, ...rest }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        if (error && !stdout) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ClientResult);
      },
    );
  });
}

export function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['--silent', '--show-error', ...args],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
