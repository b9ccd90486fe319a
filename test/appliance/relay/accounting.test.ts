/**
 * Acceptance: /metrics counts match the requests sent, per key name, and no key appears in it or in the logs.
 * Also what crosses the relay: LocalAI gets the internal key and normalised messages, never the client's
 * credentials; non-streamed answers pass unchanged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimatePromptTokens } from '../../../tools/standin/localaiStandin.ts';
import { parseExposition } from '../../support/exposition.ts';
import { CLIENT_KEY, chatBody, INTERNAL_KEY, send, startStack } from '../../support/relay.ts';

describe('accounting and what crosses the relay', { concurrency: true }, () => {
  it('/metrics counts requests, tokens, errors and rejections per key name; no key appears in it or the log', async () => {
    const stack = await startStack({ graceMs: 1000, keepAliveIntervalMs: 1000 });
    try {
      const post = (name: string | null, body: unknown) =>
        send(stack.url, {
          path: '/v1/chat/completions',
          body,
          headers: { cookie: `token=${CLIENT_KEY}`, ...(name === null ? {} : { 'X-SLM-Key-Name': name }) },
        });
      const short = chatBody();
      const long = chatBody({ messages: [{ role: 'user', content: 'x'.repeat(400) }] });
      const answers = [
        await post('alice', { ...short, stream: true }),
        await post('alice', { ...long, stream: true, stream_options: { include_usage: true } }),
        await post('alice', short),
        await post('alice', { ...short, model: 'no-such-model' }),
        await post('user:copilot', { ...long, stream: true }),
        await post(null, short),
      ];
      assert.deepEqual(
        answers.map((answer) => answer.status),
        [200, 200, 200, 404, 200, 200],
      );
      const samples = parseExposition(stack.relay.metrics());
      const shortTokens = estimatePromptTokens(short.messages);
      const longTokens = estimatePromptTokens(long.messages);
      const pieces = stack.standin.behaviour.pieces.length;
      const expected: Record<string, Record<string, number>> = {
        alice: { requests: 4, prompt: 2 * shortTokens + longTokens, completion: 3 * pieces, errors: 1 },
        'user:copilot': { requests: 1, prompt: longTokens, completion: pieces, errors: 0 },
        anonymous: { requests: 1, prompt: shortTokens, completion: pieces, errors: 0 },
      };
      for (const [key, counts] of Object.entries(expected)) {
        const at = (family: string) => samples.get(`slm_copilot_${family}{key="${key}"}`);
        assert.equal(at('requests_total'), counts.requests, `${key} requests`);
        assert.equal(at('prompt_tokens_total'), counts.prompt, `${key} prompt tokens`);
        assert.equal(at('completion_tokens_total'), counts.completion, `${key} completion tokens`);
        assert.equal(at('request_errors_total'), counts.errors, `${key} errors`);
        assert.equal(at('queue_rejections_total'), 0, `${key} rejections`);
      }
      assert.equal(samples.get('slm_copilot_time_to_first_token_seconds_count'), 3, 'streams only');
      assert.equal(samples.get('slm_copilot_queue_wait_seconds_count'), 6);
      const exposed = (await send(stack.url, { path: '/metrics' })).text;
      for (const text of [exposed, stack.logs.join('\n')]) {
        assert.ok(!text.includes(CLIENT_KEY) && !text.includes(INTERNAL_KEY), 'no key');
        assert.ok(!text.includes('Say hello') && !text.includes('stand-in says'), 'no content');
      }
    } finally {
      await stack.close();
    }
  });

  it('LocalAI gets the internal key and normalised messages, never the client credentials or the key-name header', async () => {
    const stack = await startStack();
    try {
      const answer = await send(stack.url, {
        path: '/v1/chat/completions',
        headers: {
          cookie: 'token=abc',
          'x-api-key': CLIENT_KEY,
          'X-SLM-Key-Name': 'alice',
          'x-custom': 'kept',
        },
        body: {
          model: 'devstral-small-2',
          messages: [
            { role: 'developer', content: 'Be brief.' },
            { role: 'user', content: [{ type: 'text', text: 'a' }] },
            { role: 'assistant', content: null },
            { role: 'user', content: 'b' },
          ],
          temperature: 0.15,
          unknown_field: { kept: true },
        },
      });
      assert.equal(answer.status, 200);
      const upstream = stack.standin.requests[0];
      assert.equal(upstream?.headers.authorization, `Bearer ${INTERNAL_KEY}`);
      for (const header of ['cookie', 'x-api-key', 'x-slm-key-name'])
        assert.equal(upstream?.headers[header], undefined);
      assert.equal(upstream?.headers['x-custom'], 'kept');
      assert.deepEqual(upstream?.body, {
        model: 'devstral-small-2',
        messages: [
          { role: 'system', content: 'Be brief.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'a' },
              { type: 'text', text: '\n\n' },
              { type: 'text', text: 'b' },
            ],
          },
        ],
        temperature: 0.15,
        unknown_field: { kept: true },
      });
      assert.match(
        stack.logs.join('\n'),
        /key=alice route=chat stream=false status=200 outcome=ok .* normalised=true/,
      );
    } finally {
      await stack.close();
    }
  });

  it('a 24 MB request body is normalised and forwarded; one over the limit gets 413', async () => {
    const stack = await startStack({ bodyLimitBytes: 30 * 1024 * 1024 }, { contextSize: 100_000_000 });
    try {
      const big = 'x'.repeat(24 * 1024 * 1024);
      const answer = await send(stack.url, {
        path: '/v1/chat/completions',
        body: {
          model: 'devstral-small-2',
          messages: [
            { role: 'developer', content: big },
            { role: 'user', content: 'hi' },
          ],
        },
      });
      assert.equal(answer.status, 200);
      const forwarded = stack.standin.requests[0]?.body as { messages: { role: string; content: string }[] };
      assert.equal(forwarded.messages[0]?.role, 'system');
      assert.equal(forwarded.messages[0]?.content.length, big.length);
      const tooBig = await send(stack.url, {
        path: '/v1/chat/completions',
        body: { messages: [{ role: 'user', content: `${big}${big}` }] },
      });
      assert.equal(tooBig.status, 413);
      assert.equal(JSON.parse(tooBig.text).error.code, 'request_too_large');
      assert.equal(stack.standin.requests.length, 1);
    } finally {
      await stack.close();
    }
  });

  it('a non-streamed answer passes unchanged: status, content type and bytes', async () => {
    const stack = await startStack();
    try {
      const raw = '{"model":"devstral-small-2","messages":[{"role":"user","content":"hi"}],"max_tokens":3}';
      const answer = await send(stack.url, { path: '/v1/chat/completions', body: raw });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['content-type'], 'application/json');
      assert.equal(answer.text, stack.taps[0]?.text());
      assert.equal(JSON.stringify(stack.standin.requests[0]?.body), raw);
      const completions = await send(stack.url, {
        path: '/v1/completions',
        body: { model: 'devstral-small-2', prompt: 'def f():', stream: true },
      });
      assert.equal(completions.status, 200);
      assert.equal(
        completions.text,
        stack.taps[1]?.text().replace(/data: \{[^\n]*"choices":\[\][^\n]*\n\n/, ''),
      );
      const missing = await send(stack.url, { path: '/v1/embeddings', body: { input: 'x' } });
      assert.equal(missing.status, 404);
      assert.equal(stack.standin.requests.length, 2, 'unknown routes never reach LocalAI');
    } finally {
      await stack.close();
    }
  });
});
