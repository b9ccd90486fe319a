/**
 * LocalAI v4.9.0 never answers a context overflow with 400 (tools/standin/CONTRACT.md): without streaming it is a
 * 500 carrying llama.cpp's text; streaming, a 200 whose first content chunk *is* that text, then an SSE error
 * event. llama.cpp's own server answers 400 `exceed_context_size_error` with the same text, streaming or not, but
 * no `code` an OpenAI client acts on. Cline compacts its history only on a 400 `context_length_exceeded` (what
 * OpenAI sends), so the relay recognises llama.cpp's message in all three and answers the way OpenAI does.
 */
import type { OpenAiError } from './errors.ts';

/**
 * llama.cpp's wording (tools/server: "request (N tokens) exceeds the available context size (M tokens)…"), as
 * LocalAI passes it on and llama-server sends it. An OpenAI-style 400 (`context_length_exceeded`) does not carry
 * it and is left as it is.
 */
const OVERFLOW = /exceeds the available context size/;

export function isContextOverflow(text: string): boolean {
  return OVERFLOW.test(text);
}

export function contextOverflowError(detail: string): OpenAiError {
  const found = /request \((\d+) tokens\) exceeds the available context size \((\d+) tokens\)/.exec(detail);
  const message =
    found === null
      ? `The conversation is longer than the model's context window (${detail.trim().slice(0, 300)}).`
      : `This model's maximum context length is ${found[2]} tokens. However, your messages resulted in ${found[1]} tokens. Please reduce the length of the messages.`;
  return { message, type: 'invalid_request_error', code: 'context_length_exceeded', param: 'messages' };
}

export type LookaheadDecision =
  | { readonly kind: 'hold' }
  /** Pass on everything held (and what follows) unchanged. */
  | { readonly kind: 'release' }
  /** The stream is an error before any real content: answer it as one. */
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly error: OpenAiError | Record<string, unknown>;
    };

/** Bytes held at most while looking for the first real token (LocalAI's first chunks are a few hundred bytes). */
const HOLD_LIMIT = 64 * 1024;

/**
 * Holds a stream's first events until the first real token, an error, or the end shows what the stream is.
 * Only the events before the first token are parsed; after the decision the relay no longer calls it.
 */
export class StreamLookahead {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private text = '';
  private overflowText: string | null = null;

  push(chunk: Buffer): LookaheadDecision {
    this.chunks.push(chunk);
    this.size += chunk.length;
    this.text += chunk.toString('utf8');
    let end = this.text.indexOf('\n\n');
    while (end !== -1) {
      const decision = this.event(this.text.slice(0, end));
      this.text = this.text.slice(end + 2);
      if (decision.kind !== 'hold') return decision;
      end = this.text.indexOf('\n\n');
    }
    return this.size > HOLD_LIMIT ? { kind: 'release' } : { kind: 'hold' };
  }

  held(): Buffer {
    return Buffer.concat(this.chunks);
  }

  private event(raw: string): LookaheadDecision {
    const data = raw
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n');
    if (data === '') return { kind: 'hold' };
    if (data === '[DONE]') return { kind: 'release' };
    let parsed: {
      error?: { message?: unknown };
      choices?: { delta?: { content?: unknown; tool_calls?: unknown } }[];
    };
    try {
      parsed = JSON.parse(data);
    } catch {
      return { kind: 'release' };
    }
    if (parsed.error !== undefined) {
      const message = typeof parsed.error.message === 'string' ? parsed.error.message : '';
      const overflow = this.overflowText ?? (isContextOverflow(message) ? message : null);
      return overflow === null
        ? { kind: 'error', status: 500, error: parsed.error as Record<string, unknown> }
        : { kind: 'error', status: 400, error: contextOverflowError(overflow) };
    }
    const delta = parsed.choices?.[0]?.delta;
    if (delta?.tool_calls !== undefined) return { kind: 'release' };
    if (typeof delta?.content === 'string' && delta.content !== '') {
      if (this.overflowText === null && isContextOverflow(delta.content)) {
        this.overflowText = delta.content;
        return { kind: 'hold' };
      }
      return { kind: 'release' };
    }
    return { kind: 'hold' };
  }
}
