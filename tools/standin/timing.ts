// TEST STAND-IN for LocalAI (mimics the v4.9.0 HTTP API). Not the product, never shipped or bundled; a tool under tools/ only.
// The stand-in's clock: how many tokens a prompt is "worth" and how long prefill and decode take.
import { setTimeout as sleep } from 'node:timers/promises';
import type { StandinBehaviour } from './types.ts';

/** Characters of text in one message content: a string, or the text parts of a content array. */
function contentChars(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  let chars = 0;
  for (const part of content) {
    if (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string') {
      chars += (part as { text: string }).text.length;
    }
  }
  return chars;
}

/**
 * Estimated prompt tokens: characters of every message's text (content, plus tool-call names and arguments of
 * assistant messages) divided by 4, rounded up, at least 1. Tool definitions are not counted.
 */
export function estimatePromptTokens(messages: unknown): number {
  let chars = 0;
  if (Array.isArray(messages)) {
    for (const message of messages) {
      if (!message || typeof message !== 'object') continue;
      const m = message as { content?: unknown; tool_calls?: unknown };
      chars += contentChars(m.content);
      if (Array.isArray(m.tool_calls)) {
        for (const call of m.tool_calls) {
          const fn = (call as { function?: { name?: unknown; arguments?: unknown } } | null)?.function;
          if (typeof fn?.name === 'string') chars += fn.name.length;
          if (typeof fn?.arguments === 'string') chars += fn.arguments.length;
        }
      }
    }
  }
  return textTokens(chars);
}

/** Tokens for a /v1/completions prompt (a string or an array of strings). */
export function estimateTextPromptTokens(prompt: unknown): number {
  if (typeof prompt === 'string') return textTokens(prompt.length);
  if (Array.isArray(prompt)) return textTokens(prompt.reduce((n: number, p) => n + String(p).length, 0));
  return 1;
}

/** ceil(chars / 4), at least 1. */
export function textTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

/** Milliseconds from the request to the first token: firstByteDelayMs plus prefill at promptTokensPerSecond. */
export function prefillMs(behaviour: StandinBehaviour, promptTokens: number): number {
  const rate = behaviour.promptTokensPerSecond;
  const prefill = rate && rate > 0 ? (promptTokens / rate) * 1000 : 0;
  return behaviour.firstByteDelayMs + prefill;
}

/** Milliseconds from one token to the next. */
export function tokenIntervalMs(behaviour: StandinBehaviour): number {
  const rate = behaviour.decodeTokensPerSecond;
  return rate && rate > 0 ? 1000 / rate : behaviour.chunkIntervalMs;
}

/** Waits ms; resolves false at once when signal aborts (the client went away). */
export async function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
