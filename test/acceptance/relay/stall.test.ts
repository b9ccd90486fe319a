/**
 * Acceptance: LocalAI accepts a request and sends nothing at all for 330 s (a long CPU prefill). The client still
 * gets the whole answer: the relay's own call to LocalAI has no timeout, and keep-alive comments keep every idle
 * timer on the client side (Node fetch's 300 s headers and body timeouts) from firing.
 * This file takes about 5.5 minutes; both SDKs run at once, each behind its own relay.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { aiSdkStream, CLIENT_KEY, MODEL, startStack } from '../../support/relay.ts';

const STALL_MS = 330_000;
const RELAY = { graceMs: 1000, keepAliveIntervalMs: 5000 };

describe(`a model server silent for ${STALL_MS / 1000} s`, { concurrency: true }, () => {
  it('the OpenAI SDK receives the full answer', { timeout: STALL_MS + 120_000 }, async () => {
    const stack = await startStack(RELAY, { stallMs: STALL_MS });
    try {
      const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
      const started = performance.now();
      const stream = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Refactor the whole repository.' }],
        stream: true,
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      assert.ok(performance.now() - started >= STALL_MS);
      assert.equal(text, stack.standin.behaviour.pieces.join(''));
      assert.equal(stack.standin.requests.length, 1, 'sent once, never retried');
      assert.equal(stack.standin.requests[0]?.closedEarlyAt, undefined, 'the relay never gave up on LocalAI');
      assert.match(stack.logs.join('\n'), /outcome=ok .*keepalives=6\d/);
    } finally {
      await stack.close();
    }
  });

  it('the Vercel AI SDK receives the full answer', { timeout: STALL_MS + 120_000 }, async () => {
    const stack = await startStack(RELAY, { stallMs: STALL_MS });
    try {
      const { result, errors } = aiSdkStream(stack.url, { prompt: 'Refactor the whole repository.' });
      let text = '';
      for await (const part of result.fullStream) if (part.type === 'text-delta') text += part.text;
      assert.deepEqual(errors, []);
      assert.equal(text, stack.standin.behaviour.pieces.join(''));
      assert.equal(stack.standin.requests.length, 1);
      assert.equal(stack.standin.requests[0]?.closedEarlyAt, undefined);
    } finally {
      await stack.close();
    }
  });
});
