/**
 * A stopping OneFlow worker (relay.drain(), what its SIGTERM runs): the completions it accepted run to their end,
 * a new one gets 503 with Retry-After at once (the front retries another worker on 503), and drain() resolves
 * only when the last accepted one has ended.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatBody, send, startStack, until } from '../../support/relay.ts';

describe('draining a stopping worker', () => {
  it('streams in flight and waiting finish; a new completion gets 503 + Retry-After; drain ends after them', async () => {
    const stack = await startStack(
      { graceMs: 1000, keepAliveIntervalMs: 500, retryAfterSeconds: 7 },
      { pieces: Array.from({ length: 20 }, (_, i) => ` t${i}`), chunkIntervalMs: 50 },
    );
    try {
      const streaming = send(stack.url, { path: '/v1/chat/completions', body: chatBody({ stream: true }) });
      await until(() => stack.standin.requests.length === 1, 2000, 'the first request upstream');
      const waiting = send(stack.url, { path: '/v1/chat/completions', body: chatBody({ stream: true }) });
      await until(() => stack.relay.queue().waiting === 1, 2000, 'the second request queued');
      let drainedAt: number | null = null;
      const drained = stack.relay.drain().then(() => {
        drainedAt = performance.now();
      });

      const refused = await send(stack.url, {
        path: '/v1/chat/completions',
        body: chatBody({ stream: true }),
      });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers['retry-after'], '7');
      assert.match(refused.text, /stopping/);
      assert.equal(drainedAt, null, 'drain() waits for the accepted completions');

      // /health and /metrics still answer while it drains.
      assert.equal((await send(stack.url, { path: '/health' })).status, 200);
      assert.equal((await send(stack.url, { path: '/metrics' })).status, 200);

      const first = await streaming;
      // The queued completion streams for another second: drain() must still be waiting for it.
      assert.equal(drainedAt, null, 'drain() waits for the queued completion too');
      const second = await waiting;
      for (const timeline of [first, second]) {
        assert.equal(timeline.status, 200);
        assert.ok(timeline.complete);
        assert.match(timeline.text, /t19[\s\S]*data: \[DONE\]\n\n$/);
      }
      const finishedAt = performance.now();
      await drained;
      assert.ok(drainedAt !== null && drainedAt <= finishedAt + 500);
      assert.equal(stack.standin.requests.length, 2, 'the refused request never reached the model');
    } finally {
      await stack.close();
    }
  });

  it('with nothing in flight, drain() resolves at once', async () => {
    const stack = await startStack();
    try {
      await stack.relay.drain();
      const refused = await send(stack.url, { path: '/v1/chat/completions', body: chatBody() });
      assert.equal(refused.status, 503);
      assert.equal(stack.standin.requests.length, 0);
    } finally {
      await stack.close();
    }
  });
});
