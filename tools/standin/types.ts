// TEST STAND-IN for LocalAI (mimics the v4.9.0 HTTP API). Not the product, never shipped or bundled; a tool under tools/ only.
// Behaviour knobs, their defaults, and the record kept of every request. Facts and sources: CONTRACT.md.
import type { IncomingHttpHeaders } from 'node:http';

/** A tool call the stand-in "generates": OpenAI function name and its JSON arguments as text. */
export interface ToolCallSpec {
  readonly name: string;
  readonly arguments: string;
}

/**
 * A failure the stand-in produces instead of (or in the middle of) a normal answer on the inference routes.
 *
 * - `http`: LocalAI's central error handler answers before any header: `status` with
 *   `{"error":{"code":status,"message":…,"type":""}}`, for streaming requests too.
 * - `capacity`: 503 + Retry-After from the admission middleware (`limits.max_concurrent` reached).
 * - `quota`: 429 + Retry-After (LocalAI's user-auth quota; never hit with legacy LOCALAI_API_KEY keys).
 * - `backend-error`: the llama.cpp backend fails after `afterPieces` tokens. Non-streaming: 500 JSON. Streaming:
 *   HTTP 200, the pieces so far, an SSE `data: {"error":…}` event, `data: [DONE]` (LocalAI ≥ 3.5, PR #6160).
 * - `disconnect`: the connection is dropped after `afterPieces` tokens (LocalAI killed mid-answer).
 */
export type Failure =
  | {
      readonly kind: 'http';
      readonly status: number;
      readonly message?: string;
      readonly retryAfterSeconds?: number;
    }
  | { readonly kind: 'capacity'; readonly retryAfterSeconds?: number }
  | { readonly kind: 'quota'; readonly retryAfterSeconds?: number }
  | { readonly kind: 'backend-error'; readonly afterPieces?: number; readonly message?: string }
  | { readonly kind: 'disconnect'; readonly afterPieces?: number };

/**
 * How an over-long prompt (estimated prompt tokens ≥ contextSize) is answered.
 * - `localai`: what LocalAI v4.9.0 does with the llama-cpp backend (500 JSON, or 200 + SSE error when streaming);
 * - `llama-server`: what llama.cpp's own server answers (400, type exceed_context_size_error);
 * - `openai`: what api.openai.com answers (400, code context_length_exceeded).
 */
export type ContextOverflowStyle = 'localai' | 'llama-server' | 'openai';

export interface StandinBehaviour {
  /** Model ids served and listed by /v1/models; the first is used when a request names none. */
  readonly models: readonly string[];
  /** Milliseconds before the first token exists. No header leaves before it: headers go out with the first chunk. */
  readonly firstByteDelayMs: number;
  /** Milliseconds between tokens (pieces) after the first one. */
  readonly chunkIntervalMs: number;
  /** The answer's tokens, streamed one piece per chunk. */
  readonly pieces: readonly string[];
  /** When set, prefill takes promptTokens / rate seconds (added to firstByteDelayMs). */
  readonly promptTokensPerSecond: number | null;
  /** When set, each token after the first takes 1 / rate seconds (replaces chunkIntervalMs). */
  readonly decodeTokensPerSecond: number | null;
  /** The model's context window in tokens; prompts with estimated tokens ≥ this overflow. */
  readonly contextSize: number;
  readonly contextOverflowStyle: ContextOverflowStyle;
  /** `auto`: a request with `tools` (and tool_choice ≠ "none") gets a tool call; `never`: always text. */
  readonly toolCalls: 'auto' | 'never';
  /** The tool call to make; null = the request's first tool, with arguments filled from its JSON schema. */
  readonly toolCall: ToolCallSpec | null;
  /**
   * `deferred` (LocalAI v4.9.0 with llama.cpp's autoparser): nothing is sent while the call is generated, then a
   * name chunk and argument chunk(s) arrive together at the end. `incremental` (OpenAI style): the name chunk at the
   * first token, then argument fragments one token apart.
   */
  readonly toolCallStreaming: 'deferred' | 'incremental';
  /** Into how many chunks the arguments string is split (LocalAI sends one). */
  readonly toolCallArgumentChunks: number;
  /**
   * llama.cpp slots: how many inference requests run at once; the rest queue silently. null = no limit (every
   * request independent). LocalAI's llama-cpp backend defaults to 1 (n_parallel=1, option `parallel:N`).
   */
  readonly slots: number | null;
  /** Inference routes only: accept the request, then send nothing at all for this long (before anything else). */
  readonly stallMs: number;
  readonly failure: Failure | null;
  /** false: /readyz answers 503 {"status":"starting"} (LocalAI ≥ 4.8.0 during its startup preload). */
  readonly ready: boolean;
  /** Like LOCALAI_API_KEY: when non-empty, every route except the public ones needs one of these keys. */
  readonly apiKeys: readonly string[];
  /**
   * CORS headers on answers to requests that carry an Origin (after the key check, as LocalAI orders its
   * middleware). `echo-default` (LocalAI v4.9.0 with its CORS switch off still registers Echo's default CORS
   * middleware): `Access-Control-Allow-Origin: *` and `Vary: Origin`. `reflect` (llama.cpp's server): the
   * request's Origin echoed, with credentials allowed. `none`: no CORS header at all.
   */
  readonly cors: 'echo-default' | 'reflect' | 'none';
}

export const DEFAULT_BEHAVIOUR: StandinBehaviour = {
  models: ['devstral-small-2'],
  firstByteDelayMs: 0,
  chunkIntervalMs: 0,
  pieces: ['The', ' stand-in', ' says', ' hello', '.'],
  promptTokensPerSecond: null,
  decodeTokensPerSecond: null,
  contextSize: 32768,
  contextOverflowStyle: 'localai',
  toolCalls: 'auto',
  toolCall: null,
  toolCallStreaming: 'deferred',
  toolCallArgumentChunks: 1,
  slots: null,
  stallMs: 0,
  failure: null,
  ready: true,
  apiKeys: [],
  cors: 'echo-default',
};

/** One request as the stand-in saw it. Mutable fields are filled in while the exchange runs. */
export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string, as received (before LocalAI's trailing-slash removal). */
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON when the body is JSON, the raw text otherwise ('' when there is none). */
  body: unknown;
  /** Date.now() when the request arrived. */
  readonly receivedAt: number;
  /** Date.now() when the request got a llama.cpp slot (inference routes; queue wait = slotAt - receivedAt). */
  slotAt?: number;
  /** Date.now() when the response headers left (undefined while none has). */
  headersSentAt?: number;
  /** Date.now() when the client went away before the response finished; generation stops at that point. */
  closedEarlyAt?: number;
  /** Date.now() when the response was complete. */
  finishedAt?: number;
  /** The status code sent, once headers left. */
  status?: number;
  /** SSE `data:` events written so far (streaming answers). */
  eventsSent: number;
}
