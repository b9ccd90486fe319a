// TEST STAND-IN contract for LocalAI. Not the product, never shipped or bundled; a tool under tools/ only.
// The assertions that define "behaves like LocalAI v4.9.0 serving devstral-small-2" (CONTRACT.md), runnable against
// the stand-in (contract.test.ts) and against a real LocalAI (scripts/contract.ts, `npm run contract`).
import assert from 'node:assert/strict';
import {
  arr,
  checkChatChunk,
  checkToolCallStream,
  checkUsage,
  errorOf,
  firstChoice,
  type Json,
  obj,
  str,
} from './contractShapes.ts';
import { jsonEvents, readSse, type SseEvent } from './sseClient.ts';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  /** What was seen (pass), what was wrong (fail), or why it could not run (skip). */
  readonly detail: string;
}

export interface ContractReport {
  /** No check failed (skips are fine). */
  readonly ok: boolean;
  readonly results: readonly CheckResult[];
}

export interface ContractOptions {
  /** Sent as `Authorization: Bearer <key>`; also enables the authentication checks. */
  readonly apiKey?: string;
  /** Model id to use; default devstral-small-2 when listed, else the first listed model. */
  readonly model?: string;
  /** The server's context window; when given, an over-long prompt is sent and its error checked. */
  readonly contextSize?: number;
  /** Per-request timeout (default 10 minutes: a real CPU server may be loading the model). */
  readonly requestTimeoutMs?: number;
  /**
   * Run the host prompt-cache check (issue 13: what the relay's prefix warm-up relies on): three ~1.5k-token
   * prefills, minutes on a CPU, so it is opt-in (`--prompt-cache`).
   */
  readonly promptCache?: boolean;
  /** Called with each result as soon as it is known. */
  readonly onResult?: (result: CheckResult) => void;
}

/** Thrown by a check that cannot run against this server. */
class Skip extends Error {}

interface Context {
  readonly base: string;
  readonly options: ContractOptions;
  model: string;
  request(path: string, init?: RequestInit & { auth?: boolean }): Promise<Response>;
  chat(body: Record<string, unknown>): Promise<Response>;
}

const SHORT_PROMPT = [{ role: 'user', content: 'Reply with one short sentence: what is 2 + 2?' }];

const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather for a city.',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

async function streamOf(response: Response): Promise<{ events: SseEvent[]; chunks: Json[] }> {
  if (response.status !== 200) assert.fail(`HTTP ${response.status}: ${await peek(response)}`);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events = (await readSse(response)).filter((e) => e.type === 'data');
  assert.ok(events.length >= 2, `only ${events.length} data event(s)`);
  assert.equal(events.at(-1)?.text, '[DONE]', 'the last event is not data: [DONE]');
  assert.equal(events.filter((e) => e.text === '[DONE]').length, 1, '[DONE] more than once');
  const chunks = jsonEvents(events).map((chunk, i) => obj(chunk, `event ${i}`));
  return { events, chunks };
}

async function peek(response: Response): Promise<string> {
  try {
    return (await response.text()).slice(0, 300);
  } catch {
    return '(unreadable body)';
  }
}

async function jsonOf(response: Response, status: number): Promise<Json> {
  const text = await response.text();
  assert.equal(response.status, status, `HTTP ${response.status}, expected ${status}: ${text.slice(0, 300)}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  return obj(JSON.parse(text), 'body');
}

export const PROMPT_CACHE_CHECK =
  'prompt cache: prefixes A, B, then A again (Extra-Usage): the third prompt time is at most 10% of the first';

type Check = readonly [name: string, run: (c: Context) => Promise<string>];

const CHECKS: readonly Check[] = [
  [
    'models: GET /v1/models is {"object":"list","data":[{"id","object":"model"}]}',
    async (c) => {
      const body = await jsonOf(await c.request('/v1/models'), 200);
      assert.equal(body.object, 'list');
      const data = arr(body.data, 'data');
      assert.ok(data.length > 0, 'data is empty');
      const ids = data.map((m, i) => {
        const model = obj(m, `data[${i}]`);
        assert.equal(model.object, 'model');
        return str(model.id, `data[${i}].id`);
      });
      c.model = c.options.model ?? (ids.includes('devstral-small-2') ? 'devstral-small-2' : (ids[0] ?? ''));
      assert.ok(ids.includes(c.model), `model ${c.model} is not listed (${ids.join(', ')})`);
      return `models: ${ids.join(', ')}; using ${c.model}`;
    },
  ],
  [
    'models: GET /models (unversioned alias) answers the same list',
    async (c) => {
      const body = await jsonOf(await c.request('/models'), 200);
      assert.equal(body.object, 'list');
      return 'ok';
    },
  ],
  [
    'health: /healthz 200 and /readyz 200 (or 503 {"status":"starting"}), without a key',
    async (c) => {
      const health = await c.request('/healthz', { auth: false });
      assert.equal(health.status, 200, `/healthz HTTP ${health.status}`);
      const ready = await c.request('/readyz', { auth: false });
      if (ready.status === 503) assert.equal(obj(await ready.json(), 'readyz').status, 'starting');
      else assert.equal(ready.status, 200, `/readyz HTTP ${ready.status}`);
      return `/readyz ${ready.status}`;
    },
  ],
  [
    'chat stream: role chunk first, chunk shape, one finish_reason, no usage, data: [DONE] last',
    async (c) => {
      const response = await c.chat({ messages: SHORT_PROMPT, stream: true, max_tokens: 16 });
      assert.equal(response.headers.get('cache-control'), 'no-cache');
      const correlation = response.headers.get('x-correlation-id');
      const { chunks } = await streamOf(response);
      chunks.forEach((chunk, i) => {
        checkChatChunk(chunk, i);
      });
      const deltas = chunks.map((chunk, i) => obj(firstChoice(chunk), `chunk ${i}: choices[0]`));
      assert.equal(
        obj(deltas[0]?.delta, 'first delta').role,
        'assistant',
        'the first chunk has no delta.role',
      );
      const finished = deltas.filter((choice) => choice.finish_reason !== null);
      assert.equal(finished.length, 1, `${finished.length} chunks carry a finish_reason`);
      assert.ok(
        ['stop', 'length'].includes(String(finished[0]?.finish_reason)),
        'finish_reason not stop/length',
      );
      assert.ok(deltas.at(-1)?.finish_reason !== null, 'the finish_reason chunk is not the last one');
      assert.ok(!chunks.some((chunk) => 'usage' in chunk), 'a chunk carries usage without include_usage');
      assert.equal(new Set(chunks.map((chunk) => chunk.id)).size, 1, 'chunks have different ids');
      assert.equal(correlation, chunks[0]?.id, 'X-Correlation-ID differs from the chunk id');
      const text = deltas.map((choice) => obj(choice.delta, 'delta').content ?? '').join('');
      assert.ok(text.length > 0, 'no content');
      return `${chunks.length} chunks, ${JSON.stringify(text.slice(0, 60))}`;
    },
  ],
  [
    'chat stream: include_usage adds one trailer {"choices":[],"usage":…} right before [DONE]',
    async (c) => {
      const response = await c.chat({
        messages: SHORT_PROMPT,
        stream: true,
        max_tokens: 16,
        stream_options: { include_usage: true },
      });
      const { chunks } = await streamOf(response);
      const trailer = chunks.at(-1);
      assert.ok(trailer, 'no chunks');
      assert.deepEqual(trailer.choices, [], 'the last chunk before [DONE] is not choices: []');
      assert.equal(trailer.object, 'chat.completion.chunk');
      const usage = checkUsage(trailer.usage);
      assert.equal(chunks.filter((chunk) => 'usage' in chunk).length, 1, 'usage in more than one chunk');
      const finish = chunks.at(-2);
      assert.ok(
        finish && firstChoice(finish)?.finish_reason,
        'the chunk before the trailer has no finish_reason',
      );
      return JSON.stringify(usage);
    },
  ],
  [
    'chat: non-streaming chat.completion with message, finish_reason and usage',
    async (c) => {
      const body = await jsonOf(await c.chat({ messages: SHORT_PROMPT, max_tokens: 16 }), 200);
      assert.equal(body.object, 'chat.completion');
      assert.equal(typeof body.id, 'string');
      assert.equal(typeof body.created, 'number');
      assert.equal(body.model, c.model);
      const choice = obj(firstChoice(body), 'choices[0]');
      const message = obj(choice.message, 'message');
      assert.equal(message.role, 'assistant');
      assert.ok(typeof message.content === 'string' && message.content.length > 0, 'empty content');
      assert.ok(
        ['stop', 'length'].includes(String(choice.finish_reason)),
        `finish_reason ${choice.finish_reason}`,
      );
      return JSON.stringify(checkUsage(body.usage));
    },
  ],
  [
    'chat stream + tools: tool_calls deltas merge into a complete call, finish_reason "tool_calls"',
    async (c) => {
      const response = await c.chat({
        messages: [{ role: 'user', content: 'What is the weather in Paris? Use the get_weather tool.' }],
        tools: [WEATHER_TOOL],
        tool_choice: 'required',
        stream: true,
        max_tokens: 256,
      });
      const { chunks } = await streamOf(response);
      const calls = checkToolCallStream(chunks);
      const call = calls[0];
      assert.ok(call, 'no tool call');
      assert.equal(call.name, 'get_weather');
      assert.equal(typeof obj(JSON.parse(call.arguments), 'arguments').city, 'string', 'arguments lack city');
      return `${calls.length} call(s): ${call.name}(${call.arguments})`;
    },
  ],
  [
    'chat + tools, not streaming: message.tool_calls with id, type "function", name, JSON arguments',
    async (c) => {
      const body = await jsonOf(
        await c.chat({
          messages: [{ role: 'user', content: 'What is the weather in Paris? Use the get_weather tool.' }],
          tools: [WEATHER_TOOL],
          tool_choice: 'required',
          max_tokens: 256,
        }),
        200,
      );
      const choice = obj(firstChoice(body), 'choices[0]');
      assert.equal(choice.finish_reason, 'tool_calls');
      const call = obj(arr(obj(choice.message, 'message').tool_calls, 'tool_calls')[0], 'tool_calls[0]');
      assert.ok(typeof call.id === 'string' && call.id !== '', 'tool call without id');
      assert.equal(call.type, 'function');
      const fn = obj(call.function, 'function');
      assert.equal(fn.name, 'get_weather');
      const args = str(fn.arguments, 'function.arguments');
      assert.doesNotThrow(() => JSON.parse(args), `arguments are not JSON: ${args}`);
      return `id ${call.id}, arguments ${args}`;
    },
  ],
  [
    'completions stream: text_completion chunks, finish_reason "stop", data: [DONE] last',
    async (c) => {
      const response = await c.request('/v1/completions', {
        method: 'POST',
        body: JSON.stringify({
          model: c.model,
          prompt: 'The capital of France is',
          max_tokens: 8,
          stream: true,
        }),
      });
      const { chunks } = await streamOf(response);
      for (const chunk of chunks) assert.equal(chunk.object, 'text_completion');
      const last = chunks.at(-1);
      assert.equal(last && firstChoice(last)?.finish_reason, 'stop');
      return `${chunks.length} chunks`;
    },
  ],
  [
    'completions: non-streaming text_completion with choices[0].text',
    async (c) => {
      const response = await c.request('/v1/completions', {
        method: 'POST',
        body: JSON.stringify({ model: c.model, prompt: 'The capital of France is', max_tokens: 8 }),
      });
      const body = await jsonOf(response, 200);
      assert.equal(body.object, 'text_completion');
      str(firstChoice(body)?.text, 'choices[0].text');
      obj(body.usage, 'usage');
      return 'ok';
    },
  ],
  [
    'errors: unknown model → 404 {"error":{"code":404,"message":…}}',
    async (c) => {
      const response = await c.request('/v1/chat/completions', {
        method: 'POST',
        body: JSON.stringify({ model: 'no-such-model', messages: SHORT_PROMPT }),
      });
      const error = errorOf(await jsonOf(response, 404));
      assert.equal(error.code, 404);
      assert.match(str(error.message, 'message'), /no-such-model/);
      return String(error.message);
    },
  ],
  [
    'errors: malformed JSON body → 400 {"error":{"code":400,"message":…}}',
    async (c) => {
      const response = await c.request('/v1/chat/completions', { method: 'POST', body: '{"model": ' });
      const error = errorOf(await jsonOf(response, 400));
      assert.equal(error.code, 400);
      return String(error.message);
    },
  ],
  [
    'errors: unknown route → 404 {"error":{"code":404,"message":"Resource not found"}}',
    async (c) => {
      const error = errorOf(await jsonOf(await c.request('/v1/no-such-route'), 404));
      assert.equal(error.code, 404);
      return String(error.message);
    },
  ],
  [
    'errors: over-long prompt, not streaming → a JSON error that names the context size',
    async (c) => {
      const response = await c.chat({ messages: overlongPrompt(c), max_tokens: 8 });
      assert.ok(response.status >= 400, `HTTP ${response.status}: the over-long prompt was accepted`);
      const error = errorOf(await jsonOf(response, response.status));
      assert.match(String(error.message), /context/i);
      return `HTTP ${response.status}: ${error.message}`;
    },
  ],
  [
    'errors: over-long prompt, streaming → an HTTP error or an SSE error event, never a normal finish',
    async (c) => {
      const response = await c.chat({ messages: overlongPrompt(c), max_tokens: 8, stream: true });
      if (response.status >= 400) {
        const error = errorOf(await jsonOf(response, response.status));
        assert.match(String(error.message), /context/i);
        return `HTTP ${response.status}: ${error.message}`;
      }
      const { chunks } = await streamOf(response);
      const failure = chunks.find((chunk) => chunk.error !== undefined);
      assert.ok(failure, 'no error event in the stream');
      const error = errorOf(failure);
      assert.match(String(error.message), /context/i);
      const finished = chunks.filter(
        (chunk) => chunk.choices !== undefined && firstChoice(chunk)?.finish_reason,
      );
      assert.equal(finished.length, 0, 'the stream also finished normally');
      return `HTTP 200, SSE error event: ${error.message}`;
    },
  ],
  [
    'auth: no key / wrong key → 401 {"error":{"code":401,…}} with WWW-Authenticate: Bearer',
    async (c) => {
      if (!c.options.apiKey)
        throw new Skip('no API key given: the server is taken to run without LOCALAI_API_KEY');
      for (const headers of [{}, { Authorization: 'Bearer wrong-key' }]) {
        const response = await c.request('/v1/models', { auth: false, headers });
        assert.equal(response.headers.get('www-authenticate'), 'Bearer');
        assert.equal(errorOf(await jsonOf(response, 401)).code, 401);
      }
      return 'ok';
    },
  ],
  [
    'auth: the key is accepted as Bearer and as x-api-key',
    async (c) => {
      const key = c.options.apiKey;
      if (!key) throw new Skip('no API key given');
      const viaHeader = await c.request('/v1/models', { auth: false, headers: { 'x-api-key': key } });
      assert.equal(viaHeader.status, 200, `x-api-key: HTTP ${viaHeader.status}`);
      return 'ok';
    },
  ],
  [
    PROMPT_CACHE_CHECK,
    async (c) => {
      if (!c.options.promptCache)
        throw new Skip('opt-in (--prompt-cache): three ~1.5k-token prefills take minutes on a CPU');
      return promptCacheCheck(c);
    },
  ],
  [
    'timing: no header before the first token (late headers)',
    async () => {
      throw new Skip(
        'a real server cannot be told to delay its first token; localaiStandin.test.ts measures it',
      );
    },
  ],
  [
    'errors: backend failure mid-stream → data: {"error":…} then data: [DONE]',
    async () => {
      throw new Skip(
        'a real backend cannot be made to fail on request; localaiStandin.test.ts covers the shape',
      );
    },
  ],
  [
    'cancellation: a client disconnect stops generation',
    async () => {
      throw new Skip('not observable from outside a real server; localaiStandin.test.ts checks the stand-in');
    },
  ],
];

/** A system prompt of about `tokens` tokens of code-like text, distinct per name from its first line on. */
function prefixText(name: string, tokens: number): string {
  const lines = [`You are the ${name} coding agent. Follow the project's conventions.`];
  for (let i = 0; lines.join('\n').length < tokens * 4; i++)
    lines.push(`export const ${name}_${i} = (input: number[]) => input.map((v) => v * ${i} + ${i % 7});`);
  return lines.join('\n');
}

/** Prompt-processing milliseconds of one streamed request: LocalAI's Extra-Usage timing, or llama-server's. */
async function promptMs(c: Context, system: string, task: string): Promise<number | null> {
  const response = await c.request('/v1/chat/completions', {
    method: 'POST',
    headers: { 'extra-usage': 'true' },
    body: JSON.stringify({
      model: c.model,
      temperature: 0,
      max_tokens: 1,
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: task },
      ],
    }),
  });
  if (response.status !== 200) assert.fail(`HTTP ${response.status}: ${await peek(response)}`);
  let found: number | null = null;
  for (const chunk of jsonEvents(await readSse(response))) {
    const record = chunk as {
      usage?: { timing_prompt_processing?: unknown };
      timings?: { prompt_ms?: unknown };
    };
    const ms = record.usage?.timing_prompt_processing ?? record.timings?.prompt_ms;
    if (typeof ms === 'number') found = ms;
  }
  return found;
}

/** Exported for the real-engine acceptance test (llama-server has no /readyz, so not the whole contract). */
export async function promptCacheCheck(c: Pick<Context, 'request' | 'model'>): Promise<string> {
  const a = prefixText('alpha', 1500);
  const b = prefixText('beta', 1500);
  const first = await promptMs(c as Context, a, 'List the exported names.');
  if (first === null)
    throw new Skip('no prompt-processing time in the answer (Extra-Usage not honoured, no timings)');
  await promptMs(c as Context, b, 'List the exported names.');
  const third = await promptMs(c as Context, a, 'Which of them multiply by 3?');
  assert.ok(third !== null, 'the third answer has no prompt-processing time');
  const ratio = first === 0 ? 1 : third / first;
  assert.ok(
    ratio <= 0.1,
    `A again took ${third.toFixed(0)} ms to prefill, ${(ratio * 100).toFixed(0)}% of A's first ${first.toFixed(0)} ms: A's prefix did not come back from the host prompt cache (cache_ram)`,
  );
  return `A ${first.toFixed(0)} ms, A again after B ${third.toFixed(0)} ms (${(ratio * 100).toFixed(1)}%)`;
}

/** The prompt-cache check alone against a server (the real-engine acceptance test). */
export function runPromptCacheCheck(baseUrl: string, options: ContractOptions = {}): Promise<string> {
  return promptCacheCheck(context(baseUrl, options));
}

function overlongPrompt(c: Context): { role: string; content: string }[] {
  const contextSize = c.options.contextSize;
  if (!contextSize)
    throw new Skip('no context size given (--context-size N): cannot build an over-long prompt');
  return [{ role: 'user', content: ' hello'.repeat(contextSize + 256) }];
}

function context(baseUrl: string, options: ContractOptions): Context {
  const base = baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  const timeout = options.requestTimeoutMs ?? 600_000;
  const c: Context = {
    base,
    options,
    model: options.model ?? 'devstral-small-2',
    request(path, init = {}) {
      const { auth = true, headers, ...rest } = init;
      const all = new Headers(headers);
      if (!all.has('content-type') && rest.body !== undefined) all.set('content-type', 'application/json');
      if (!all.has('accept')) all.set('accept', 'application/json');
      if (auth && options.apiKey) all.set('authorization', `Bearer ${options.apiKey}`);
      return fetch(`${base}${path}`, { ...rest, headers: all, signal: AbortSignal.timeout(timeout) });
    },
    chat(body) {
      return c.request('/v1/chat/completions', {
        method: 'POST',
        body: JSON.stringify({ model: c.model, temperature: 0, ...body }),
      });
    },
  };
  return c;
}

/** Runs every check in order against baseUrl (the server root; a trailing /v1 is ignored). */
export async function runContract(baseUrl: string, options: ContractOptions = {}): Promise<ContractReport> {
  const c = context(baseUrl, options);
  const results: CheckResult[] = [];
  for (const [name, run] of CHECKS) {
    let result: CheckResult;
    try {
      result = { name, status: 'pass', detail: await run(c) };
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      result = { name, status: err instanceof Skip ? 'skip' : 'fail', detail };
    }
    results.push(result);
    options.onResult?.(result);
  }
  return { ok: results.every((r) => r.status !== 'fail'), results };
}

/** One line per result: "PASS name — detail". */
export function formatResult(result: CheckResult): string {
  return `${result.status.toUpperCase()} ${result.name}${result.detail ? ` — ${result.detail}` : ''}`;
}
