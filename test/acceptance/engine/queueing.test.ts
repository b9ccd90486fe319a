/**
 * Suite d (issue 11): one slot (-np 1, as LocalAI runs llama.cpp), three streams at once through the sandbox. Each
 * prompt takes seconds to prefill on the slow model (the small one prefills thousands of tokens a second on idle
 * cores, faster than the 1 s grace), so the second and third wait: all three complete, served in
 * the order they arrived, and each receives the relay's keep-alive comments while it waits for its first token
 * (grace and keep-alive interval 1 s). Answers are noise; tokens and timings are real. Needs `make engine`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  codeOf,
  type EngineGateway,
  MODEL_ID,
  openStream,
  type StreamRecord,
  startEngineGateway,
  timingsOf,
} from '../../support/engineGateway.ts';

/** About 3 s of prefill each on two idle cores, 15 s on the loaded CI machine. */
const PROMPT_TOKENS = 400;

describe('one slot, three concurrent streams', () => {
  let gateway: EngineGateway;
  before(async () => {
    gateway = await startEngineGateway({ engine: { size: 'slow' } });
  });
  after(() => gateway?.close());

  it('all complete, in arrival order, each with keep-alives while it waits', async () => {
    // Different prompts (no shared prefix to reuse), each a few seconds of prefill.
    const prompts = await Promise.all(
      [0, 1, 2].map((variant) => codeOf(gateway.engine, PROMPT_TOKENS, variant + 10)),
    );
    const started: number[] = [];
    const streams = [];
    const t0 = performance.now();
    for (const [i, code] of prompts.entries()) {
      started.push(performance.now() - t0);
      streams.push(
        openStream(gateway, {
          model: MODEL_ID,
          messages: [{ role: 'user', content: `Review part ${i}:\n${code}` }],
          max_tokens: 8,
          stream_options: { include_usage: true },
        }),
      );
      await new Promise((r) => setTimeout(r, 200)); // a clear arrival order
    }
    const records: StreamRecord[] = await Promise.all(streams.map((s) => s.finished));
    const firstToken = (r: StreamRecord) =>
      r.events.find((e) =>
        ((e.json.choices ?? []) as Array<{ delta?: { content?: string } }>).some((c) => c.delta?.content),
      )?.at ?? Number.NaN;
    for (const [i, r] of records.entries()) {
      assert.equal(r.status, 200, `stream ${i}: ${r.body.slice(0, 300)}`);
      assert.equal(r.done, true, `stream ${i} completed`);
      assert.ok(
        (timingsOf(r)?.prompt_n ?? 0) >= PROMPT_TOKENS,
        `stream ${i}: its whole prompt was processed`,
      );
      const waiting = r.comments.filter((c) => c.at < firstToken(r));
      assert.ok(waiting.length >= 1, `stream ${i}: ${waiting.length} keep-alive(s) before its first token`);
      assert.ok(r.headersAt < firstToken(r), `stream ${i}: headers before the first token`);
    }
    // Served one after the other in arrival order: each starts answering after the previous one finished.
    const absolute = (i: number, at: number) => (started[i] as number) + at;
    for (const i of [1, 2]) {
      const previous = records[i - 1] as StreamRecord;
      const current = records[i] as StreamRecord;
      assert.ok(
        absolute(i, firstToken(current)) > absolute(i - 1, previous.endedAt) - 50,
        `stream ${i}'s first token came after stream ${i - 1} ended`,
      );
      assert.ok(
        current.comments.length > previous.comments.length,
        `stream ${i} waited longer than stream ${i - 1} (${current.comments.length} vs ${previous.comments.length} keep-alives)`,
      );
    }
  });
});
