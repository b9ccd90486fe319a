/**
 * Acceptance: completions are served one at a time, FIFO; waiting streams get keep-alives; a client that goes
 * away frees LocalAI at once; a full queue answers 429; /v1/models, /health and /metrics never wait.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatBody, commentTimes, send, splitKeepAlives, startStack, until } from '../../support/relay.ts';

const RELAY = { graceMs: 1000, keepAliveIntervalMs: 500 };

describe('queueing and cancellation', { concurrency: true }, () => {
  it('two concurrent streams: the second waits (with keep-alives), then completes; never two upstream at once', async () => {
    const stack = await startStack(RELAY, { firstByteDelayMs: 2500, chunkIntervalMs: 20 });
    try {
      const first = send(stack.url, { path: '/v1/chat/completions', body: chatBody({ stream: true }) });
      await until(() => stack.standin.requests.length === 1, 2000, 'the first request upstream');
      const second = await send(stack.url, {
        path: '/v1/chat/completions',
        body: chatBody({ stream: true }),
      });
      const a = await first;
      const [upA, upB] = stack.standin.requests;
      assert.ok(upA?.finishedAt !== undefined && upB !== undefined);
      assert.ok(upB.receivedAt >= upA.finishedAt, 'B reached LocalAI only after A finished');
      for (const timeline of [a, second]) {
        assert.equal(timeline.status, 200);
        assert.match(timeline.text, /data: \[DONE\]\n\n$/);
      }
      assert.ok(second.headersAt < 2000, `B's headers after ${second.headersAt} ms`);
      const comments = commentTimes(second);
      assert.ok(comments.length >= 6, `B got ${comments.length} keep-alives over ~5 s`);
      assert.equal(
        splitKeepAlives(second.text).rest,
        stack.taps[1]?.text().replace(/data: \{[^\n]*"choices":\[\][^\n]*\n\n/, ''),
      );
      assert.match(stack.relay.metrics(), /slm_copilot_queue_wait_seconds_count 2/);
    } finally {
      await stack.close();
    }
  });

  it('a client that disconnects during prompt processing: LocalAI sees its connection closed within 1 s', async () => {
    const stack = await startStack(RELAY, { firstByteDelayMs: 30_000 });
    try {
      await send(stack.url, {
        path: '/v1/chat/completions',
        body: chatBody({ stream: true }),
        abortAfterMs: 1500,
      });
      const abortedAt = Date.now();
      await until(
        () => stack.standin.requests[0]?.closedEarlyAt !== undefined,
        1000,
        'LocalAI to see the close',
      );
      assert.ok((stack.standin.requests[0]?.closedEarlyAt ?? 0) - abortedAt < 1000);
      await until(
        () => stack.relay.metrics().includes('slm_copilot_requests_cancelled_total{key="anonymous"} 1'),
        1000,
        'counted',
      );
    } finally {
      await stack.close();
    }
  });

  it('a client that disconnects mid-generation: LocalAI stops at once; one that leaves the queue never reaches it', async () => {
    const stack = await startStack(RELAY, {
      pieces: Array.from({ length: 200 }, (_, i) => ` t${i}`),
      chunkIntervalMs: 50,
    });
    try {
      const generating = send(stack.url, {
        path: '/v1/chat/completions',
        body: chatBody({ stream: true }),
        abortAfterMs: 1200,
      });
      await until(() => stack.standin.requests.length === 1, 2000, 'the first request upstream');
      const queued = send(stack.url, {
        path: '/v1/chat/completions',
        body: chatBody({ stream: true }),
        abortAfterMs: 400,
      });
      await Promise.all([generating, queued]);
      const abortedAt = Date.now();
      await until(
        () => stack.standin.requests[0]?.closedEarlyAt !== undefined,
        1000,
        'LocalAI to see the close',
      );
      const first = stack.standin.requests[0];
      assert.ok((first?.closedEarlyAt ?? 0) - abortedAt < 1000);
      assert.ok((first?.eventsSent ?? 0) < 100, 'generation stopped');
      // The one that left the queue is never sent; a new one is served next.
      const next = await send(stack.url, { path: '/v1/chat/completions', body: chatBody({ max_tokens: 2 }) });
      assert.equal(next.status, 200);
      assert.equal(stack.standin.requests.length, 2);
      assert.equal((stack.standin.requests[1]?.body as { max_tokens?: number } | undefined)?.max_tokens, 2);
    } finally {
      await stack.close();
    }
  });

  it('a full queue answers 429 with Retry-After and an OpenAI-shaped error; it is counted per key', async () => {
    const stack = await startStack({ ...RELAY, queueLimit: 1 }, { firstByteDelayMs: 3000 });
    try {
      const key = { 'x-slm-key-name': 'carol' };
      const running = send(stack.url, {
        path: '/v1/chat/completions',
        body: chatBody({ stream: true }),
        headers: key,
      });
      await until(() => stack.standin.requests.length === 1, 2000, 'the first request upstream');
      const waiting = send(stack.url, { path: '/v1/chat/completions', body: chatBody(), headers: key });
      await until(() => stack.relay.metrics().includes('slm_copilot_queue_waiting 1'), 2000, 'one waiting');
      const refused = await send(stack.url, {
        path: '/v1/chat/completions',
        body: chatBody({ stream: true }),
        headers: key,
      });
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers['retry-after']) > 0);
      assert.equal(refused.headers['content-type'], 'application/json');
      const error = JSON.parse(refused.text).error;
      assert.equal(error.code, 'queue_full');
      assert.equal(error.type, 'rate_limit_error');
      assert.equal((await running).status, 200);
      assert.equal((await waiting).status, 200);
      const metrics = stack.relay.metrics();
      assert.match(metrics, /slm_copilot_queue_rejections_total\{key="carol"\} 1/);
      assert.match(metrics, /slm_copilot_requests_total\{key="carol"\} 3/);
    } finally {
      await stack.close();
    }
  });

  it('/v1/models, /health and /metrics are answered at once while a completion runs', async () => {
    const stack = await startStack({ ...RELAY, queueLimit: 0 }, { firstByteDelayMs: 4000 });
    try {
      const running = send(stack.url, { path: '/v1/chat/completions', body: chatBody({ stream: true }) });
      await until(() => stack.standin.requests.length === 1, 2000, 'the completion upstream');
      for (const path of ['/v1/models', '/health', '/metrics']) {
        const answer = await send(stack.url, { path });
        assert.equal(answer.status, 200, path);
        assert.ok(answer.headersAt < 500, `${path} after ${answer.headersAt} ms`);
      }
      const models = await send(stack.url, { path: '/v1/models' });
      assert.deepEqual(JSON.parse(models.text).data, [{ id: 'devstral-small-2', object: 'model' }]);
      assert.equal((await running).status, 200);
    } finally {
      await stack.close();
    }
  });
});
