/** Shared by the relay's integration tests: the LocalAI stand-in with a byte tap, the relay, a timing client. */
import { type IncomingHttpHeaders, request } from 'node:http';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { streamText, type ToolSet } from 'ai';
import type { RelayOptions } from '../../src/appliance/relay/config.ts';
import { type RunningRelay, startRelay } from '../../src/appliance/relay/server.ts';
import {
  type LocalaiStandin,
  type StandinOptions,
  startLocalaiStandin,
} from '../../tools/standin/localaiStandin.ts';

export const MODEL = 'devstral-small-2';
/** The key only the relay and LocalAI know. */
export const INTERNAL_KEY = 'internal-localai-key-0123456789abcdef';
/** A client's key: it must never reach LocalAI, a log line or /metrics. */
export const CLIENT_KEY = 'sk-client-secret-0123456789abcdef0123';

/** What the stand-in wrote for one request, byte for byte. */
export interface Tap {
  readonly path: string;
  readonly chunks: Buffer[];
  text(): string;
}

export interface Stack {
  readonly standin: LocalaiStandin;
  readonly relay: RunningRelay;
  /** http://127.0.0.1:PORT of the relay. */
  readonly url: string;
  readonly taps: Tap[];
  readonly logs: string[];
  close(): Promise<void>;
}

/** Records every byte the stand-in writes, per request, in arrival order. */
export function tapStandin(standin: LocalaiStandin): Tap[] {
  const taps: Tap[] = [];
  standin.server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    taps.push({ path: req.url ?? '', chunks, text: () => Buffer.concat(chunks).toString() });
    const capture = (chunk: unknown) => {
      if (typeof chunk === 'string') chunks.push(Buffer.from(chunk));
      else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      capture(chunk);
      return write(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== 'function') capture(chunk);
      return end(chunk, ...rest);
    }) as typeof res.end;
  });
  return taps;
}

export async function startStack(
  relayOptions: Partial<RelayOptions> = {},
  standinOptions: StandinOptions = {},
): Promise<Stack> {
  const standin = await startLocalaiStandin({ apiKeys: [INTERNAL_KEY], ...standinOptions });
  const taps = tapStandin(standin);
  const logs: string[] = [];
  const relay = await startRelay({
    port: 0,
    upstreamUrl: standin.url,
    upstreamKey: INTERNAL_KEY,
    readiness: false,
    log: (line) => logs.push(line),
    ...relayOptions,
  });
  return {
    standin,
    relay,
    url: `http://127.0.0.1:${relay.port}`,
    taps,
    logs,
    close: async () => {
      await relay.close();
      await standin.close();
    },
  };
}

export interface Piece {
  /** Milliseconds since the request was sent. */
  readonly at: number;
  readonly bytes: Buffer;
}

export interface Timeline {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Milliseconds from sending the request to the response headers. */
  readonly headersAt: number;
  readonly pieces: Piece[];
  readonly text: string;
  /** Whether the response ended cleanly (false: the connection was cut). */
  readonly complete: boolean;
}

export interface RawRequest {
  readonly method?: string;
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Abort the request this many milliseconds after sending it. */
  readonly abortAfterMs?: number;
}

/** One request with node:http (no timeouts, no pooling); resolves with when each byte arrived. */
export function send(baseUrl: string, options: RawRequest): Promise<Timeline> {
  return new Promise((resolve, reject) => {
    const body =
      options.body === undefined
        ? undefined
        : Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
    const started = performance.now();
    const req = request(
      new URL(options.path, baseUrl),
      {
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        agent: false,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          authorization: `Bearer ${CLIENT_KEY}`,
          ...options.headers,
        },
      },
      (res) => {
        const headersAt = performance.now() - started;
        const pieces: Piece[] = [];
        res.on('data', (bytes: Buffer) => pieces.push({ at: performance.now() - started, bytes }));
        res.on('close', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            headersAt,
            pieces,
            text: Buffer.concat(pieces.map((piece) => piece.bytes)).toString(),
            complete: res.complete,
          }),
        );
      },
    );
    req.on('error', reject);
    if (options.abortAfterMs !== undefined) {
      setTimeout(() => {
        req.destroy();
        resolve({ status: 0, headers: {}, headersAt: -1, pieces: [], text: '', complete: false });
      }, options.abortAfterMs);
    }
    req.end(body);
  });
}

export const chatBody = (extra: Record<string, unknown> = {}) => ({
  model: MODEL,
  messages: [
    { role: 'system', content: 'You are a test.' },
    { role: 'user', content: 'Say hello.' },
  ],
  ...extra,
});

/** Polls until check() is true (or throws after timeoutMs). */
export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const KEEP_ALIVE = ': keep-alive\n\n';

/** Splits a client's text into the leading keep-alive comments and the rest. */
export function splitKeepAlives(text: string): { comments: number; rest: string } {
  let comments = 0;
  let rest = text;
  while (rest.startsWith(KEEP_ALIVE)) {
    comments += 1;
    rest = rest.slice(KEEP_ALIVE.length);
  }
  return { comments, rest };
}

/** Arrival times of the keep-alive comments (each piece that is exactly one comment). */
export function commentTimes(timeline: Timeline): number[] {
  return timeline.pieces.filter((piece) => piece.bytes.toString() === KEEP_ALIVE).map((piece) => piece.at);
}

/**
 * A streamed chat through the relay with the Vercel AI SDK (ai@5 + @ai-sdk/openai-compatible), as Cline-like agents
 * make it: the result to read, and every error the SDK reported through onError.
 */
export function aiSdkStream(baseUrl: string, input: { prompt: string; tools?: ToolSet }) {
  const provider = createOpenAICompatible({
    name: 'slm',
    baseURL: `${baseUrl}/v1`,
    apiKey: CLIENT_KEY,
    includeUsage: true,
  });
  const errors: unknown[] = [];
  const result = streamText({
    model: provider(MODEL),
    prompt: input.prompt,
    maxRetries: 0,
    ...(input.tools === undefined ? {} : { tools: input.tools }),
    onError: ({ error }) => {
      errors.push(error);
    },
  });
  return { result, errors };
}
