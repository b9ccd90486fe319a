/**
 * One completion request through the relay: queue → LocalAI → client, with early SSE headers and keep-alives
 * for streams, usage read on the way, the end-to-end timeout, and cancellation when the client goes away.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RelayConfig } from './config.ts';
import {
  contextOverflowError,
  isContextOverflow,
  type LookaheadDecision,
  StreamLookahead,
} from './contextOverflow.ts';
import {
  jsonError,
  type OpenAiError,
  RELAY_ERRORS,
  sseErrorEvent,
  UNAVAILABLE_RETRY_AFTER,
  upstreamErrorObject,
} from './errors.ts';
import { clientResponseHeaders, isEventStream, upstreamRequestHeaders } from './headers.ts';
import { KeepAlive } from './keepAlive.ts';
import type { RelayMetrics, RequestOutcome } from './metrics.ts';
import type { CompletionRoute, PreparedRequest } from './normalise.ts';
import type { CompletionQueue, QueueTicket } from './queue.ts';
import { SseUsageFilter, type Usage, usageOf } from './sseUsage.ts';
import { isRefused, type UpstreamCall, type UpstreamClient } from './upstream.ts';

export interface ExchangeContext {
  readonly config: RelayConfig;
  readonly upstream: UpstreamClient;
  readonly queue: CompletionQueue;
  readonly metrics: RelayMetrics;
  /** A connection to LocalAI was refused: readiness goes to down at once. */
  readonly onUnreachable: () => void;
  /** Called once when the exchange is over (the server tracks open exchanges). */
  readonly onDone: (exchange: CompletionExchange) => void;
}

/** Error bodies are small; more than this is not read. */
const ERROR_BODY_LIMIT = 1024 * 1024;
/** A non-streamed answer is kept (as well as passed on) up to this size to read its usage. */
const JSON_USAGE_LIMIT = 16 * 1024 * 1024;

type Outcome = RequestOutcome['outcome'];

export class CompletionExchange {
  private ticket: QueueTicket | null = null;
  private call: UpstreamCall | null = null;
  private readonly keepAlive: KeepAlive | null;
  private deadline: NodeJS.Timeout | null = null;
  private filter: SseUsageFilter | null = null;
  private usage: Usage | null = null;
  private dispatchedAt: number | null = null;
  private firstByteAt: number | null = null;
  private lastByteAt: number | null = null;
  /** The client's response is an event stream the relay may add comments and an error event to. */
  private sse = false;
  private status = 0;
  private finished = false;

  constructor(
    private readonly ctx: ExchangeContext,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly route: CompletionRoute,
    private readonly prepared: PreparedRequest,
    private readonly key: string,
    private readonly arrival: number,
  ) {
    this.keepAlive = prepared.stream
      ? new KeepAlive(
          res,
          ctx.config.graceMs,
          ctx.config.keepAliveIntervalMs,
          () => this.mayComment(),
          () => {
            this.sse = true;
            this.status = 200;
          },
        )
      : null;
  }

  start(): void {
    const { config } = this.ctx;
    const elapsed = config.now() - this.arrival;
    this.res.on('close', () => this.onClientGone());
    this.deadline = setTimeout(() => this.onTimeout(), Math.max(0, config.timeoutMs - elapsed));
    this.keepAlive?.start(elapsed);
    this.ticket = this.ctx.queue.enqueue(() => this.dispatch());
    if (this.ticket === null) this.reject();
  }

  /** Prompt tokens from the answer's usage, once known (null before, or when LocalAI sent none). */
  get promptTokens(): number | null {
    return this.usage?.promptTokens ?? null;
  }

  /** Aborts the exchange from outside (relay shutdown). */
  abort(): void {
    if (this.finished) return;
    this.res.destroy();
    this.onClientGone();
  }

  private mayComment(): boolean {
    return !this.finished && this.firstByteAt === null && (!this.res.headersSent || this.sse);
  }

  private reject(): void {
    const { config } = this.ctx;
    this.keepAlive?.stop();
    this.status = 429;
    this.res.writeHead(429, {
      'content-type': 'application/json',
      'retry-after': String(config.retryAfterSeconds),
    });
    this.res.end(jsonError(RELAY_ERRORS.queueFull(config.queueLimit)));
    this.finish('rejected');
  }

  private dispatch(): void {
    if (this.finished) return;
    const { config, upstream } = this.ctx;
    this.dispatchedAt = config.now();
    const headers = upstreamRequestHeaders({
      client: this.req.headers,
      keyNameHeader: config.keyNameHeader.toLowerCase(),
      upstreamHost: upstream.hostHeader,
      upstreamKey: config.upstreamKey,
      contentLength: this.prepared.body.length,
    });
    this.call = upstream.send(
      { method: 'POST', path: this.req.url ?? '/', headers, body: this.prepared.body },
      {
        onResponse: (response) => this.onResponse(response),
        onError: (error) => {
          if (this.finished) return;
          if (isRefused(error)) {
            this.ctx.onUnreachable();
            this.fail(503, RELAY_ERRORS.unreachable(), UNAVAILABLE_RETRY_AFTER);
          } else {
            this.fail(502, {
              ...RELAY_ERRORS.unreachable(),
              message: `The model server failed: ${error.code ?? error.message}.`,
            });
          }
        },
      },
    );
  }

  private onResponse(response: IncomingMessage): void {
    if (this.finished) {
      response.resume();
      return;
    }
    const status = response.statusCode ?? 502;
    if (status < 200 || status >= 300) {
      this.collectError(response, status);
      return;
    }
    const eventStream = isEventStream(response.headers);
    const streamed = this.prepared.stream && eventStream;
    const begin = () => {
      if (!this.res.headersSent) {
        // Within the grace period: the client gets LocalAI's own status and headers.
        this.status = status;
        this.res.writeHead(status, clientResponseHeaders(response.headers, !streamed));
        this.sse = eventStream;
        // An upstream that sends headers before its first token (llama-server does): the client sees them now.
        if (eventStream) this.res.flushHeaders();
      } else {
        this.status = 200;
        this.sse = true;
      }
    };
    // A stream whose headers have not gone out yet is held until its first token shows it is not an error
    // (LocalAI streams a context overflow as 200 + text + error event; clients need a 400 to compact).
    let lookahead: StreamLookahead | null = streamed && !this.res.headersSent ? new StreamLookahead() : null;
    if (lookahead === null) begin();
    if (streamed) this.filter = new SseUsageFilter(this.prepared.dropUsageChunk);
    const json: Buffer[] | null = this.filter === null ? [] : null;
    let jsonBytes = 0;
    const { now } = this.ctx.config;
    const res = this.res;
    const filter = this.filter;
    const pass = (chunk: Buffer) => {
      if (this.firstByteAt === null) {
        this.firstByteAt = now();
        this.keepAlive?.stop();
      }
      this.lastByteAt = now();
      let out = chunk;
      if (filter !== null) out = filter.push(chunk);
      else if (json !== null && jsonBytes < JSON_USAGE_LIMIT) {
        json.push(chunk);
        jsonBytes += chunk.length;
      }
      if (out.length > 0 && !res.write(out)) {
        response.pause();
        res.once('drain', () => response.resume());
      }
    };
    const decide = (decision: LookaheadDecision, held: Buffer) => {
      if (decision.kind === 'hold') return;
      lookahead = null;
      if (decision.kind === 'release') {
        begin();
        pass(held);
      } else {
        this.call?.abort();
        this.fail(decision.status, decision.error);
      }
    };
    response.on('error', () => {}); // a cut connection shows as 'close' without 'end' below
    response.on('data', (chunk: Buffer) => {
      if (this.finished) return;
      if (lookahead !== null) decide(lookahead.push(chunk), lookahead.held());
      else pass(chunk);
    });
    response.on('end', () => {
      if (this.finished) return;
      if (lookahead !== null) decide({ kind: 'release' }, lookahead.held());
      if (filter !== null) {
        const rest = filter.flush();
        if (rest.length > 0) res.write(rest);
        this.usage = filter.usage;
      } else if (json !== null && jsonBytes < JSON_USAGE_LIMIT) {
        this.usage = usageFromJson(Buffer.concat(json));
      }
      res.end();
      this.finish(filter?.sawError ? 'error' : 'ok');
    });
    response.on('close', () => {
      if (this.finished || response.complete) return;
      // LocalAI went away mid-answer.
      this.usage = filter?.usage ?? null;
      this.endWithError(RELAY_ERRORS.broken());
    });
  }

  /** Reads a (small) error body, then passes it on or turns it into an SSE error event. */
  private collectError(response: IncomingMessage, status: number): void {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('error', () => {});
    response.on('data', (chunk: Buffer) => {
      if (size < ERROR_BODY_LIMIT) chunks.push(chunk);
      size += chunk.length;
    });
    response.on('end', () => {
      if (this.finished) return;
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      if ((status >= 500 || status === 400) && isContextOverflow(text)) {
        // LocalAI: 500 with llama.cpp's overflow text; llama-server: 400 exceed_context_size_error with it. Clients
        // act on OpenAI's 400 context_length_exceeded.
        this.fail(400, contextOverflowError(String(upstreamErrorObject(status, body).message ?? text)));
        return;
      }
      if (!this.res.headersSent) {
        // A fast error keeps its real status, headers and body (context overflow: 400, its code).
        this.keepAlive?.stop();
        this.status = status;
        this.res.writeHead(status, {
          ...clientResponseHeaders(response.headers, false),
          'content-length': String(body.length),
        });
        this.res.end(body);
        this.finish('error');
      } else {
        this.endWithError(upstreamErrorObject(status, body));
      }
    });
    response.on('close', () => {
      if (this.finished || response.complete) return;
      this.endWithError(RELAY_ERRORS.broken());
    });
  }

  /** An error as a JSON body with its status before the headers went out, as an SSE error event after. */
  private fail(
    status: number,
    error: OpenAiError | Record<string, unknown>,
    headers: Record<string, string> = {},
  ): void {
    if (this.res.headersSent) {
      this.endWithError(error);
      return;
    }
    this.keepAlive?.stop();
    this.status = status;
    this.res.writeHead(status, { 'content-type': 'application/json', ...headers });
    this.res.end(JSON.stringify({ error }));
    this.finish('error');
  }

  /**
   * After the headers went out, an error is one SSE `data: {"error": …}` event, then the stream ends, without
   * `data: [DONE]`: [DONE] means "complete", and both SDKs raise the error event as an exception on their own.
   */
  private endWithError(error: OpenAiError | Record<string, unknown>): void {
    if (this.finished) return;
    this.call?.abort();
    if (!this.res.headersSent) {
      this.fail(502, error);
      return;
    }
    if (this.sse && !this.res.destroyed) {
      const boundary = this.filter?.abandon();
      if (boundary !== undefined && boundary.length > 0) this.res.write(boundary);
      this.res.end(sseErrorEvent(error));
    } else {
      // A JSON body already under way cannot carry an error: cut it, so the client sees a failure.
      this.res.destroy();
    }
    this.finish('error');
  }

  private onTimeout(): void {
    if (this.finished) return;
    this.ctx.config.log(`relay: key=${this.key} route=${this.route} timed out; stopping it`);
    this.call?.abort();
    if (!this.res.headersSent) {
      this.fail(504, RELAY_ERRORS.timeout(Math.round(this.ctx.config.timeoutMs / 1000)));
    } else {
      this.endWithError(RELAY_ERRORS.timeout(Math.round(this.ctx.config.timeoutMs / 1000)));
    }
  }

  /** The client's connection closed: leave the queue, or abort LocalAI's work at once. */
  private onClientGone(): void {
    if (this.finished) return;
    this.call?.abort();
    this.finish('cancelled');
  }

  private finish(outcome: Outcome): void {
    if (this.finished) return;
    this.finished = true;
    this.keepAlive?.stop();
    if (this.deadline !== null) clearTimeout(this.deadline);
    this.ticket?.release();
    const { config, metrics } = this.ctx;
    const end = config.now();
    const stream = this.prepared.stream;
    const result: RequestOutcome = {
      key: this.key,
      outcome,
      promptTokens: this.usage?.promptTokens ?? null,
      completionTokens: this.usage?.completionTokens ?? null,
      queueWaitMs: this.dispatchedAt === null ? null : this.dispatchedAt - this.arrival,
      firstTokenMs: stream && this.firstByteAt !== null ? this.firstByteAt - this.arrival : null,
      generationMs:
        stream && this.firstByteAt !== null && this.lastByteAt !== null
          ? this.lastByteAt - this.firstByteAt
          : null,
    };
    metrics.record(result);
    config.log(
      logLine(
        this.route,
        stream,
        this.status,
        result,
        end - this.arrival,
        this.keepAlive?.sent ?? 0,
        this.prepared.normalised,
      ),
    );
    this.ctx.onDone(this);
  }
}

function usageFromJson(body: Buffer): Usage | null {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null
      ? usageOf((parsed as { usage?: unknown }).usage)
      : null;
  } catch {
    return null;
  }
}

const ms = (value: number | null) => (value === null ? '-' : String(Math.round(value)));

/** One line per request: who (key name), what happened, how long; never content. */
export function logLine(
  route: CompletionRoute,
  stream: boolean,
  status: number,
  result: RequestOutcome,
  totalMs: number,
  keepAlives: number,
  normalised: boolean,
): string {
  return [
    'relay:',
    `key=${result.key}`,
    `route=${route}`,
    `stream=${stream}`,
    `status=${status === 0 ? '-' : status}`,
    `outcome=${result.outcome}`,
    `queue_ms=${ms(result.queueWaitMs)}`,
    `ttft_ms=${ms(result.firstTokenMs)}`,
    `total_ms=${ms(totalMs)}`,
    `prompt_tokens=${result.promptTokens ?? '-'}`,
    `completion_tokens=${result.completionTokens ?? '-'}`,
    `keepalives=${keepAlives}`,
    ...(normalised ? ['normalised=true'] : []),
  ].join(' ');
}
