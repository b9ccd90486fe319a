/**
 * Suite h (issue 11): `slm-copilot bench` (the built bundle) through the sandbox in front of llama-server reads
 * llama.cpp's `timings` as it reads LocalAI's Extra-Usage figures, and reports exactly the engine's numbers for
 * the same requests — compared with what llama-server answered, recorded by a proxy between the relay and it.
 * Small model: answers are noise; tokens, timings and caching are real. Needs `make engine` and `make build`.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { jsonOf, requireBundle, runBundleAsync } from '../../support/bundle.ts';
import {
  type EngineGateway,
  type Exchange,
  startEngineGateway,
  type Timings,
} from '../../support/engineGateway.ts';

interface Measurement {
  size: number;
  turn: number;
  ok: boolean;
  source: string;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  serverPromptMs: number;
  serverGenerationMs: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
}

/** The last usage and timings llama-server put in a streamed answer. */
function engineFigures(exchange: Exchange): {
  usage: { prompt_tokens: number; completion_tokens: number };
  timings: Timings;
} {
  const events = exchange.responseBody
    .split('\n')
    .filter((line) => line.startsWith('data: {'))
    .map((line) => JSON.parse(line.slice(6)) as { usage?: never; timings?: never });
  const last = events.findLast((e) => e.usage !== undefined && e.timings !== undefined);
  assert.ok(last, `an answer with usage and timings: ${exchange.responseBody.slice(-500)}`);
  return last as { usage: { prompt_tokens: number; completion_tokens: number }; timings: Timings };
}

describe('slm-copilot bench against the sandbox in front of llama-server', () => {
  let gateway: EngineGateway;
  before(async () => {
    requireBundle();
    gateway = await startEngineGateway({ engine: { size: 'small' }, record: true });
  });
  after(() => gateway?.close());

  it("reports the engine's own token counts, times and speeds for every request", async () => {
    const from = gateway.exchanges.length;
    const fingerprint = new X509Certificate(gateway.caPem).fingerprint256;
    const run = await runBundleAsync(
      ['bench', gateway.sandbox.url, '--key', gateway.key, '--fingerprint', fingerprint].concat([
        '--sizes',
        '1k,2k',
        '--max-tokens',
        '16',
        '--json',
      ]),
      { timeoutMs: 300_000 },
    );
    const report = jsonOf<{ measurements: Measurement[] }>(run);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const answered = gateway.exchanges
      .slice(from)
      .filter((e) => e.method === 'POST' && e.path === '/v1/chat/completions');
    assert.equal(report.measurements.length, 4, 'two sizes, two turns each');
    assert.equal(answered.length, report.measurements.length, 'one engine answer per measurement');
    for (const [i, m] of report.measurements.entries()) {
      const { usage, timings } = engineFigures(answered[i] as Exchange);
      const what = `measurement ${i + 1} (${m.size} tokens, turn ${m.turn})`;
      assert.equal(m.ok, true, what);
      assert.equal(m.source, 'server', `${what}: speeds from the server's timings`);
      assert.deepEqual(
        {
          promptTokens: m.promptTokens,
          cachedTokens: m.cachedTokens,
          completionTokens: m.completionTokens,
          serverPromptMs: m.serverPromptMs,
          serverGenerationMs: m.serverGenerationMs,
          prefillTokensPerSecond: m.prefillTokensPerSecond,
          decodeTokensPerSecond: m.decodeTokensPerSecond,
        },
        {
          promptTokens: usage.prompt_tokens,
          cachedTokens: timings.cache_n,
          completionTokens: usage.completion_tokens,
          serverPromptMs: timings.prompt_ms,
          serverGenerationMs: timings.predicted_ms,
          prefillTokensPerSecond: timings.prompt_per_second,
          decodeTokensPerSecond: timings.predicted_per_second,
        },
        what,
      );
      assert.equal(
        usage.prompt_tokens,
        timings.prompt_n + timings.cache_n,
        `${what}: llama.cpp's own arithmetic`,
      );
    }
    // The second turn of each size reused the first turn's prompt from llama.cpp's cache.
    for (const m of report.measurements.filter((x) => x.turn === 2))
      assert.ok(m.cachedTokens > m.size * 0.8, `turn 2 at ${m.size}: ${m.cachedTokens} cached tokens`);
  });
});
