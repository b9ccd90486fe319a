import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { warmupLimitMetric } from '../../../src/appliance/relay/warmup.ts';
import { warmupLine, warmupState } from '../../../src/client/bench/warmupState.ts';

const storedPrefix = (hash: string) => `slm_copilot_warmup_prefix_tokens{hash="${hash}",key="alice"} 5120\n`;

describe("bench's warm-up line (from the relay's /metrics)", () => {
  it('on: the limit the relay renders and the prefixes it holds', () => {
    const text = `${warmupLimitMetric(8)}# TYPE slm_copilot_warmup_prefix_tokens gauge\n${storedPrefix('a1')}${storedPrefix('b2')}`;
    const state = warmupState(200, text);
    assert.deepEqual(state, { state: 'on', limit: 8, stored: 2 });
    assert.match(warmupLine(state), /^Warm-up: on, keeps up to 8 prompt prefixes \(2 stored\)/);
  });

  it('off: the relay renders a limit of 0 when learning is off', () => {
    const state = warmupState(200, warmupLimitMetric(0));
    assert.deepEqual(state, { state: 'off' });
    assert.match(warmupLine(state), /ONEAPP_COPILOT_API_WARMUP=0/);
  });

  it('unknown, with the reason: Basic auth only, another error, an appliance without the gauge', () => {
    assert.match(warmupLine(warmupState(401, '')), /needs an API key \(--key\)/);
    assert.match(warmupLine(warmupState(502, '')), /\/metrics answered 502/);
    assert.match(warmupLine(warmupState(200, 'slm_copilot_requests_total 3\n')), /older appliance/);
  });
});
