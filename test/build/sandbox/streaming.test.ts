import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requireBundle } from '../../support/bundle.ts';
import { chatBody, type Gateway, startGateway } from '../../support/gateway.ts';
import { bearer, request } from '../../support/https.ts';

/** Arrival times of SSE data events (not of TCP chunks, which may hold several or part of one). */
function eventTimes(chunks: readonly string[], times: readonly number[]): number[] {
  const result: number[] = [];
  chunks.forEach((chunk, index) => {
    for (const _ of chunk.matchAll(/^data: /gm)) result.push(times[index] as number);
  });
  return result;
}

describe('gateway streaming and big requests (real nginx, LocalAI stand-in)', () => {
  let gateway: Gateway;
  before(async () => {
    requireBundle();
    gateway = await startGateway();
  });
  after(() => gateway?.close());

  const stream = (extra: Record<string, unknown> = {}) =>
    request(`${gateway.sandbox.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...bearer(gateway.key), 'Content-Type': 'application/json' },
      body: chatBody({ stream: true, ...extra }),
      ca: gateway.caPem,
    });

  it('is incremental: events emitted 300 ms apart arrive about 300 ms apart', async () => {
    gateway.standin.behave({ chunkIntervalMs: 300, pieces: ['a', 'b', 'c', 'd', 'e', 'f'] });
    try {
      const response = await stream();
      assert.equal(response.status, 200);
      assert.match(String(response.headers['content-type']), /text\/event-stream/);
      assert.equal(response.headers['content-encoding'], undefined);
      const times = eventTimes(response.chunks, response.chunkTimes);
      const content = times.slice(1, 7);
      const gaps = content.slice(1).map((time, index) => time - (content[index] as number));
      assert.equal(gaps.length, 5, `events: ${times.length}`);
      for (const gap of gaps)
        assert.ok(gap > 150 && gap < 1500, `gap ${gap.toFixed(0)} ms in ${gaps.map(Math.round)}`);
    } finally {
      gateway.standin.behave({ chunkIntervalMs: 0, pieces: ['The', ' stand-in', ' says', ' hello', '.'] });
    }
  });

  it('accepts a 20 MB body and passes it on whole', async () => {
    const filler = 'x'.repeat(20 * 1024 * 1024);
    const before = gateway.standin.requests.length;
    const response = await request(`${gateway.sandbox.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...bearer(gateway.key), 'Content-Type': 'application/json' },
      body: JSON.stringify({
        model: 'devstral-small-2',
        max_tokens: 1,
        messages: [{ role: 'user', content: filler }],
      }),
      ca: gateway.caPem,
      timeoutMs: 60_000,
    });
    assert.notEqual(response.status, 413);
    const seen = gateway.standin.requests.slice(before).find((r) => r.path === '/v1/chat/completions');
    const body = seen?.body as { messages: { content: string }[] } | undefined;
    assert.equal(body?.messages[0]?.content.length, filler.length);
  });

  it('refuses a body over the limit with 413 JSON', async () => {
    const response = await request(`${gateway.sandbox.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...bearer(gateway.key), 'Content-Type': 'application/json' },
      body: Buffer.alloc(65 * 1024 * 1024, 0x61),
      ca: gateway.caPem,
      timeoutMs: 60_000,
    });
    assert.equal(response.status, 413);
    assert.equal(JSON.parse(response.body).error.code, 'request_too_large');
  });

  it('completes 16 concurrent streams', async () => {
    gateway.standin.behave({ chunkIntervalMs: 20 });
    try {
      const responses = await Promise.all(Array.from({ length: 16 }, () => stream()));
      for (const response of responses) {
        assert.equal(response.status, 200);
        assert.match(response.body, /data: \[DONE\]/);
        assert.match(response.body, /hello/);
      }
    } finally {
      gateway.standin.behave({ chunkIntervalMs: 0 });
    }
  });

  it('answers 503 JSON with Retry-After while the upstream is down', async () => {
    await gateway.standin.close();
    const response = await stream();
    assert.equal(response.status, 503);
    assert.ok(Number(response.headers['retry-after']) > 0);
    assert.equal(JSON.parse(response.body).error.code, 'service_unavailable');
    assert.ok(response.headers['access-control-allow-origin']);
  });
});
