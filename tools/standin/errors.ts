// TEST STAND-IN for LocalAI (mimics the v4.9.0 HTTP API). Not the product, never shipped or bundled; a tool under tools/ only.
// The error answers LocalAI v4.9.0 gives, field for field (Go marshals struct fields in declaration order and map
// keys sorted). Sources per function; CONTRACT.md collects them.

/** A complete answer: status, JSON body, extra headers. */
export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** core/schema/openai.go APIError: code (any, omitempty), message, param (omitempty), type. */
function apiError(code: number | string, message: string, type: string): { error: Record<string, unknown> } {
  return { error: { code, message, type } };
}

/** The central Echo error handler (core/http/app.go): code = HTTP status, type "". */
export function handlerError(status: number, message: string, retryAfterSeconds?: number): JsonAnswer {
  const headers = retryAfterSeconds === undefined ? undefined : { 'Retry-After': String(retryAfterSeconds) };
  return { status, body: apiError(status, message, ''), ...(headers ? { headers } : {}) };
}

/** core/http/auth/middleware.go authError: same body with or without a JSON request. */
export function authRequired(): JsonAnswer {
  return {
    status: 401,
    body: apiError(401, 'An authentication key is required', 'invalid_request_error'),
    headers: { 'WWW-Authenticate': 'Bearer' },
  };
}

/** core/http/render.go notFoundHandler, for clients that do not ask for text/html. */
export function routeNotFound(): JsonAnswer {
  return handlerError(404, 'Resource not found');
}

/** Echo's ErrMethodNotAllowed through the central handler: err.Error() is "code=405, message=…". */
export function methodNotAllowed(): JsonAnswer {
  return echoHttpError(405, 'Method Not Allowed');
}

/** core/http/middleware/request.go SetModelAndConfig: the named model is neither configured nor a file. */
export function modelNotFound(model: string): JsonAnswer {
  return {
    status: 404,
    body: apiError(
      404,
      `model ${JSON.stringify(model)} not found. To see available models, call GET /v1/models`,
      'invalid_request_error',
    ),
  };
}

/**
 * An echo.HTTPError through the central handler: the message is err.Error(), i.e. "code=N, message=…"
 * (echo v4 HTTPError.Error). LocalAI's docs (reference/api-errors.md) show the bare message; the code says otherwise.
 */
export function echoHttpError(status: number, message: string): JsonAnswer {
  return handlerError(status, `code=${status}, message=${message}`);
}

/** request.go: c.Bind failed. Echo's own detail text after the colon is not reproduced. */
export function badRequestBody(detail: string): JsonAnswer {
  return echoHttpError(400, `failed parsing request body: ${detail}`);
}

/** core/http/middleware/admission.go: a map, so the keys come out sorted (message, type); no code. */
export function capacityRejected(model: string, retryAfterSeconds = 1): JsonAnswer {
  return {
    status: 503,
    body: {
      error: {
        message: `model ${JSON.stringify(model)} is at capacity (max_concurrent=1); retry after ${retryAfterSeconds}s`,
        type: 'admission_rejected',
      },
    },
    headers: { 'Retry-After': String(retryAfterSeconds) },
  };
}

/** core/http/auth/middleware.go RequireQuota + quota.go QuotaExceeded (user-auth mode only). */
export function quotaExceeded(model: string, retryAfterSeconds = 60): JsonAnswer {
  return {
    status: 429,
    body: apiError(
      429,
      `Request quota exceeded for ${model}: 10/10 requests in 1m0s window`,
      'quota_exceeded',
    ),
    headers: { 'Retry-After': String(retryAfterSeconds) },
  };
}

/** llama.cpp tools/server/server-context.cpp: a prompt that does not fit the slot's context (ctx shift off). */
export function llamaOverflowMessage(promptTokens: number, contextSize: number): string {
  return `request (${promptTokens} tokens) exceeds the available context size (${contextSize} tokens), try increasing it`;
}

/**
 * LocalAI's llama-cpp backend returns the llama.cpp message as a gRPC INTERNAL status (grpc-server.cpp); the Go
 * client's error text is grpc-go's status formatting.
 */
export function grpcInternal(message: string): string {
  return `rpc error: code = Internal desc = ${message}`;
}

/** Default text when the backend process dies mid-answer (grpc-go, connection lost). Wording uncertain. */
export const BACKEND_GONE_MESSAGE = 'rpc error: code = Unavailable desc = error reading from server: EOF';

/** llama-server's own HTTP answer: format_error_response + the n_prompt_tokens / n_ctx extras. */
export function llamaServerOverflow(promptTokens: number, contextSize: number): JsonAnswer {
  return {
    status: 400,
    body: {
      error: {
        code: 400,
        message: llamaOverflowMessage(promptTokens, contextSize),
        type: 'exceed_context_size_error',
        n_prompt_tokens: promptTokens,
        n_ctx: contextSize,
      },
    },
  };
}

/** api.openai.com's answer to an over-long chat prompt. */
export function openaiOverflow(promptTokens: number, contextSize: number): JsonAnswer {
  return {
    status: 400,
    body: {
      error: {
        message:
          `This model's maximum context length is ${contextSize} tokens. However, your messages resulted in ` +
          `${promptTokens} tokens. Please reduce the length of the messages.`,
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
    },
  };
}

/**
 * The JSON answer to an over-long prompt, or null when it is LocalAI's streaming answer (200 + SSE, written by the
 * route). LocalAI without streaming: the central handler's 500 with the backend's gRPC error text.
 */
export function overflowAnswer(
  behaviour: { contextSize: number; contextOverflowStyle: string },
  stream: boolean,
  promptTokens: number,
): JsonAnswer | null {
  const { contextSize, contextOverflowStyle } = behaviour;
  if (contextOverflowStyle === 'llama-server') return llamaServerOverflow(promptTokens, contextSize);
  if (contextOverflowStyle === 'openai') return openaiOverflow(promptTokens, contextSize);
  if (stream) return null;
  return handlerError(500, grpcInternal(llamaOverflowMessage(promptTokens, contextSize)));
}

/** chat.go, streaming worker ended with an error: this event, then `data: [DONE]`. */
export function streamErrorEvent(message: string): { error: Record<string, unknown> } {
  return apiError('server_error', message, 'server_error');
}
