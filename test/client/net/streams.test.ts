import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { streamVerdict } from '../../../src/client/check/streamingCheck.ts';
import { clientDecodeRate, summariseStream } from '../../../src/client/net/chatStream.ts';
import type { TimedChunk } from '../../../src/client/net/http.ts';
import { bursts, parseSse } from '../../../src/client/net/sse.ts';

const event = (data: object | string) =>
  `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
const delta = (d: object, finish: string | null = null) => ({
  choices: [{ index: 0, finish_reason: finish, delta: d }],
});

describe('SSE and streamed chat completions', () => {
  it('parses events split across chunks, timing each by its last byte, and counts keep-alive comments', () => {
    const chunks: TimedChunk[] = [
      { at: 5, text: ': keep-alive\n\n' },
      { at: 10, text: 'data: {"choices":[{"delta":{"content":"He' },
      { at: 20, text: 'llo"}}]}\n\ndata: [DONE]\r\n\r\n' },
    ];
    const parse = parseSse(chunks);
    assert.deepEqual(parse.comments, [5]);
    assert.deepEqual(
      parse.events.map((e) => [e.at, e.data]),
      [
        [20, '{"choices":[{"delta":{"content":"Hello"}}]}'],
        [20, '[DONE]'],
      ],
    );
  });

  it('merges tool-call deltas by index, keeps the last non-empty usage with timings, sees [DONE]', () => {
    const text = [
      event(delta({ role: 'assistant', content: null })),
      event(
        delta({
          tool_calls: [
            { index: 0, id: 'a', type: 'function', function: { name: 'read_file', arguments: '' } },
          ],
        }),
      ),
      event(delta({ tool_calls: [{ index: 0, function: { arguments: '{"path":' } }] })),
      event(delta({ tool_calls: [{ index: 0, function: { arguments: '"a.ts"}' } }] })),
      event(delta({ content: null }, 'tool_calls')),
      event({
        choices: [],
        usage: {
          prompt_tokens: 10,
          completion_tokens: 5,
          timing_prompt_processing: 100,
          timing_token_generation: 40,
        },
      }),
      event('[DONE]'),
    ].join('');
    const summary = summariseStream(parseSse([{ at: 1, text }]));
    assert.deepEqual(summary.toolCalls, [{ name: 'read_file', arguments: '{"path":"a.ts"}' }]);
    assert.equal(summary.finishReason, 'tool_calls');
    assert.deepEqual(summary.usage, {
      promptTokens: 10,
      completionTokens: 5,
      cachedTokens: null,
      promptMs: 100,
      generationMs: 40,
      promptTokensPerSecond: null,
      generationTokensPerSecond: null,
    });
    assert.equal(summary.done, true);
    assert.equal(summary.tokenTimes.length, 3);
  });

  it("reads llama-server's timings and an SSE error event", () => {
    const timings = summariseStream(
      parseSse([
        {
          at: 1,
          text: event({
            choices: [],
            timings: {
              prompt_n: 100,
              prompt_ms: 50,
              prompt_per_second: 2000,
              predicted_n: 9,
              predicted_ms: 80,
              predicted_per_second: 112.5,
              cache_n: 60,
            },
          }),
        },
      ]),
    );
    // prompt_n is what llama.cpp processed; the prompt was that plus the cache_n tokens it reused.
    assert.deepEqual(timings.usage, {
      promptTokens: 160,
      completionTokens: 9,
      cachedTokens: 60,
      promptMs: 50,
      generationMs: 80,
      promptTokensPerSecond: 2000,
      generationTokensPerSecond: 112.5,
    });
    const failed = summariseStream(
      parseSse([
        {
          at: 1,
          text: event({ error: { message: 'rpc error: code = Unavailable desc = EOF' } }) + event('[DONE]'),
        },
      ]),
    );
    assert.equal(failed.error, 'rpc error: code = Unavailable desc = EOF');
  });

  it('tells a stream delivered token by token from one held back by a proxy', () => {
    const tokens = (times: number[]) =>
      summariseStream(parseSse(times.map((at, i) => ({ at, text: event(delta({ content: `t${i}` })) }))));
    const streamed = tokens([100, 150, 200, 250, 300, 350]);
    assert.equal(streamVerdict(streamed).incremental, true);
    assert.equal(Math.round(clientDecodeRate(streamed) ?? 0), 20);
    assert.equal(streamVerdict(tokens([900, 900, 900, 900.5, 901, 901])).incremental, false, 'all at once');
    assert.equal(
      streamVerdict(tokens([100, 900, 900, 900, 900, 900, 901, 950])).incremental,
      false,
      'mostly in one burst',
    );
    assert.equal(streamVerdict(tokens([100, 101])).incremental, null, 'too few tokens to tell');
    // A fast engine (llama-server on a small model: a token every ~3 ms) is not a buffering proxy: its own
    // generation time says the back-to-back arrivals were paced by generation. A held-back answer is not.
    const timed = (times: number[], generationMs: number) =>
      summariseStream(
        parseSse([
          ...times.map((at, i) => ({ at, text: event(delta({ content: `t${i}` })) })),
          {
            at: times.at(-1) ?? 0,
            text: event({ choices: [], timings: { predicted_n: times.length, predicted_ms: generationMs } }),
          },
        ]),
      );
    const fast = Array.from({ length: 40 }, (_, i) => 100 + i * 2.5);
    assert.equal(streamVerdict(tokens(fast)).incremental, false, 'by arrival alone: one burst');
    assert.equal(streamVerdict(timed(fast, 100)).incremental, true, 'paced by a 100 ms generation');
    assert.equal(streamVerdict(timed(fast, 2000)).incremental, false, 'held back: generation took 2 s');
    assert.equal(
      streamVerdict(timed([100, 900, 900, 900, 900, 900, 901, 950], 850)).incremental,
      false,
      'mostly in one burst, the server generated for 850 ms',
    );
    assert.equal(bursts([1, 2, 3, 10, 11, 30]), 3);
  });
});
