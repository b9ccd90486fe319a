/**
 * The whole serving path on the real engine: llama.cpp's llama-server (tools/engine/server.ts, run as LocalAI runs
 * it) behind `slm-copilot sandbox` (real nginx → relay), with the relay's grace and keep-alive interval short so a
 * test waits seconds, not minutes. Also what the engine suites read from llama-server directly on its own port
 * (/slots, /metrics, /tokenize), and a streamed request through the gateway that records what arrived when.
 *
 * The models are generated: answers are noise; tokens, timings and caching are real; token counts follow the
 * borrowed tokenizer (llama-bpe), and Devstral's markers are plain text in it, not control tokens.
 */
import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type EngineOptions, type RunningEngine, startEngine } from '../../tools/engine/server.ts';
import { type SandboxFront, startSandboxFront } from './gateway.ts';
import { bearer, request } from './https.ts';

export { MODEL_ID } from '../../tools/engine/server.ts';

export interface EngineGateway extends SandboxFront {
  readonly engine: RunningEngine;
  /** What llama-server answered, byte for byte, when started with `record: true` (else empty). */
  readonly exchanges: readonly Exchange[];
  /** https://127.0.0.1:PORT/v1, for OpenAI clients. */
  readonly baseUrl: string;
  close(): Promise<void>;
}

export interface EngineGatewayOptions {
  readonly engine?: EngineOptions;
  /** Seconds before the relay sends headers and keep-alives (ONEAPP_COPILOT_API_STREAM_GRACE). */
  readonly graceSeconds?: number;
  /** Seconds between keep-alive comments (ONEAPP_COPILOT_API_KEEPALIVE_INTERVAL). */
  readonly keepAliveSeconds?: number;
  /** Put a recording proxy between the relay and llama-server (exchanges). */
  readonly record?: boolean;
}

/** One request the relay sent to llama-server and the answer it got, as the bytes went by. */
export interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly requestBody: string;
  readonly status: number;
  readonly responseBody: string;
}

/** A pass-through HTTP proxy to `target` that records each exchange; a client that leaves is passed on. */
async function recordingProxy(
  target: string,
  exchanges: Exchange[],
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (chunk: Buffer) => body.push(chunk));
    req.on('end', () => {
      const upstream = httpRequest(
        new URL(req.url ?? '/', target),
        { method: req.method, headers: req.headers, agent: false },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            res.write(chunk);
          });
          answer.on('end', () => {
            exchanges.push({
              method: req.method ?? '',
              path: req.url ?? '',
              requestBody: Buffer.concat(body).toString('utf8'),
              status: answer.statusCode ?? 0,
              responseBody: Buffer.concat(chunks).toString('utf8'),
            });
            res.end();
          });
        },
      );
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      upstream.end(Buffer.concat(body));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

export async function startEngineGateway(options: EngineGatewayOptions = {}): Promise<EngineGateway> {
  const engine = await startEngine({ readyTimeoutMs: 180_000, ...options.engine });
  const exchanges: Exchange[] = [];
  const proxy = options.record ? await recordingProxy(engine.url, exchanges) : null;
  const stopEngine = async () => {
    proxy?.server.closeAllConnections();
    proxy?.server.close();
    await engine.stop();
  };
  let front: SandboxFront;
  try {
    front = await startSandboxFront(proxy?.url ?? engine.url, {
      context: [
        `ONEAPP_COPILOT_API_STREAM_GRACE='${options.graceSeconds ?? 1}'`,
        `ONEAPP_COPILOT_API_KEEPALIVE_INTERVAL='${options.keepAliveSeconds ?? 1}'`,
      ],
    });
  } catch (error) {
    await stopEngine();
    throw error;
  }
  // The relay warms the model up (one token) once it sees it ready: wait for that, so tests start on an idle slot.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const health = await request(`${front.sandbox.url}/health`, { ca: front.caPem }).catch(() => null);
    if (health?.status === 200 && health.body.includes('"ready"')) break;
    if (Date.now() > deadline) {
      await front.sandbox.stop();
      await stopEngine();
      throw new Error(`the relay did not report ready: ${health?.status} ${health?.body}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    engine,
    exchanges,
    ...front,
    baseUrl: `${front.sandbox.url}/v1`,
    close: async () => {
      await front.sandbox.stop();
      await stopEngine();
    },
  };
}

/** One entry of llama-server's GET /slots (the fields the suites read; the task fields appear after a first task). */
export interface Slot {
  readonly id: number;
  readonly is_processing: boolean;
  readonly id_task?: number;
  readonly n_prompt_tokens?: number;
  readonly n_prompt_tokens_processed?: number;
  readonly n_prompt_tokens_cache?: number;
  readonly next_token?: ReadonlyArray<{ readonly n_decoded: number; readonly has_next_token: boolean }>;
}

/** The one slot (-np 1) as llama-server reports it now. */
export async function slot(engine: RunningEngine): Promise<Slot> {
  const slots = (await (await fetch(`${engine.url}/slots`)).json()) as Slot[];
  if (slots.length !== 1) throw new Error(`expected one slot, got ${JSON.stringify(slots)}`);
  return slots[0] as Slot;
}

/** Polls /slots until the predicate holds (every 50 ms); throws with the last slot after timeoutMs. */
export async function waitForSlot(
  engine: RunningEngine,
  predicate: (s: Slot) => boolean,
  timeoutMs = 60_000,
): Promise<Slot> {
  const deadline = Date.now() + timeoutMs;
  let last = await slot(engine);
  while (!predicate(last)) {
    if (Date.now() > deadline)
      throw new Error(`slot not as expected in ${timeoutMs} ms: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await slot(engine);
  }
  return last;
}

/** llama-server's Prometheus counters (--metrics), by name without the `llamacpp:` prefix. */
export async function engineMetrics(engine: RunningEngine): Promise<Record<string, number>> {
  const text = await (await fetch(`${engine.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^llamacpp:(\w+) (\S+)$/.exec(line);
    if (m) out[m[1] as string] = Number(m[2]);
  }
  return out;
}

export async function tokenCount(engine: RunningEngine, content: string): Promise<number> {
  const res = await fetch(`${engine.url}/tokenize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ content }),
  });
  return ((await res.json()) as { tokens: number[] }).tokens.length;
}

/**
 * Code-like text of at least `tokens` tokens (as the borrowed tokenizer counts them). `variant` changes every
 * line, so two texts of different variants share no cacheable prefix.
 */
export async function codeOf(engine: RunningEngine, tokens: number, variant = 0): Promise<string> {
  const line = (i: number) =>
    `export function step${variant}_${i}(input: number[]): number { return input[${i % 7}] * ${i + variant}; }\n`;
  let lines = Math.ceil(tokens / 25);
  for (;;) {
    const text = Array.from({ length: lines }, (_, i) => line(i)).join('');
    const n = await tokenCount(engine, text);
    if (n >= tokens) return text;
    lines = Math.ceil((lines * tokens * 1.02) / n);
  }
}

/** What a streamed request through the gateway delivered, with times in ms since it was sent. */
export interface StreamRecord {
  readonly status: number;
  readonly headersAt: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** SSE comment lines (`: …`, the relay's keep-alives), with their arrival times. */
  readonly comments: ReadonlyArray<{ readonly at: number; readonly text: string }>;
  /** Parsed `data:` JSON events (not [DONE]), with their arrival times. */
  readonly events: ReadonlyArray<{ readonly at: number; readonly json: Record<string, unknown> }>;
  readonly done: boolean;
  readonly body: string;
  readonly endedAt: number;
}

export interface OpenStream {
  /** Resolves when the response headers arrived. */
  readonly headers: Promise<void>;
  /** Resolves when a data event with text or a tool call arrived. */
  readonly firstToken: Promise<void>;
  readonly finished: Promise<StreamRecord>;
  /** Closes the connection (as a client that gives up). */
  abort(): void;
  /** What has arrived so far. */
  snapshot(): StreamRecord;
}

const sent = (body: Record<string, unknown>) => JSON.stringify({ stream: true, ...body });

/** Streams a chat completion through the gateway with the real HTTPS client, recording every line's arrival. */
export function openStream(gateway: SandboxFront, body: Record<string, unknown>): OpenStream {
  const started = performance.now();
  const since = () => performance.now() - started;
  let status = 0;
  let headersAt = -1;
  let headers: Record<string, string | string[] | undefined> = {};
  const comments: Array<{ at: number; text: string }> = [];
  const events: Array<{ at: number; json: Record<string, unknown> }> = [];
  let done = false;
  let raw = '';
  let pending = '';
  let endedAt = -1;
  const snapshot = (): StreamRecord => ({
    status,
    headersAt,
    headers,
    comments: [...comments],
    events: [...events],
    done,
    body: raw,
    endedAt,
  });
  let onHeaders: () => void = () => {};
  let onToken: () => void = () => {};
  const headersArrived = new Promise<void>((r) => {
    onHeaders = r;
  });
  const firstToken = new Promise<void>((r) => {
    onToken = r;
  });
  let req: ReturnType<typeof httpsRequest> | undefined;
  let aborted = false;
  const finished = new Promise<StreamRecord>((resolve, reject) => {
    req = httpsRequest(
      `${gateway.sandbox.url}/v1/chat/completions`,
      {
        method: 'POST',
        headers: { ...bearer(gateway.key), 'content-type': 'application/json' },
        ca: gateway.caPem,
        agent: false,
      },
      (res) => {
        status = res.statusCode ?? 0;
        headersAt = since();
        headers = res.headers;
        onHeaders();
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const at = since();
          raw += chunk;
          pending += chunk;
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) {
            if (line.startsWith(':')) comments.push({ at, text: line });
            else if (line === 'data: [DONE]') done = true;
            else if (line.startsWith('data: ')) {
              const json = JSON.parse(line.slice(6)) as Record<string, unknown>;
              events.push({ at, json });
              const choices = (json.choices ?? []) as Array<{
                delta?: { content?: unknown; tool_calls?: unknown };
              }>;
              if (choices.some((c) => (c.delta?.content ?? '') !== '' || c.delta?.tool_calls)) onToken();
            }
          }
        });
        const end = () => {
          endedAt = since();
          resolve(snapshot());
        };
        res.on('end', end);
        res.on('close', end);
        res.on('error', end);
      },
    );
    req.on('error', (error) => (aborted || headersAt >= 0 ? resolve(snapshot()) : reject(error)));
    req.end(sent(body));
  });
  return {
    headers: headersArrived,
    firstToken,
    finished,
    abort: () => {
      aborted = true;
      req?.destroy();
    },
    snapshot,
  };
}

/** The `timings` llama-server put in a stream's last chunks (the relay passes them through). */
export interface Timings {
  readonly prompt_n: number;
  readonly prompt_ms: number;
  readonly predicted_n: number;
  readonly predicted_ms: number;
  readonly cache_n: number;
  readonly prompt_per_second: number;
  readonly predicted_per_second: number;
}

export function timingsOf(record: StreamRecord): Timings | undefined {
  return record.events.map((e) => e.json.timings as Timings | undefined).findLast((t) => t !== undefined);
}

/**
 * The completion tasks llama-server finished since log offset `from`, in order, from its log's
 * `release: id N | task T | stop processing: n_tokens = M` lines (M: the tokens the slot held — prompt plus
 * generated — when the task stopped).
 */
export function releasedTasks(engine: RunningEngine, from: number): Array<{ task: number; tokens: number }> {
  return [
    ...engine
      .log()
      .slice(from)
      .matchAll(/release: id +\d+ \| task (\d+) \| stop processing: n_tokens = (\d+)/g),
  ].map((m) => ({ task: Number(m[1]), tokens: Number(m[2]) }));
}

/** Waits for the release line of that task (or of any task): llama-server may print it after the answer left. */
export async function waitForRelease(
  engine: RunningEngine,
  from: number,
  task?: number,
): Promise<{ task: number; tokens: number }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = releasedTasks(engine, from).find((r) => task === undefined || r.task === task);
    if (found) return found;
    if (Date.now() > deadline)
      throw new Error(`no release line for task ${task ?? 'any'}:\n${engine.log().slice(from).slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
