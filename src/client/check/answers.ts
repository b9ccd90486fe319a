/** What the checks that make the model answer share: how a failed request or stream reads. Pure. */

import type { Problem } from '../../core/lib/failure.ts';
import { type StreamSummary, summariseStream } from '../net/chatStream.ts';
import { type HttpResult, header } from '../net/http.ts';
import { parseSse } from '../net/sse.ts';
import { errorMessage, explainFailure } from './serverErrors.ts';

export type Answer = HttpResult | null;
export const NO_CREDENTIALS = 'no credentials given (--key, or --user and --password)';

export const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
export const quote = (text: string) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return `"${flat.length > 48 ? `${flat.slice(0, 47)}…` : flat}"`;
};

/** A request that did not even produce an answer to look at. */
export function requestProblem(what: string, result: HttpResult): Problem | null {
  if (!result.ok) return { reason: `${what} failed: ${result.error}`, ...explainFailure(null, result.error) };
  if (result.status !== 200) {
    const message = errorMessage(result.body);
    return {
      reason: `${what} answered ${result.status}: ${message}`,
      ...explainFailure(result.status, message),
    };
  }
  return null;
}

/** A stream that failed, errored or stopped short. */
export function streamProblem(what: string, result: HttpResult, summary: StreamSummary): Problem | null {
  const early = requestProblem(what, result);
  if (early !== null) return early;
  if (!result.ok) return { reason: `${what} failed` };
  const type = header(result.headers, 'content-type');
  if (!type.startsWith('text/event-stream')) {
    return {
      reason: `${what} with stream: true answered ${type || 'no content type'}, not text/event-stream`,
      cause: 'something between you and the model does not stream (a proxy that rewrites the answer)',
      fix: 'connect to the appliance directly, or make the proxy pass text/event-stream through unchanged',
    };
  }
  if (summary.error !== null) {
    return {
      reason: `the stream ended with an error: ${summary.error}`,
      ...explainFailure(200, summary.error),
    };
  }
  if (!summary.done && summary.finishReason === null) {
    return {
      reason: `the stream stopped after ${summary.tokenTimes.length} tokens without finishing (no finish_reason, no [DONE])`,
      cause: 'the connection was cut: a proxy timeout, or the model server restarted (out of memory?)',
      fix: 'on the VM run `slm-copilot doctor`; proxies in between need a read timeout longer than a CPU prompt takes',
    };
  }
  return null;
}

export function streamOf(result: HttpResult): StreamSummary {
  return summariseStream(parseSse(result.ok ? result.chunks : []));
}
