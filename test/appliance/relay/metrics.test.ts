import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RelayMetrics } from '../../../src/appliance/relay/metrics.ts';
import {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  Histogram,
} from '../../../src/appliance/relay/prometheus.ts';
import { parseExposition } from '../../support/exposition.ts';

describe('Prometheus text helpers', () => {
  it('escapes label values (backslash, quote, newline) and HELP text (backslash, newline)', () => {
    assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
    assert.equal(escapeHelp('a\\b\nc "q"'), 'a\\\\b\\nc "q"');
  });
  it('formats special values', () => {
    assert.equal(formatValue(Number.POSITIVE_INFINITY), '+Inf');
    assert.equal(formatValue(Number.NaN), 'NaN');
    assert.equal(formatValue(0.25), '0.25');
  });
  it('renders cumulative histogram buckets, +Inf, sum and count', () => {
    const h = new Histogram([1, 5]);
    for (const v of [0.5, 1, 3, 9]) h.observe(v);
    h.observe(-1);
    h.observe(Number.NaN);
    assert.equal(
      h.render('x_seconds', 'Help.'),
      [
        '# HELP x_seconds Help.',
        '# TYPE x_seconds histogram',
        'x_seconds_bucket{le="1"} 2',
        'x_seconds_bucket{le="5"} 3',
        'x_seconds_bucket{le="+Inf"} 4',
        'x_seconds_sum 13.5',
        'x_seconds_count 4',
        '',
      ].join('\n'),
    );
  });
});

describe('RelayMetrics', () => {
  it('counts per key name and computes rates from the request timings', () => {
    const m = new RelayMetrics();
    m.record({
      key: 'alice',
      outcome: 'ok',
      promptTokens: 1000,
      completionTokens: 11,
      queueWaitMs: 2000,
      firstTokenMs: 12_000,
      generationMs: 5000,
    });
    m.record({
      key: 'alice',
      outcome: 'error',
      promptTokens: null,
      completionTokens: null,
      queueWaitMs: 0,
      firstTokenMs: null,
      generationMs: null,
    });
    m.record({
      key: 'user:co"pi\\lot',
      outcome: 'rejected',
      promptTokens: null,
      completionTokens: null,
      queueWaitMs: null,
      firstTokenMs: null,
      generationMs: null,
    });
    m.record({
      key: 'bob',
      outcome: 'cancelled',
      promptTokens: null,
      completionTokens: null,
      queueWaitMs: 100,
      firstTokenMs: null,
      generationMs: null,
    });
    const samples = parseExposition(m.render({ waiting: 2, active: 1, state: 'loading' }));
    assert.equal(samples.get('slm_copilot_requests_total{key="alice"}'), 2);
    assert.equal(samples.get('slm_copilot_prompt_tokens_total{key="alice"}'), 1000);
    assert.equal(samples.get('slm_copilot_completion_tokens_total{key="alice"}'), 11);
    assert.equal(samples.get('slm_copilot_request_errors_total{key="alice"}'), 1);
    assert.equal(samples.get('slm_copilot_queue_rejections_total{key="user:co\\"pi\\\\lot"}'), 1);
    assert.equal(samples.get('slm_copilot_requests_cancelled_total{key="bob"}'), 1);
    assert.equal(samples.get('slm_copilot_queue_wait_seconds_count'), 3);
    assert.equal(samples.get('slm_copilot_time_to_first_token_seconds_sum'), 12);
    // 1000 prompt tokens in 10 s of prefill; 10 tokens after the first in 5 s.
    assert.equal(samples.get('slm_copilot_prefill_tokens_per_second_sum'), 100);
    assert.equal(samples.get('slm_copilot_decode_tokens_per_second_sum'), 2);
    assert.equal(samples.get('slm_copilot_queue_waiting'), 2);
    assert.equal(samples.get('slm_copilot_requests_active'), 1);
    assert.equal(samples.get('slm_copilot_model_state{state="loading"}'), 1);
    assert.equal(samples.get('slm_copilot_model_state{state="ready"}'), 0);
  });
  it('renders HELP and TYPE for every family even before any request', () => {
    const text = new RelayMetrics().render({ waiting: 0, active: 0, state: 'down' });
    parseExposition(text);
    for (const family of [
      'requests_total',
      'prompt_tokens_total',
      'queue_rejections_total',
      'decode_tokens_per_second',
    ]) {
      assert.match(text, new RegExp(`# TYPE slm_copilot_${family} `));
    }
  });
});
