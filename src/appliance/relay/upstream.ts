/**
 * The relay's client toward LocalAI: node:http with a keep-alive agent and no socket timeouts at all. Node's
 * fetch (undici) gives up after 300 s without response headers, which is exactly the failure the relay exists
 * to remove; the relay enforces the end-to-end limit itself and aborts the request when it passes.
 */
import {
  Agent,
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
} from 'node:http';

export interface UpstreamRequest {
  readonly method: string;
  /** Path and query, e.g. /v1/chat/completions. */
  readonly path: string;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer | null;
}

export interface UpstreamHandlers {
  onResponse(response: IncomingMessage): void;
  /** Connecting or sending failed before a response arrived (after it, the response emits the error). */
  onError(error: NodeJS.ErrnoException): void;
}

export interface UpstreamCall {
  /** Closes the connection at once (LocalAI sees the client go and stops generating). */
  abort(): void;
}

/** The relay's own chat completion (the readiness and prefix warm-ups): a JSON body, LocalAI's internal key. */
export function ownChatCompletion(
  upstream: UpstreamClient,
  upstreamKey: string | null,
  body: Buffer,
  extra: OutgoingHttpHeaders = {},
): UpstreamRequest {
  return {
    method: 'POST',
    path: '/v1/chat/completions',
    headers: {
      host: upstream.hostHeader,
      'content-type': 'application/json',
      'content-length': String(body.length),
      ...extra,
      ...(upstreamKey === null ? {} : { authorization: `Bearer ${upstreamKey}` }),
    },
    body,
  };
}

/** A failure before any response that means nothing listens there. */
export function isRefused(error: NodeJS.ErrnoException): boolean {
  return (
    error.code === 'ECONNREFUSED' ||
    error.code === 'ECONNRESET' ||
    error.code === 'EHOSTUNREACH' ||
    error.code === 'ENOTFOUND'
  );
}

/**
 * Idle connections LocalAI closed while pooled fail like this on reuse, at once; such a request is sent again.
 * A reused connection that fails later means LocalAI died while working on it: that is not retried.
 */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE']);
const STALE_SOCKET_WINDOW_MS = 1000;

interface Attempt {
  req: ClientRequest | null;
  aborted: boolean;
}

export class UpstreamClient {
  readonly url: URL;
  readonly hostHeader: string;
  private readonly agent = new Agent({
    keepAlive: true,
    keepAliveMsecs: 1000,
    maxFreeSockets: 32,
    noDelay: true,
  });

  constructor(baseUrl: string) {
    this.url = new URL(baseUrl);
    this.hostHeader = this.url.host;
  }

  send(call: UpstreamRequest, handlers: UpstreamHandlers): UpstreamCall {
    const state: Attempt = { req: null, aborted: false };
    this.attempt(call, handlers, state, 0);
    return {
      abort: () => {
        if (state.aborted) return;
        state.aborted = true;
        state.req?.destroy();
      },
    };
  }

  private attempt(call: UpstreamRequest, handlers: UpstreamHandlers, state: Attempt, retries: number): void {
    const req = request({
      agent: this.agent,
      host: this.url.hostname,
      port: this.url.port === '' ? 80 : Number(this.url.port),
      method: call.method,
      path: call.path,
      headers: call.headers,
    });
    state.req = req;
    const sentAt = performance.now();
    let responded = false;
    req.on('response', (response) => {
      responded = true;
      handlers.onResponse(response);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (responded || state.aborted) return;
      const stale =
        req.reusedSocket &&
        STALE_SOCKET_CODES.has(error.code ?? '') &&
        performance.now() - sentAt < STALE_SOCKET_WINDOW_MS;
      if (stale && retries < 2) {
        this.attempt(call, handlers, state, retries + 1);
        return;
      }
      handlers.onError(error);
    });
    req.end(call.body ?? undefined);
  }

  /** Closes pooled idle connections (at shutdown). */
  close(): void {
    this.agent.destroy();
  }
}
