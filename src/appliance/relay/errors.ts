/** OpenAI-shaped error bodies the relay itself produces, and the SSE event an upstream error becomes. */
import { isRecord } from '../../core/lib/isRecord.ts';

export interface OpenAiError {
  readonly message: string;
  readonly type: string;
  readonly code: string | number | null;
  readonly param?: string | null;
}

export function errorBody(message: string, type: string, code: string | number | null): string {
  const error: OpenAiError = { message, type, code, param: null };
  return JSON.stringify({ error });
}

/**
 * The `error` object of an upstream error body, kept as it is when it has a message (so a context overflow keeps
 * `code: "context_length_exceeded"`), else one built from the status and the body's text (first 500 characters).
 */
export function upstreamErrorObject(status: number, body: Buffer | string): Record<string, unknown> {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed)) {
      const inner = parsed.error;
      if (isRecord(inner) && typeof inner.message === 'string') return inner;
      if (typeof inner === 'string') return { message: inner, type: errorType(status), code: status };
      if (typeof parsed.message === 'string') return { ...parsed, type: parsed.type ?? errorType(status) };
    }
  } catch {
    // not JSON: described below
  }
  const trimmed = text.trim().slice(0, 500);
  const message = trimmed === '' ? `The model server answered HTTP ${status}.` : trimmed;
  return { message, type: errorType(status), code: status };
}

/** One SSE `data:` event carrying `{"error": …}`: what OpenAI's SDK and the Vercel AI SDK raise as an error. */
export function sseErrorEvent(error: Record<string, unknown> | OpenAiError): string {
  return `data: ${JSON.stringify({ error })}\n\n`;
}

function errorType(status: number): string {
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

/** The errors the relay raises on its own. */
export const RELAY_ERRORS = {
  queueFull: (limit: number): OpenAiError => ({
    message: `The model is busy: ${limit} requests are already waiting. Retry shortly.`,
    type: 'rate_limit_error',
    code: 'queue_full',
  }),
  timeout: (seconds: number): OpenAiError => ({
    message: `The request took longer than ${seconds} s end to end (ONEAPP_COPILOT_API_TIMEOUT) and was stopped.`,
    type: 'timeout_error',
    code: 'timeout',
  }),
  unreachable: (): OpenAiError => ({
    message: 'The model server is not reachable (starting or restarting). Retry shortly.',
    type: 'server_error',
    code: 'service_unavailable',
  }),
  noWorker: (): OpenAiError => ({
    message:
      'No worker of this service is ready (starting, loading the model, or none running). Retry shortly.',
    type: 'server_error',
    code: 'service_unavailable',
  }),
  stopping: (): OpenAiError => ({
    message: 'This worker is stopping and takes no new request. Retry: the front sends it to another worker.',
    type: 'server_error',
    code: 'service_unavailable',
  }),
  broken: (): OpenAiError => ({
    message: 'The model server closed the stream before it finished.',
    type: 'server_error',
    code: 'stream_interrupted',
  }),
  tooLarge: (bytes: number): OpenAiError => ({
    message: `The request body is larger than ${Math.floor(bytes / 1024 / 1024)} MiB.`,
    type: 'invalid_request_error',
    code: 'request_too_large',
  }),
  notFound: (): OpenAiError => ({
    message: 'Not found. This endpoint serves /v1/chat/completions, /v1/completions and /v1/models.',
    type: 'invalid_request_error',
    code: 'not_found',
  }),
} as const;

export function jsonError(error: OpenAiError): string {
  return errorBody(error.message, error.type, error.code);
}

/** Retry-After on a 503 for a model server (or worker) that is not there: a restart or a model load takes seconds. */
export const UNAVAILABLE_RETRY_AFTER = { 'retry-after': '10' } as const;
