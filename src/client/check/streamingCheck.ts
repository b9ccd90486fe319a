/**
 * A streamed answer must arrive token by token: a proxy that buffers delivers it in one or two bursts at the end.
 * Reports the time to the first token and the decode rate as this client saw them. Pure.
 */

import { fail, pass, type Result, skip } from '../../core/lib/result.ts';
import { clientDecodeRate, type StreamSummary } from '../net/chatStream.ts';
import { type Answer, NO_CREDENTIALS, seconds, streamOf, streamProblem } from './answers.ts';

/** The largest burst of arrivals (gaps of at most gapMs): how many tokens, and over how many milliseconds. */
function largestBurst(times: readonly number[], gapMs = 3): { count: number; durationMs: number } {
  let largest = { count: 0, durationMs: 0 };
  let count = 0;
  let start = 0;
  let previous = Number.NEGATIVE_INFINITY;
  for (const time of times) {
    if (time - previous > gapMs) {
      count = 1;
      start = time;
    } else count += 1;
    if (count > largest.count) largest = { count, durationMs: time - start };
    previous = time;
  }
  return largest;
}

export interface StreamVerdict {
  readonly incremental: boolean | null;
  readonly bursts: number;
  readonly largestBurstShare: number;
}

/**
 * Pure: tokens that arrive in fewer than 3 deliveries, or mostly in one, were held back on the way — unless the
 * server's own generation time shows it produced them that fast: an engine that generates a token every few
 * milliseconds (llama-server on a small model) delivers back-to-back arrivals that are not a proxy's doing. A burst
 * counts as paced by generation when it lasted at least half the time the server spent generating its tokens.
 */
export function streamVerdict(summary: StreamSummary): StreamVerdict {
  const times = summary.tokenTimes;
  const burst = largestBurst(times);
  const share = times.length === 0 ? 0 : burst.count / times.length;
  if (times.length < 3) return { incremental: null, bursts: summary.tokenBursts, largestBurstShare: share };
  const generationMs = summary.usage?.generationMs ?? null;
  const tokens = summary.usage?.completionTokens ?? times.length;
  const paced =
    generationMs !== null &&
    generationMs >= 20 &&
    tokens > 0 &&
    burst.durationMs >= 0.5 * burst.count * (generationMs / tokens);
  return {
    incremental: (summary.tokenBursts >= 3 && share <= 0.5) || paced,
    bursts: summary.tokenBursts,
    largestBurstShare: share,
  };
}

export function evaluateStreaming(result: Answer): Result {
  const id = 'streaming';
  const title = 'Streaming, token by token';
  if (result === null) return skip(id, title, NO_CREDENTIALS);
  const summary = streamOf(result);
  const problem = streamProblem('POST /v1/chat/completions', result, summary);
  if (problem !== null) return fail(id, title, problem);
  const verdict = streamVerdict(summary);
  const tokens = summary.tokenTimes.length;
  const ttft = summary.tokenTimes[0] ?? null;
  const rate = clientDecodeRate(summary);
  const usage = summary.usage;
  const serverRate =
    usage?.completionTokens && usage.generationMs
      ? (usage.completionTokens * 1000) / usage.generationMs
      : null;
  const data = {
    tokens,
    bursts: verdict.bursts,
    largestBurstShare: Number(verdict.largestBurstShare.toFixed(2)),
    timeToFirstTokenMs: ttft === null ? null : Math.round(ttft),
    decodeTokensPerSecond: rate === null ? null : Number(rate.toFixed(2)),
    serverDecodeTokensPerSecond: serverRate === null ? null : Number(serverRate.toFixed(2)),
    keepAlives: summary.keepAlives,
    usageTrailer: usage !== null,
  };
  if (verdict.incremental === null) {
    return fail(
      id,
      title,
      {
        reason: `the answer had only ${tokens} token(s): cannot tell whether it streams`,
        cause: 'the model stopped at once (or the server sends the whole answer as one event)',
        fix: 'run the check again; a model that stops at once is worth a look with `slm-copilot doctor`',
      },
      data,
    );
  }
  if (!verdict.incremental) {
    const last = summary.tokenTimes.at(-1) ?? 0;
    return fail(
      id,
      title,
      {
        reason: `the ${tokens} tokens arrived in ${verdict.bursts} burst(s), ${Math.round(verdict.largestBurstShare * 100)}% of them at once (first after ${seconds(ttft ?? 0)}, last after ${seconds(last)}): the stream is buffered`,
        cause:
          'a proxy between you and the model holds the answer back (nginx with proxy_buffering on, a corporate proxy, a CDN, or compression of text/event-stream)',
        fix: 'turn buffering off for the API in that proxy (nginx: proxy_buffering off, or honour X-Accel-Buffering: no; no gzip on event streams), or connect to the appliance directly',
      },
      data,
    );
  }
  const rates = `${rate === null ? '?' : rate.toFixed(1)} tokens/s`;
  return pass(
    id,
    title,
    `${tokens} tokens in ${verdict.bursts} deliveries; first token after ${seconds(ttft ?? 0)}, then ${rates}`,
    data,
  );
}
