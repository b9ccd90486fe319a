// TEST STAND-IN for LocalAI (mimics the v4.9.0 HTTP API). Not the product, never shipped or bundled; a tool under tools/ only.
// POST /v1/chat/completions (and /chat/completions): LocalAI v4.9.0 core/http/endpoints/openai/chat.go,
// chat_stream_workers.go and chat_emit.go, with llama.cpp's late first token simulated by the stand-in's clock.
import { randomUUID } from 'node:crypto';
import { type ChatPlan, failJson, failStream, planUsage } from './chatPlan.ts';
import { grpcInternal, llamaOverflowMessage, overflowAnswer, streamErrorEvent } from './errors.ts';
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
import { type ChunkIds, chatChunks, chatCompletion, SseWriter } from './sse.ts';
import { estimatePromptTokens, prefillMs, tokenIntervalMs, wait } from './timing.ts';
import { answerToolCall, chooseToolCall, streamToolCall } from './toolCalls.ts';

export async function handleChat(x: Exchange): Promise<void> {
  const request = requestObject(x);
  if (!request) return;
  const model = resolveModel(x, request.model);
  if (model === null) return;
  setCorrelationId(x);
  const b = x.behaviour;
  if (!(await wait(b.stallMs, x.signal))) return;
  if (answerEarlyFailure(x, model)) return;
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
  const promptTokens = estimatePromptTokens(request.messages);
  const ids: ChunkIds = { id: randomUUID(), created: unixSeconds(), model };
  if (promptTokens >= b.contextSize) return answerOverflow(x, ids, stream, promptTokens);

  const options = request.stream_options as { include_usage?: unknown } | undefined;
  const plan: ChatPlan = {
    ids,
    promptTokens,
    prefillMs: prefillMs(b, promptTokens),
    intervalMs: tokenIntervalMs(b),
    includeUsage: options?.include_usage === true,
    extraUsage: Boolean(x.req.headers['extra-usage']),
  };
  const call = chooseToolCall(b, request);
  if (call) return stream ? streamToolCall(x, plan, call) : answerToolCall(x, plan, call);

  const maxTokens = typeof request.max_tokens === 'number' && request.max_tokens > 0 ? request.max_tokens : 0;
  const truncated = maxTokens > 0 && maxTokens < b.pieces.length;
  const pieces = truncated ? b.pieces.slice(0, maxTokens) : b.pieces;
  const finishReason = truncated ? 'length' : 'stop';
  return stream ? streamText(x, plan, pieces, finishReason) : answerText(x, plan, pieces, finishReason);
}

async function streamText(
  x: Exchange,
  plan: ChatPlan,
  pieces: readonly string[],
  finishReason: string,
): Promise<void> {
  const sse = new SseWriter(x.res, x.record, sseHeaders(plan.ids.id));
  const failAt = failurePoint(x);
  for (const [i, piece] of pieces.entries()) {
    if (!(await wait(i === 0 ? plan.prefillMs : plan.intervalMs, x.signal))) return;
    if (i === failAt) return failStream(x, sse);
    if (i === 0) sse.data(chatChunks.role(plan.ids));
    sse.data(chatChunks.content(plan.ids, piece));
  }
  if (pieces.length === 0) {
    if (!(await wait(plan.prefillMs, x.signal))) return;
    sse.data(chatChunks.role(plan.ids));
  }
  if (Number.isFinite(failAt)) {
    if (!(await wait(plan.intervalMs, x.signal))) return;
    return failStream(x, sse);
  }
  sse.data(chatChunks.finish(plan.ids, finishReason));
  if (plan.includeUsage) sse.data(chatChunks.usageTrailer(plan.ids, planUsage(plan, pieces.length)));
  sse.done();
}

async function answerText(
  x: Exchange,
  plan: ChatPlan,
  pieces: readonly string[],
  finishReason: string,
): Promise<void> {
  const failAt = failurePoint(x);
  const tokens = Math.min(failAt, pieces.length);
  if (!(await wait(plan.prefillMs + plan.intervalMs * Math.max(0, tokens - 1), x.signal))) return;
  if (Number.isFinite(failAt)) return failJson(x);
  const message = { role: 'assistant', content: pieces.join('') };
  sendJson(x, {
    status: 200,
    body: chatCompletion(plan.ids, message, finishReason, planUsage(plan, pieces.length)),
  });
}

/**
 * An over-long prompt. LocalAI style: the llama-cpp backend's PredictStream first writes a reply whose text IS the
 * error message, then fails with gRPC INTERNAL (grpc-server.cpp); LocalAI streams that text as content, then its
 * SSE error event. Without streaming, the central handler answers 500.
 */
function answerOverflow(x: Exchange, ids: ChunkIds, stream: boolean, promptTokens: number): void {
  const answer = overflowAnswer(x.behaviour, stream, promptTokens);
  if (answer) {
    sendJson(x, answer);
    return;
  }
  const message = llamaOverflowMessage(promptTokens, x.behaviour.contextSize);
  const sse = new SseWriter(x.res, x.record, sseHeaders(ids.id));
  sse.data(chatChunks.role(ids));
  sse.data(chatChunks.content(ids, message));
  sse.data(streamErrorEvent(grpcInternal(message)));
  sse.done();
}
