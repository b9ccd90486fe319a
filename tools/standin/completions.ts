// TEST STAND-IN for LocalAI (mimics the v4.9.0 HTTP API). Not the product, never shipped or bundled; a tool under tools/ only.
// POST /v1/completions (and /completions): LocalAI v4.9.0 core/http/endpoints/openai/completion.go. Differences
// from chat that LocalAI really has: no role chunk, no X-Correlation-ID header (the id is the request's
// X-Correlation-ID header or a fresh UUID), an error mid-stream is a text chunk "Internal error: …" with
// finish_reason "stop" and NO [DONE], and the non-streaming usage is all zeros (the handler only sums timings).
import { randomUUID } from 'node:crypto';
import {
  BACKEND_GONE_MESSAGE,
  echoHttpError,
  grpcInternal,
  handlerError,
  llamaOverflowMessage,
  overflowAnswer,
} from './errors.ts';
import {
  answerEarlyFailure,
  type Exchange,
  failurePoint,
  requestObject,
  resolveModel,
  sendJson,
  setCorrelationId,
  sseHeaders,
  unixSeconds,
} from './exchange.ts';
import { type ChunkIds, chatChunks, SseWriter, textChunk, textCompletion, usageOf } from './sse.ts';
import { estimateTextPromptTokens, prefillMs, tokenIntervalMs, wait } from './timing.ts';

export async function handleCompletion(x: Exchange): Promise<void> {
  const request = requestObject(x);
  if (!request) return;
  const model = resolveModel(x, request.model);
  if (model === null) return;
  setCorrelationId(x);
  const b = x.behaviour;
  if (!(await wait(b.stallMs, x.signal))) return;
  if (answerEarlyFailure(x, model)) return;
  if (request.stream === true && Array.isArray(request.prompt) && request.prompt.length !== 1) {
    sendJson(x, echoHttpError(400, 'streaming completions require exactly one prompt string'));
    return;
  }
  const release = await x.acquireSlot();
  if (!release) return;
  try {
    await generate(x, request, model);
  } finally {
    release();
  }
}

async function generate(x: Exchange, request: Record<string, unknown>, model: string): Promise<void> {
  const b = x.behaviour;
  const stream = request.stream === true;
  const header = x.req.headers['x-correlation-id'];
  const id = typeof header === 'string' && header !== '' ? header : randomUUID();
  const ids: ChunkIds = { id, created: unixSeconds(), model };
  const promptTokens = estimateTextPromptTokens(request.prompt);
  if (promptTokens >= b.contextSize) return answerOverflow(x, ids, stream, promptTokens);

  const prefill = prefillMs(b, promptTokens);
  const interval = tokenIntervalMs(b);
  const failAt = failurePoint(x);
  if (!stream) {
    const tokens = Math.min(failAt, b.pieces.length);
    if (!(await wait(prefill + interval * Math.max(0, tokens - 1), x.signal))) return;
    if (Number.isFinite(failAt)) return failJson(x);
    return sendJson(x, { status: 200, body: textCompletion(ids, b.pieces.join(''), usageOf(0, 0)) });
  }

  const sse = new SseWriter(x.res, x.record, sseHeaders());
  for (const [i, piece] of b.pieces.entries()) {
    if (!(await wait(i === 0 ? prefill : interval, x.signal))) return;
    if (i === failAt) return failStream(x, sse, ids);
    sse.data(textChunk({ ...ids, created: unixSeconds() }, piece));
  }
  if (Number.isFinite(failAt)) {
    if (!(await wait(b.pieces.length === 0 ? prefill : interval, x.signal))) return;
    return failStream(x, sse, ids);
  }
  sse.data(textChunk(ids, null, 'stop'));
  const options = request.stream_options as { include_usage?: unknown } | undefined;
  if (options?.include_usage === true) {
    sse.data(chatChunks.usageTrailer(ids, usageOf(promptTokens, b.pieces.length)));
  }
  sse.done();
}

function errorText(x: Exchange): string {
  const failure = x.behaviour.failure;
  return failure?.kind === 'backend-error' && failure.message ? failure.message : BACKEND_GONE_MESSAGE;
}

function failJson(x: Exchange): void {
  if (x.behaviour.failure?.kind === 'disconnect') {
    x.drop();
    return;
  }
  sendJson(x, handlerError(500, errorText(x)));
}

function failStream(x: Exchange, sse: SseWriter, ids: ChunkIds): void {
  if (x.behaviour.failure?.kind === 'disconnect') {
    x.drop();
    return;
  }
  sse.data(textChunk(ids, `Internal error: ${errorText(x)}`, 'stop'));
  sse.end();
}

function answerOverflow(x: Exchange, ids: ChunkIds, stream: boolean, promptTokens: number): void {
  const answer = overflowAnswer(x.behaviour, stream, promptTokens);
  if (answer) {
    sendJson(x, answer);
    return;
  }
  const message = llamaOverflowMessage(promptTokens, x.behaviour.contextSize);
  const sse = new SseWriter(x.res, x.record, sseHeaders());
  sse.data(textChunk(ids, message));
  sse.data(textChunk(ids, `Internal error: ${grpcInternal(message)}`, 'stop'));
  sse.end();
}
