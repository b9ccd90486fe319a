/**
 * Usage and latency accounting: counters per API key *name* (never a key, never content) and per-request
 * histograms, rendered as Prometheus text. Pure: the server feeds it facts and reads the text.
 */

import type { ReadinessState } from '../../core/facts/relay.ts';
import { Histogram, header, sample } from './prometheus.ts';

export interface KeyCounters {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  errors: number;
  queueRejections: number;
  cancelled: number;
}

/** What one finished completion request contributes; times in milliseconds, null when not measured. */
export interface RequestOutcome {
  readonly key: string;
  readonly outcome: 'ok' | 'error' | 'cancelled' | 'rejected';
  readonly promptTokens: number | null;
  readonly completionTokens: number | null;
  /** Arrival to leaving the queue (the upstream call starting); null when it never left the queue. */
  readonly queueWaitMs: number | null;
  /** Arrival to the upstream's first body byte, for streams. */
  readonly firstTokenMs: number | null;
  /** First to last upstream body byte, for streams. */
  readonly generationMs: number | null;
}

export interface Gauges {
  readonly waiting: number;
  readonly active: number;
  readonly state: ReadinessState;
}

const PREFIX = 'slm_copilot';

const SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800];
const PREFILL_BUCKETS = [5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 2000, 5000];
const DECODE_BUCKETS = [0.5, 1, 2, 3, 4, 6, 8, 10, 15, 20, 30, 50, 100];

export class RelayMetrics {
  readonly keys = new Map<string, KeyCounters>();
  readonly queueWait = new Histogram(SECONDS_BUCKETS);
  readonly firstToken = new Histogram(SECONDS_BUCKETS);
  readonly prefillRate = new Histogram(PREFILL_BUCKETS);
  readonly decodeRate = new Histogram(DECODE_BUCKETS);

  private counters(key: string): KeyCounters {
    let counters = this.keys.get(key);
    if (counters === undefined) {
      counters = {
        requests: 0,
        promptTokens: 0,
        completionTokens: 0,
        errors: 0,
        queueRejections: 0,
        cancelled: 0,
      };
      this.keys.set(key, counters);
    }
    return counters;
  }

  record(result: RequestOutcome): void {
    const counters = this.counters(result.key);
    counters.requests += 1;
    if (result.outcome === 'error') counters.errors += 1;
    if (result.outcome === 'cancelled') counters.cancelled += 1;
    if (result.outcome === 'rejected') counters.queueRejections += 1;
    counters.promptTokens += result.promptTokens ?? 0;
    counters.completionTokens += result.completionTokens ?? 0;
    if (result.queueWaitMs !== null) this.queueWait.observe(result.queueWaitMs / 1000);
    if (result.firstTokenMs !== null) this.firstToken.observe(result.firstTokenMs / 1000);
    const prefillMs =
      result.firstTokenMs !== null && result.queueWaitMs !== null
        ? result.firstTokenMs - result.queueWaitMs
        : null;
    if (prefillMs !== null && prefillMs > 0 && result.promptTokens) {
      this.prefillRate.observe(result.promptTokens / (prefillMs / 1000));
    }
    // The first token arrives with the first byte; the rest are decoded between first and last byte.
    if (result.generationMs !== null && result.generationMs > 0 && (result.completionTokens ?? 0) > 1) {
      this.decodeRate.observe(((result.completionTokens as number) - 1) / (result.generationMs / 1000));
    }
  }

  render(gauges: Gauges): string {
    const keys = [...this.keys.keys()].sort();
    const perKey = (name: string, help: string, pick: (counters: KeyCounters) => number): string =>
      header(`${PREFIX}_${name}`, 'counter', help) +
      keys
        .map((key) => sample(`${PREFIX}_${name}`, { key }, pick(this.keys.get(key) as KeyCounters)))
        .join('');
    return [
      perKey(
        'requests_total',
        'Completion requests received (/v1/chat/completions and /v1/completions), per API key name.',
        (c) => c.requests,
      ),
      perKey('prompt_tokens_total', 'Prompt tokens processed, per API key name.', (c) => c.promptTokens),
      perKey(
        'completion_tokens_total',
        'Completion tokens generated, per API key name.',
        (c) => c.completionTokens,
      ),
      perKey(
        'request_errors_total',
        'Completion requests that ended in an error (error status, timeout, model server gone), per API key name.',
        (c) => c.errors,
      ),
      perKey(
        'queue_rejections_total',
        'Completion requests refused with 429 because the queue was full, per API key name.',
        (c) => c.queueRejections,
      ),
      perKey(
        'requests_cancelled_total',
        'Completion requests whose client went away before the answer was complete, per API key name.',
        (c) => c.cancelled,
      ),
      this.queueWait.render(
        `${PREFIX}_queue_wait_seconds`,
        'Time a completion request waited for the model (queue) before its upstream call started.',
      ),
      this.firstToken.render(
        `${PREFIX}_time_to_first_token_seconds`,
        'Arrival to first token of streamed completions, queue wait included.',
      ),
      this.prefillRate.render(
        `${PREFIX}_prefill_tokens_per_second`,
        'Prompt processing speed of streamed completions: prompt tokens / (time to first token - queue wait).',
      ),
      this.decodeRate.render(
        `${PREFIX}_decode_tokens_per_second`,
        'Generation speed of streamed completions: tokens after the first / time from first to last token.',
      ),
      header(`${PREFIX}_queue_waiting`, 'gauge', 'Completion requests waiting for the model.') +
        sample(`${PREFIX}_queue_waiting`, {}, gauges.waiting),
      header(`${PREFIX}_requests_active`, 'gauge', 'Completion requests the model is serving now.') +
        sample(`${PREFIX}_requests_active`, {}, gauges.active),
      header(
        `${PREFIX}_model_state`,
        'gauge',
        'State of the model server as the relay sees it (1 for the current one).',
      ) +
        (['down', 'loading', 'ready'] as const)
          .map((state) => sample(`${PREFIX}_model_state`, { state }, state === gauges.state ? 1 : 0))
          .join(''),
    ].join('');
  }
}
