// TEST STAND-IN for LocalAI (mimics the v4.9.0 HTTP API). Not the product, never shipped or bundled; a tool under tools/ only.
// The JSON bodies LocalAI writes for chat and text completions, with Go's field order (core/schema/openai.go,
// core/schema/message.go: created, object, id, model, choices, usage; `content` has no omitempty, so a delta
// without text carries "content":null), and the SSE writer that sends headers only with the first event.
import type { ServerResponse } from 'node:http';
import type { RecordedRequest, ToolCallSpec } from './types.ts';

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
  readonly timing_prompt_processing?: number;
  readonly timing_token_generation?: number;
}

/** What every chunk of one answer shares. */
export interface ChunkIds {
  readonly id: string;
  readonly created: number;
  readonly model: string;
}

export function usageOf(
  promptTokens: number,
  completionTokens: number,
  timings?: { promptMs: number; decodeMs: number },
): Usage {
  const base = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
  if (!timings) return base;
  return { ...base, timing_prompt_processing: timings.promptMs, timing_token_generation: timings.decodeMs };
}

type Delta = Record<string, unknown>;

function chatChunk(ids: ChunkIds, delta: Delta, finishReason: string | null = null): object {
  return {
    created: ids.created,
    object: 'chat.completion.chunk',
    id: ids.id,
    model: ids.model,
    choices: [{ index: 0, finish_reason: finishReason, delta }],
  };
}

export const chatChunks = {
  /** processStream sends it lazily, with the first token (chat_stream_workers.go). */
  role: (ids: ChunkIds) => chatChunk(ids, { role: 'assistant', content: null }),
  content: (ids: ChunkIds, text: string) => chatChunk(ids, { content: text }),
  /** Final delta chunk: empty delta, finish_reason set, never usage (chat.go). */
  finish: (ids: ChunkIds, reason: string) => chatChunk(ids, { content: null }, reason),
  /** buildDeferredToolCallChunks (chat_emit.go): the name chunk; role and id repeat in every tool chunk. */
  toolName: (ids: ChunkIds, index: number, callId: string, call: ToolCallSpec) =>
    chatChunk(ids, {
      role: 'assistant',
      content: null,
      tool_calls: [{ index, id: callId, type: 'function', function: { name: call.name, arguments: '' } }],
    }),
  toolArguments: (ids: ChunkIds, index: number, callId: string, fragment: string) =>
    chatChunk(ids, {
      role: 'assistant',
      content: null,
      tool_calls: [{ index, id: callId, type: 'function', function: { arguments: fragment } }],
    }),
  /** OpenAI's own continuation delta: only the index and the next arguments fragment. */
  toolArgumentsOpenAI: (ids: ChunkIds, index: number, fragment: string) =>
    chatChunk(ids, { tool_calls: [{ index, function: { arguments: fragment } }] }),
  /** streamUsageTrailerJSON (chat_emit.go): only with stream_options.include_usage; choices is [] (not absent). */
  usageTrailer: (ids: ChunkIds, usage: Usage) => ({
    id: ids.id,
    created: ids.created,
    model: ids.model,
    object: 'chat.completion.chunk',
    choices: [],
    usage,
  }),
};

export function chatCompletion(ids: ChunkIds, message: Delta, finishReason: string, usage: Usage): object {
  return {
    created: ids.created,
    object: 'chat.completion',
    id: ids.id,
    model: ids.model,
    choices: [{ index: 0, finish_reason: finishReason, message }],
    usage,
  };
}

/** completion.go: text chunks carry `text`; the final one has finish_reason "stop" and no text (omitempty). */
export function textChunk(ids: ChunkIds, text: string | null, finishReason: string | null = null): object {
  const choice: Record<string, unknown> = { index: 0, finish_reason: finishReason };
  if (text) choice.text = text;
  return { created: ids.created, object: 'text_completion', id: ids.id, model: ids.model, choices: [choice] };
}

export function textCompletion(ids: ChunkIds, text: string, usage: Usage): object {
  return {
    created: ids.created,
    object: 'text_completion',
    id: ids.id,
    model: ids.model,
    choices: [{ index: 0, finish_reason: 'stop', text }],
    usage,
  };
}

/**
 * Writes `data: …\n\n` events. The status line and headers are written together with the first event, never
 * before: LocalAI only sets them on its response writer and they leave on the first Write + Flush.
 */
export class SseWriter {
  readonly #res: ServerResponse;
  readonly #record: RecordedRequest;
  readonly #headers: Record<string, string>;

  constructor(res: ServerResponse, record: RecordedRequest, headers: Record<string, string>) {
    this.#res = res;
    this.#record = record;
    this.#headers = headers;
  }

  get started(): boolean {
    return this.#res.headersSent;
  }

  /** false when the client is gone (nothing is written then). */
  get open(): boolean {
    return !this.#res.destroyed && !this.#res.writableEnded;
  }

  #start(): void {
    if (this.#res.headersSent) return;
    this.#res.writeHead(200, this.#headers);
    this.#record.status = 200;
    this.#record.headersSentAt = Date.now();
  }

  data(payload: object | string): void {
    if (!this.open) return;
    this.#start();
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    this.#res.write(`data: ${text}\n\n`);
    this.#record.eventsSent += 1;
  }

  done(): void {
    this.data('[DONE]');
    this.end();
  }

  end(): void {
    if (!this.open) return;
    this.#start();
    this.#res.end();
  }
}
