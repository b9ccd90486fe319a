/**
 * One benchmark request, measured: time to first token as the client saw it, and prefill and decode speeds —
 * from the server's own timings when it gives them (LocalAI with the Extra-Usage header: usage.timing_prompt_processing
 * and timing_token_generation in ms; llama-server: timings.prompt_ms / predicted_ms and its own speeds
 * prompt_per_second / predicted_per_second, reported as they are), else from arrival times. Pure.
 *
 * The prefill speed counts the tokens the server processed: a prompt's cached tokens (usage.prompt_tokens includes
 * them; llama.cpp's prompt_ms does not cover them) are left out, as llama.cpp's own prompt_per_second does.
 */

import { errorMessage } from '../check/serverErrors.ts';
import { clientDecodeRate, summariseStream } from '../net/chatStream.ts';
import type { HttpResult } from '../net/http.ts';
import { parseSse } from '../net/sse.ts';

export interface Rates {
  readonly prefillTokensPerSecond: number | null;
  readonly decodeTokensPerSecond: number | null;
}

export interface Measurement {
  readonly size: number;
  readonly repetition: number;
  readonly turn: 1 | 2;
  readonly ok: boolean;
  readonly error: string | null;
  readonly promptTokens: number | null;
  readonly completionTokens: number | null;
  readonly cachedTokens: number | null;
  /** Client: request sent → first token. */
  readonly ttftMs: number | null;
  readonly totalMs: number | null;
  readonly serverPromptMs: number | null;
  readonly serverGenerationMs: number | null;
  /** Prompt tokens per second of prompt processing (server timing, else prompt tokens / TTFT). */
  readonly prefillTokensPerSecond: number | null;
  /** Tokens after the first per second of generation (server timing, else token arrival times). */
  readonly decodeTokensPerSecond: number | null;
  readonly source: 'server' | 'client';
  /** Both ways of measuring, for comparison (null where the data is missing). */
  readonly client: Rates;
  readonly server: Rates;
  /** The answer's text, carried into the second turn. */
  readonly answer: string;
}

const rate = (tokens: number | null, ms: number | null) =>
  tokens !== null && ms !== null && ms > 0 && tokens > 0 ? (tokens * 1000) / ms : null;

export function measure(
  where: { size: number; repetition: number; turn: 1 | 2 },
  result: HttpResult,
): Measurement {
  const empty = {
    ...where,
    promptTokens: null,
    completionTokens: null,
    cachedTokens: null,
    ttftMs: null,
    totalMs: null,
    serverPromptMs: null,
    serverGenerationMs: null,
    prefillTokensPerSecond: null,
    decodeTokensPerSecond: null,
    source: 'client' as const,
    client: { prefillTokensPerSecond: null, decodeTokensPerSecond: null },
    server: { prefillTokensPerSecond: null, decodeTokensPerSecond: null },
    answer: '',
  };
  if (!result.ok) return { ...empty, ok: false, error: result.error };
  if (result.status !== 200) {
    return {
      ...empty,
      ok: false,
      error: `HTTP ${result.status}: ${errorMessage(result.body)}`,
      totalMs: result.endAt,
    };
  }
  const summary = summariseStream(parseSse(result.chunks));
  if (summary.error !== null) return { ...empty, ok: false, error: summary.error, totalMs: result.endAt };
  const usage = summary.usage;
  const ttftMs = summary.tokenTimes[0] ?? null;
  const promptTokens = usage?.promptTokens ?? null;
  const completionTokens = usage?.completionTokens ?? summary.tokenTimes.length;
  const processed = promptTokens === null ? null : promptTokens - (usage?.cachedTokens ?? 0);
  const serverPrefill = usage?.promptTokensPerSecond ?? rate(processed, usage?.promptMs ?? null);
  const serverDecode =
    usage?.generationTokensPerSecond ??
    rate(completionTokens === null ? null : completionTokens - 1, usage?.generationMs ?? null);
  const server = serverPrefill !== null && serverDecode !== null;
  const clientPrefill = rate(promptTokens, ttftMs);
  const clientDecode = clientDecodeRate(summary);
  return {
    ...where,
    ok: summary.tokenTimes.length > 0,
    error: summary.tokenTimes.length > 0 ? null : 'the answer had no tokens',
    promptTokens,
    completionTokens,
    cachedTokens: usage?.cachedTokens ?? null,
    ttftMs,
    totalMs: result.endAt,
    serverPromptMs: usage?.promptMs ?? null,
    serverGenerationMs: usage?.generationMs ?? null,
    prefillTokensPerSecond: server ? serverPrefill : clientPrefill,
    decodeTokensPerSecond: server ? serverDecode : clientDecode,
    source: server ? 'server' : 'client',
    client: { prefillTokensPerSecond: clientPrefill, decodeTokensPerSecond: clientDecode },
    server: { prefillTokensPerSecond: serverPrefill, decodeTokensPerSecond: serverDecode },
    answer: summary.content,
  };
}
