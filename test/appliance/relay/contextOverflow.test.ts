/**
 * LocalAI's context overflow (500 JSON, or 200 + the llama.cpp text + an SSE error event when streaming) reaches
 * clients as OpenAI's 400 `context_length_exceeded`, which is what makes Cline compact its history.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OpenAI, { APIError } from 'openai';
import { contextOverflowError, StreamLookahead } from '../../../src/appliance/relay/contextOverflow.ts';
import { CLIENT_KEY, chatBody, MODEL, send, startStack } from '../../support/relay.ts';

const OVERFLOW_STYLES = [
  { name: 'LocalAI v4.9.0', standin: { contextSize: 5, contextOverflowStyle: 'localai' as const } },
  // llama.cpp's own server: 400 exceed_context_size_error, no `code` (test/acceptance/engine/overflow.test.ts).
  { name: 'llama-server', standin: { contextSize: 5, contextOverflowStyle: 'llama-server' as const } },
];
const event = (value: unknown) => Buffer.from(`data: ${JSON.stringify(value)}\n\n`);
const chunk = (delta: Record<string, unknown>) =>
  event({ object: 'chat.completion.chunk', choices: [{ index: 0, delta }] });

describe('StreamLookahead', () => {
  it('holds role-only chunks, releases at the first real token or tool call', () => {
    const text = new StreamLookahead();
    assert.equal(text.push(chunk({ role: 'assistant', content: null })).kind, 'hold');
    assert.equal(text.push(chunk({ content: 'Hello' })).kind, 'release');
    assert.equal(new StreamLookahead().push(chunk({ tool_calls: [{ index: 0 }] })).kind, 'release');
    assert.equal(new StreamLookahead().push(Buffer.from('data: [DONE]\n\n')).kind, 'release');
  });
  it('turns overflow text followed by an error event into a 400 context_length_exceeded', () => {
    const lookahead = new StreamLookahead();
    lookahead.push(chunk({ role: 'assistant', content: null }));
    const overflow =
      'request (9000 tokens) exceeds the available context size (8192 tokens), try increasing it';
    assert.equal(lookahead.push(chunk({ content: overflow })).kind, 'hold');
    const decision = lookahead.push(
      event({ error: { code: 'server_error', message: 'stream error', type: 'server_error' } }),
    );
    assert.equal(decision.kind, 'error');
    assert.ok(decision.kind === 'error');
    assert.equal(decision.status, 400);
    assert.deepEqual(decision.error, contextOverflowError(overflow));
    assert.match(
      String(decision.error.message),
      /maximum context length is 8192 tokens\. However, your messages resulted in 9000 tokens/,
    );
  });
  it('any other error before the first token is a 500 keeping the upstream error; split chunks are handled', () => {
    const lookahead = new StreamLookahead();
    const raw = event({ error: { message: 'backend crashed', type: 'server_error' } });
    assert.equal(lookahead.push(raw.subarray(0, 10)).kind, 'hold');
    const decision = lookahead.push(raw.subarray(10));
    assert.ok(decision.kind === 'error');
    assert.equal(decision.status, 500);
    assert.equal(decision.error.message, 'backend crashed');
  });
});

describe('context overflow through the relay (stand-in, as LocalAI v4.9.0 and as llama-server answer it)', {
  concurrency: true,
}, () => {
  for (const [stream, style] of [true, false].flatMap((s) => OVERFLOW_STYLES.map((o) => [s, o] as const))) {
    it(`${style.name}, ${stream ? 'streaming' : 'non-streaming'}: the openai SDK gets 400 context_length_exceeded`, async () => {
      const stack = await startStack({}, style.standin);
      try {
        const raw = await send(stack.url, {
          method: 'POST',
          path: '/v1/chat/completions',
          body: chatBody({ stream }),
        });
        assert.equal(raw.status, 400, raw.text);
        assert.equal(JSON.parse(raw.text).error.code, 'context_length_exceeded');
        const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
        const error = await client.chat.completions
          .create({
            model: MODEL,
            messages: [{ role: 'user', content: 'far too long for five tokens' }],
            stream,
          })
          .then(async (result) => {
            if (stream) for await (const _ of result as AsyncIterable<unknown>);
            return null;
          })
          .catch((caught: unknown) => caught);
        assert.ok(error instanceof APIError, String(error));
        assert.equal(error.status, 400);
        assert.equal(error.code, 'context_length_exceeded');
      } finally {
        await stack.close();
      }
    });
  }

  it('a normal stream is not held back longer than its first token and stays byte-identical', async () => {
    const stack = await startStack({}, { firstByteDelayMs: 200, chunkIntervalMs: 100 });
    try {
      const raw = await send(stack.url, {
        method: 'POST',
        path: '/v1/chat/completions',
        body: chatBody({ stream: true, stream_options: { include_usage: true } }),
      });
      assert.equal(raw.status, 200);
      assert.equal(raw.text, stack.taps.find((tap) => tap.path === '/v1/chat/completions')?.text());
      assert.ok(raw.headersAt < 1000, `headers after ${raw.headersAt} ms`);
    } finally {
      await stack.close();
    }
  });
});
