/**
 * Suite b (issue 11), and the fact the slow model was sized for: a 5k-token prompt on the slow generated model takes
 * at least 30 s to prefill on the 2-core CI machine. Sent through the sandbox (nginx → relay → llama-server, grace
 * and keep-alive 1 s): the response headers and the relay's keep-alive comments arrive before the first token, the
 * answer completes, and llama-server ran exactly one task for it (its log and /metrics, read on its own port).
 * The prefill figure is printed.
 *
 * Answers are noise; tokens, timings and caching are real; token counts follow the borrowed tokenizer (llama-bpe),
 * and Devstral's markers are plain text in it, not control tokens. Needs `make engine` and `make build`.
 */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { after, before, describe, test } from 'node:test';
import {
  codeOf,
  type EngineGateway,
  engineMetrics,
  MODEL_ID,
  openStream,
  releasedTasks,
  startEngineGateway,
  timingsOf,
  waitForRelease,
} from '../../support/engineGateway.ts';

const PROMPT_TOKENS = 5000;
/** The bound the slow-model suites rely on; measured well above it on 2 cores (tools/engine/README.md). */
const MIN_PREFILL_MS = 30_000;

describe('the slow model through the sandbox', () => {
  let gateway: EngineGateway;
  before(async () => {
    gateway = await startEngineGateway({ engine: { size: 'slow', maxTokens: 4 } });
  });
  after(() => gateway?.close());

  test(`a ${PROMPT_TOKENS}-token prompt: ≥ ${MIN_PREFILL_MS / 1000} s of prefill covered by headers and keep-alives, one engine task`, async () => {
    const code = await codeOf(gateway.engine, PROMPT_TOKENS);
    const logFrom = gateway.engine.log().length;
    const before = await engineMetrics(gateway.engine);
    const record = await openStream(gateway, {
      model: MODEL_ID,
      messages: [{ role: 'user', content: `Review this file:\n${code}` }],
      max_tokens: 2,
      stream_options: { include_usage: true },
    }).finished;
    const timings = timingsOf(record);
    assert.ok(timings, `llama.cpp's timings reached the client: ${record.body.slice(-400)}`);
    const rate = (timings.prompt_n / timings.prompt_ms) * 1000;
    console.log(
      `slow model: ${timings.prompt_n} prompt tokens prefilled in ${(timings.prompt_ms / 1000).toFixed(1)} s ` +
        `(${rate.toFixed(1)} tokens/s, ${availableParallelism()} CPUs); ${record.comments.length} keep-alives`,
    );
    // The fact the slow model is for.
    assert.ok(
      timings.cache_n < 16,
      `only the template's first tokens could come from the cache (${timings.cache_n})`,
    );
    assert.ok(timings.prompt_n >= PROMPT_TOKENS, `prompt_n ${timings.prompt_n}`);
    assert.ok(timings.prompt_ms >= MIN_PREFILL_MS, `prefill took ${timings.prompt_ms} ms`);

    // Headers and keep-alives before the first token, through the whole prefill.
    assert.equal(record.status, 200);
    const first = record.events.find((e) =>
      ((e.json.choices ?? []) as Array<{ delta?: { content?: string } }>).some((c) => c.delta?.content),
    );
    assert.ok(first, 'a token arrived');
    assert.ok(record.headersAt < 5_000, `headers after ${record.headersAt} ms (grace 1 s)`);
    const waiting = record.comments.filter((c) => c.at < first.at);
    assert.ok(
      waiting.length >= MIN_PREFILL_MS / 1000 / 2,
      `${waiting.length} keep-alives before the first token after ${Math.round(first.at)} ms`,
    );
    const gaps = waiting.slice(1).map((c, i) => c.at - (waiting[i] as { at: number }).at);
    assert.ok(Math.max(...gaps) < 5_000, `no silence of 5 s or more while waiting (${Math.max(...gaps)} ms)`);

    // The answer completed.
    assert.equal(record.done, true, 'data: [DONE]');
    assert.equal(timings.predicted_n, 2);

    // Exactly one task ran on the engine for it, processing the prompt once.
    await waitForRelease(gateway.engine, logFrom);
    await new Promise((r) => setTimeout(r, 500)); // a second task's line would be there by now
    const tasks = releasedTasks(gateway.engine, logFrom).map((r) => r.task);
    assert.equal(tasks.length, 1, `engine tasks: ${tasks.join(', ')}`);
    const after = await engineMetrics(gateway.engine);
    assert.equal((after.prompt_tokens_total ?? 0) - (before.prompt_tokens_total ?? 0), timings.prompt_n);
    assert.equal(
      (after.tokens_predicted_total ?? 0) - (before.tokens_predicted_total ?? 0),
      timings.predicted_n,
    );
  });
});
