import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstTurn, parseSize, secondTurn } from '../../../src/client/bench/conversation.ts';
import { type Measurement, measure } from '../../../src/client/bench/measure.ts';
import { diagnose, summarise } from '../../../src/client/bench/summary.ts';

function m(
  size: number,
  turn: 1 | 2,
  promptTokens: number,
  promptMs: number,
  decode: number,
  cached: number | null = null,
): Measurement {
  const rates = { prefillTokensPerSecond: (promptTokens * 1000) / promptMs, decodeTokensPerSecond: decode };
  return {
    size,
    repetition: 1,
    turn,
    ok: true,
    error: null,
    promptTokens,
    completionTokens: 64,
    cachedTokens: cached,
    ttftMs: promptMs + 20,
    totalMs: promptMs + 64_000 / decode,
    serverPromptMs: promptMs,
    serverGenerationMs: 63_000 / decode,
    ...rates,
    source: 'server',
    client: rates,
    server: rates,
    answer: 'ok',
  };
}

describe('bench conversations and diagnoses', () => {
  it('sizes prompts from 1k/4k/16k and extends the first turn for the second', () => {
    assert.deepEqual(['1k', '4K', '16384', '0.5k', 'x', '1'].map(parseSize), [
      1024,
      4096,
      16384,
      512,
      null,
      null,
    ]);
    const first = firstTurn(4096, 'abc', 1);
    assert.match(first[0]?.content ?? '', /^Session abc\./);
    const chars = first.reduce((n, message) => n + message.content.length, 0);
    assert.ok(chars > 4096 * 3 && chars < 4096 * 4, `${chars} characters`);
    const second = secondTurn(first, 'It parses things.', 1);
    assert.deepEqual(second.slice(0, 2), first);
    assert.deepEqual(second[2], { role: 'assistant', content: 'It parses things.' });
  });

  it('sees a working prompt cache when the second turn processes only what was added', () => {
    const summaries = summarise([m(16_384, 1, 16_000, 320_000, 6), m(16_384, 2, 16_400, 9_000, 6)], [16_384]);
    assert.equal(summaries[0]?.secondTurn?.verdict, 'reused');
    const cache = diagnose(summaries, 'devstral-small-2').find((d) => d.id === 'prompt-cache');
    assert.equal(cache?.status, 'pass');
    assert.match(cache?.message ?? '', /the prompt cache works \(about 9\d% reused\)/);
  });

  it("trusts the server's cached_tokens when it reports them", () => {
    const summaries = summarise([m(4096, 1, 4000, 80_000, 6), m(4096, 2, 4300, 79_000, 6, 3990)], [4096]);
    assert.equal(summaries[0]?.secondTurn?.verdict, 'reused');
  });

  it('says the numbers look like a CPU model without AVX2, and estimates a first Cline turn', () => {
    const slow = summarise([m(4096, 1, 4000, 1_600_000, 0.3)], [4096]);
    const diagnoses = diagnose(slow, 'devstral-small-2');
    const passthrough = diagnoses.find((d) => d.id === 'host-passthrough');
    assert.equal(passthrough?.status, 'warn');
    assert.match(passthrough?.fix ?? '', /CPU_MODEL=\[MODEL="host-passthrough"\]/);
    assert.match(diagnoses.find((d) => d.id === 'cline-first-turn')?.message ?? '', /about 100 min/);
    assert.equal(
      diagnose(slow, 'some-other-model').find((d) => d.id === 'host-passthrough'),
      undefined,
    );
  });
});

describe('measure: the server speeds bench reports', () => {
  const sse = (...events: unknown[]) =>
    `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')}data: [DONE]\n\n`;
  const result = (text: string) =>
    ({
      ok: true,
      status: 200,
      headers: {},
      rawHeaders: [],
      body: text,
      headersAt: 1,
      endAt: 30,
      chunks: [{ at: 20, text }],
    }) as const;
  const token = { choices: [{ index: 0, delta: { content: 'x' } }] };
  const where = { size: 1024, repetition: 1, turn: 2 as const };

  it('llama-server: its own prompt_per_second and predicted_per_second, and its token counts, as they are', () => {
    const timings = {
      prompt_n: 40,
      prompt_ms: 20,
      prompt_per_second: 2000,
      predicted_n: 5,
      predicted_ms: 50,
      predicted_per_second: 100,
      cache_n: 960,
    };
    const usage = {
      prompt_tokens: 1000,
      completion_tokens: 5,
      prompt_tokens_details: { cached_tokens: 960 },
    };
    const m = measure(where, result(sse(token, { choices: [], usage, timings })));
    assert.equal(m.source, 'server');
    assert.deepEqual(
      [m.promptTokens, m.cachedTokens, m.completionTokens, m.serverPromptMs, m.serverGenerationMs],
      [1000, 960, 5, 20, 50],
    );
    assert.equal(m.prefillTokensPerSecond, 2000);
    assert.equal(m.decodeTokensPerSecond, 100);
  });

  it('LocalAI (Extra-Usage): the prefill speed counts only the tokens processed, not the cached ones', () => {
    const usage = {
      prompt_tokens: 1000,
      completion_tokens: 5,
      prompt_tokens_details: { cached_tokens: 900 },
      timing_prompt_processing: 50,
      timing_token_generation: 40,
    };
    const m = measure(where, result(sse(token, { choices: [], usage })));
    assert.equal(m.prefillTokensPerSecond, 2000, '100 processed tokens in 50 ms');
    assert.equal(m.decodeTokensPerSecond, 100, 'four tokens after the first in 40 ms');
  });
});
