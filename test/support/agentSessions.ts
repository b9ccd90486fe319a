/**
 * Coding-agent sessions against the real engine for the warm-up suites and `npm run bench:warmup`: an agent's long
 * system prompt (its working directory near the top, so two workspaces share only the first lines) and 25 tool
 * definitions, sent streamed through the relay with the key name nginx would set; what llama-server reports for
 * each request (`timings`: tokens recomputed, tokens taken from its caches, prompt time) and when the first token
 * arrived. Also a relay with prefix learning on in front of an engine, and an engine restart on the same port, as
 * a LocalAI restart looks to the relay.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningRelay, startRelay } from '../../src/appliance/relay/server.ts';
import { agentSystemPrompt, nativeTools } from '../../src/client/prompts/clinePrompts.ts';
import { KEY_NAME_HEADER } from '../../src/core/facts/headers.ts';
import { renderRelayKeyNames } from '../../src/core/render/relayConfig.ts';
import { type EngineOptions, MODEL_ID, type RunningEngine, startEngine } from '../../tools/engine/server.ts';

/** Cline's 7 tools and 18 more of the same shape: an agent with 25 tool definitions. */
export const AGENT_TOOLS: readonly unknown[] = [
  ...nativeTools(),
  ...Array.from({ length: 18 }, (_, i) => ({
    type: 'function',
    function: {
      name: `workspace_tool_${i}`,
      description: `Workspace operation number ${i}: reads or changes files under the project root and reports what it did.`,
      parameters: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'A path relative to the workspace root.' },
          recursive: { type: 'boolean', description: 'Whether to descend into directories.' },
        },
        required: ['path'],
      },
    },
  })),
];

/** The agent's system prompt for one workspace, about `tokens` tokens; the directory is named in its first lines. */
export function agentSystem(tokens: number, workspace = 'dev'): string {
  return agentSystemPrompt(tokens).replaceAll('/home/dev', `/home/${workspace}`);
}

export interface Message {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** llama-server's own account of a request's prompt. */
export interface Timings {
  /** Prompt tokens computed for this request. */
  readonly prompt_n: number;
  /** Prompt tokens taken from the slot or the host-RAM cache. */
  readonly cache_n: number;
  readonly prompt_ms: number;
}

export interface Turn {
  readonly timings: Timings;
  /** From sending the request to the first streamed token. */
  readonly firstTokenMs: number;
  readonly text: string;
}

export interface TurnRequest {
  readonly key: string;
  readonly messages: readonly Message[];
  readonly tools?: readonly unknown[];
  readonly maxTokens?: number;
}

/** One streamed chat completion; `baseUrl` is a relay or llama-server itself. */
export async function streamTurn(baseUrl: string, request: TurnRequest): Promise<Turn> {
  const started = performance.now();
  const res = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [KEY_NAME_HEADER]: request.key },
    body: JSON.stringify({
      model: MODEL_ID,
      messages: request.messages,
      ...(request.tools === undefined ? {} : { tools: request.tools }),
      max_tokens: request.maxTokens ?? 1,
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  assert.ok(res.body !== null);
  let firstTokenMs: number | null = null;
  let timings: Timings | null = null;
  let text = '';
  let pending = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('data:') || line.includes('[DONE]')) continue;
      const event = JSON.parse(line.slice(5)) as {
        choices?: { delta?: { content?: string | null } }[];
        timings?: Timings;
      };
      const content = event.choices?.[0]?.delta?.content;
      if (typeof content === 'string' && content !== '') {
        firstTokenMs ??= performance.now() - started;
        text += content;
      }
      if (event.timings !== undefined) timings = event.timings;
    }
  }
  assert.ok(timings !== null, 'llama-server reported no timings');
  return { timings, firstTokenMs: firstTokenMs ?? performance.now() - started, text };
}

/** An agent's first request of a session: its system prompt, the tools, a new task. */
export function firstTurn(key: string, system: string, task: string): TurnRequest {
  return {
    key,
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: `<task>${task}</task>` },
    ],
    tools: AGENT_TOOLS,
  };
}

/** A short request with its own system prompt (nothing to share with the agents' prefixes). */
export function shortTurn(name: string): TurnRequest {
  return {
    key: name,
    messages: [
      { role: 'system', content: `You answer ${name} in one word.` },
      { role: 'user', content: 'Ready?' },
    ],
  };
}

/** A fresh prefix store path in its own temporary directory. */
export const storeIn = (name: string): string =>
  join(mkdtempSync(join(tmpdir(), `${name}-`)), 'prefixes.json');

export const relayUrl = (relay: RunningRelay): string => `http://127.0.0.1:${relay.port}`;

/** The share of the prompt llama-server computed instead of taking it from a cache. */
export const recomputed = (t: Timings): number => t.prompt_n / (t.prompt_n + t.cache_n);

export const describeTimings = (t: Timings): string =>
  `${t.prompt_n} of ${t.prompt_n + t.cache_n} recomputed (${(recomputed(t) * 100).toFixed(1)}%, ${t.prompt_ms.toFixed(0)} ms)`;

export interface WarmingRelayOptions {
  readonly storePath: string;
  /** The key names the appliance's configuration lists (relay-key-names.json). */
  readonly keyNames: readonly string[];
  readonly prefixes?: number;
  readonly budgetTokens?: number;
  readonly idleMs?: number;
  readonly log?: (line: string) => void;
}

/** The relay in front of `engine` with prefix learning and re-warming on, as the appliance renders it. */
export function warmingRelay(engine: RunningEngine, options: WarmingRelayOptions): Promise<RunningRelay> {
  const keyNamesPath = `${options.storePath}.key-names.json`;
  writeFileSync(keyNamesPath, renderRelayKeyNames([...options.keyNames]));
  return startRelay({
    port: 0,
    upstreamUrl: engine.url,
    readiness: { pollIntervalMs: 100 },
    warmup: {
      prefixes: options.prefixes ?? 8,
      budgetTokens: options.budgetTokens ?? 100_000,
      storePath: options.storePath,
      keyNamesPath,
      idleMs: options.idleMs ?? 300,
      saveDelayMs: 0,
    },
    log: options.log ?? (() => {}),
  });
}

/** Stops the engine and starts a new one on the same port: to the relay, LocalAI restarting (caches empty). */
export async function restartEngine(engine: RunningEngine, options: EngineOptions): Promise<RunningEngine> {
  await engine.stop();
  return startEngine({ ...options, port: engine.port });
}

/** One sample of the relay's /metrics text, e.g. `slm_copilot_warmup_passes_total` (0 when absent). */
export function relayMetric(relay: RunningRelay, sample: string): number {
  const line = relay
    .metrics()
    .split('\n')
    .find((text) => text.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

/** The relay's count of warm-ups that ended with `outcome`. */
export const warmups = (relay: RunningRelay, outcome: 'ok' | 'cancelled' | 'error' = 'ok'): number =>
  relayMetric(relay, `slm_copilot_warmup_requests_total{outcome="${outcome}"}`);
