// TEST STAND-IN for LocalAI (mimics the v4.9.0 HTTP API). Not the product, never shipped or bundled; a tool under tools/ only.
// What text and tool-call answers share: the plan fixed before the first token, usage, and the mid-answer failures.
import { BACKEND_GONE_MESSAGE, handlerError, streamErrorEvent } from './errors.ts';
import { type Exchange, sendJson } from './exchange.ts';
import { type ChunkIds, type SseWriter, type Usage, usageOf } from './sse.ts';

/** Everything decided about one chat answer before the first token. */
export interface ChatPlan {
  readonly ids: ChunkIds;
  readonly promptTokens: number;
  readonly prefillMs: number;
  readonly intervalMs: number;
  readonly includeUsage: boolean;
  /** `Extra-Usage` request header: usage also carries timing_prompt_processing / timing_token_generation (ms). */
  readonly extraUsage: boolean;
}

export function planUsage(plan: ChatPlan, completionTokens: number): Usage {
  if (!plan.extraUsage) return usageOf(plan.promptTokens, completionTokens);
  return usageOf(plan.promptTokens, completionTokens, {
    promptMs: plan.prefillMs,
    decodeMs: plan.intervalMs * Math.max(0, completionTokens - 1),
  });
}

/** backend-error / disconnect on a stream: LocalAI's SSE error event then [DONE], or a dropped connection. */
export function failStream(x: Exchange, sse: SseWriter): void {
  const failure = x.behaviour.failure;
  if (failure?.kind === 'disconnect') {
    x.drop();
    return;
  }
  const message =
    failure?.kind === 'backend-error' && failure.message ? failure.message : BACKEND_GONE_MESSAGE;
  sse.data(streamErrorEvent(message));
  sse.done();
}

/** backend-error / disconnect without streaming: the central error handler's 500, or a dropped connection. */
export function failJson(x: Exchange): void {
  const failure = x.behaviour.failure;
  if (failure?.kind === 'disconnect') {
    x.drop();
    return;
  }
  const message =
    failure?.kind === 'backend-error' && failure.message ? failure.message : BACKEND_GONE_MESSAGE;
  sendJson(x, handlerError(500, message));
}
