/**
 * What a streamed chat completion delivered, read from its SSE events: text, tool calls (merged by index as
 * OpenAI clients merge them), finish reason, usage and timings, errors, and when each token arrived. Pure.
 */
import { bursts, type SseParse } from './sse.ts';

export interface ToolCall {
  readonly name: string;
  readonly arguments: string;
}

/** OpenAI usage plus what LocalAI (Extra-Usage) and llama-server (timings) add. */
export interface UsageFacts {
  readonly promptTokens: number | null;
  readonly completionTokens: number | null;
  readonly cachedTokens: number | null;
  /** Milliseconds the server spent on the prompt and on generation, when it says. */
  readonly promptMs: number | null;
  readonly generationMs: number | null;
  /** The server's own speeds, when it gives them (llama-server: timings.prompt_per_second, predicted_per_second). */
  readonly promptTokensPerSecond: number | null;
  readonly generationTokensPerSecond: number | null;
}

export interface StreamSummary {
  readonly dataEvents: number;
  /** Arrival times of events that carried text or a tool call. */
  readonly tokenTimes: readonly number[];
  /** How many separate deliveries those events came in (1 = all at once: buffered). */
  readonly tokenBursts: number;
  readonly content: string;
  readonly toolCalls: readonly ToolCall[];
  readonly finishReason: string | null;
  readonly usage: UsageFacts | null;
  /** `data: [DONE]` arrived. */
  readonly done: boolean;
  /** The message of a `data: {"error":…}` event. */
  readonly error: string | null;
  readonly keepAlives: number;
  /** Events whose data was not JSON (other than [DONE]). */
  readonly malformed: number;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;
const num = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

const sum = (a: number | null, b: number | null): number | null => (a === null ? null : a + (b ?? 0));

/** Usage out of a response or chunk: OpenAI's fields, LocalAI's timing_* (ms), llama-server's `timings`. */
export function usageFacts(body: Json): UsageFacts | null {
  const usage = isObject(body.usage) ? body.usage : null;
  const timings = isObject(body.timings) ? body.timings : null;
  if (usage === null && timings === null) return null;
  const details =
    usage !== null && isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : null;
  return {
    // llama.cpp's prompt_n counts only the tokens it processed; the prompt also had cache_n cached ones.
    promptTokens: num(usage?.prompt_tokens) ?? sum(num(timings?.prompt_n), num(timings?.cache_n)),
    completionTokens: num(usage?.completion_tokens) ?? num(timings?.predicted_n),
    cachedTokens: num(details?.cached_tokens) ?? num(timings?.cache_n),
    promptMs: num(usage?.timing_prompt_processing) ?? num(timings?.prompt_ms),
    generationMs: num(usage?.timing_token_generation) ?? num(timings?.predicted_ms),
    promptTokensPerSecond: num(timings?.prompt_per_second),
    generationTokensPerSecond: num(timings?.predicted_per_second),
  };
}

/** Usage that carries numbers (LocalAI before 4.2.5 put zeros in every chunk): the last non-empty one wins. */
function better(current: UsageFacts | null, next: UsageFacts | null): UsageFacts | null {
  if (next === null) return current;
  const empty = !next.promptTokens && !next.completionTokens && next.promptMs === null;
  return empty && current !== null ? current : next;
}

export function summariseStream(parse: SseParse): StreamSummary {
  const tokenTimes: number[] = [];
  const calls = new Map<number, { name: string; arguments: string }>();
  let content = '';
  let finishReason: string | null = null;
  let usage: UsageFacts | null = null;
  let done = false;
  let error: string | null = null;
  let malformed = 0;
  let dataEvents = 0;
  for (const event of parse.events) {
    if (event.data.trim() === '[DONE]') {
      done = true;
      continue;
    }
    let body: unknown;
    try {
      body = JSON.parse(event.data);
    } catch {
      malformed += 1;
      continue;
    }
    if (!isObject(body)) continue;
    dataEvents += 1;
    if (isObject(body.error)) {
      error = typeof body.error.message === 'string' ? body.error.message : JSON.stringify(body.error);
      continue;
    }
    usage = better(usage, usageFacts(body));
    let carriesToken = false;
    for (const choice of Array.isArray(body.choices) ? body.choices : []) {
      if (!isObject(choice)) continue;
      if (typeof choice.finish_reason === 'string') finishReason = choice.finish_reason;
      const delta = isObject(choice.delta)
        ? choice.delta
        : isObject(choice) && 'text' in choice
          ? choice
          : null;
      if (delta === null) continue;
      const text =
        typeof delta.content === 'string' ? delta.content : typeof delta.text === 'string' ? delta.text : '';
      if (text !== '') {
        content += text;
        carriesToken = true;
      }
      for (const call of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
        if (!isObject(call)) continue;
        const index = num(call.index) ?? 0;
        const entry = calls.get(index) ?? { name: '', arguments: '' };
        const fn = isObject(call.function) ? call.function : {};
        entry.name += typeof fn.name === 'string' ? fn.name : '';
        entry.arguments += typeof fn.arguments === 'string' ? fn.arguments : '';
        calls.set(index, entry);
        carriesToken = true;
      }
    }
    if (carriesToken) tokenTimes.push(event.at);
  }
  return {
    dataEvents,
    tokenTimes,
    tokenBursts: bursts(tokenTimes),
    content,
    toolCalls: [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call),
    finishReason,
    usage,
    done,
    error,
    keepAlives: parse.comments.length,
    malformed,
  };
}

/** Client-side decode rate: tokens after the first, over the time from the first to the last token event. */
export function clientDecodeRate(summary: StreamSummary): number | null {
  const times = summary.tokenTimes;
  if (times.length < 2) return null;
  const span = (times.at(-1) as number) - (times[0] as number);
  const tokens = summary.usage?.completionTokens ?? times.length;
  return span > 0 && tokens > 1 ? ((tokens - 1) * 1000) / span : null;
}
