// TEST STAND-IN for LocalAI (mimics the v4.9.0 HTTP API). Not the product, never shipped or bundled; a tool under tools/ only.
// One request/response pair as the handlers see it, and the helpers every handler uses.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  badRequestBody,
  capacityRejected,
  handlerError,
  type JsonAnswer,
  modelNotFound,
  quotaExceeded,
} from './errors.ts';
import type { RecordedRequest, StandinBehaviour } from './types.ts';

export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly record: RecordedRequest;
  /** The behaviour when the request arrived; behave() does not change a request already running. */
  readonly behaviour: StandinBehaviour;
  /** Aborts when the client goes away before the response is complete. */
  readonly signal: AbortSignal;
  /** Path after LocalAI's trailing-slash removal. */
  readonly path: string;
  /** The parsed JSON body; undefined when there was none or it was not JSON (see bodyError). */
  readonly json: unknown;
  readonly bodyError: string | null;
  /** Drops the connection (a LocalAI crash); the client's end is not then recorded as closedEarlyAt. */
  drop(): void;
  /** Waits for a llama.cpp slot; the release function, or null when the client left while queued. */
  acquireSlot(): Promise<(() => void) | null>;
}

/** Echo's c.JSON: application/json, the encoder's trailing newline. */
export function sendJson(x: Exchange, answer: JsonAnswer): void {
  if (x.res.headersSent || x.res.destroyed) return;
  x.res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
  x.record.status = answer.status;
  x.record.headersSentAt = Date.now();
  x.res.end(`${JSON.stringify(answer.body)}\n`);
}

/** Echo's c.NoContent. */
export function sendEmpty(x: Exchange, status: number): void {
  if (x.res.headersSent || x.res.destroyed) return;
  x.res.writeHead(status);
  x.record.status = status;
  x.record.headersSentAt = Date.now();
  x.res.end();
}

/** Headers chat.go sets before streaming (completion.go sets the same minus X-Correlation-ID). */
export function sseHeaders(correlationId?: string): Record<string, string> {
  return {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
    ...(correlationId ? { 'X-Correlation-ID': correlationId } : {}),
  };
}

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The request's `model`, the first served model when absent, or null after answering 404 (request.go). */
export function resolveModel(x: Exchange, requested: unknown): string | null {
  const first = x.behaviour.models[0] ?? 'devstral-small-2';
  if (requested === undefined || requested === null || requested === '') return first;
  const name = String(requested);
  if (x.behaviour.models.includes(name)) return name;
  sendJson(x, modelNotFound(name));
  return null;
}

/**
 * request.go SetOpenAIRequest (after the model check): the response gets X-Correlation-ID = the request's
 * X-Correlation-ID header or a fresh UUID. Chat streaming later overwrites it with the chunk id.
 */
export function setCorrelationId(x: Exchange): void {
  const header = x.req.headers['x-correlation-id'];
  x.res.setHeader('X-Correlation-ID', typeof header === 'string' && header !== '' ? header : randomUUID());
}

/** The failures answered before anything else happens; true when one was answered. */
export function answerEarlyFailure(x: Exchange, model: string): boolean {
  const failure = x.behaviour.failure;
  if (!failure) return false;
  switch (failure.kind) {
    case 'http': {
      const message = failure.message ?? `stand-in failure, HTTP ${failure.status}`;
      const answer =
        failure.retryAfterSeconds === undefined
          ? handlerError(failure.status, message)
          : handlerError(failure.status, message, failure.retryAfterSeconds);
      sendJson(x, answer);
      return true;
    }
    case 'capacity':
      sendJson(x, capacityRejected(model, failure.retryAfterSeconds));
      return true;
    case 'quota':
      sendJson(x, quotaExceeded(model, failure.retryAfterSeconds));
      return true;
    default:
      return false;
  }
}

/** The body as an object, or null after answering 400 like LocalAI's request binding. */
export function requestObject(x: Exchange): Record<string, unknown> | null {
  if (x.json && typeof x.json === 'object' && !Array.isArray(x.json))
    return x.json as Record<string, unknown>;
  sendJson(x, badRequestBody(x.bodyError ?? 'expected a JSON object'));
  return null;
}

/** Where a backend-error / disconnect failure strikes: after this many tokens (Infinity = never). */
export function failurePoint(x: Exchange): number {
  const failure = x.behaviour.failure;
  if (failure?.kind === 'backend-error' || failure?.kind === 'disconnect') return failure.afterPieces ?? 0;
  return Number.POSITIVE_INFINITY;
}
