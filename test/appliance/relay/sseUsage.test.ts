import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventFacts, SseUsageFilter } from '../../../src/appliance/relay/sseUsage.ts';

const event = (payload: unknown) =>
  `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
const content = (t: string) =>
  event({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: t } }] });
const trailer = event({
  object: 'chat.completion.chunk',
  choices: [],
  usage: { prompt_tokens: 120, completion_tokens: 7, total_tokens: 127 },
});
const done = event('[DONE]');
const STREAM = content('Hel') + content('lo') + trailer + done;

/** Feeds text split at the given byte offsets; returns what the client receives. */
function run(filter: SseUsageFilter, text: string, cuts: number[]): string {
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(filter.push(bytes.subarray(from, cut)));
    from = cut;
  }
  out.push(filter.flush());
  return Buffer.concat(out).toString();
}

/** Every way to cut the stream in two and in three (coarse grid for three). */
function cutsOf(length: number): number[][] {
  const cuts: number[][] = [[]];
  for (let a = 1; a < length; a++) cuts.push([a]);
  for (let a = 1; a < length; a += 7) for (let b = a + 1; b < length; b += 11) cuts.push([a, b]);
  return cuts;
}

describe('SseUsageFilter, pass-through (the client asked for usage)', () => {
  it('returns every chunk unchanged (the same Buffer) and reads the usage, however the stream is cut', () => {
    for (const cuts of cutsOf(STREAM.length)) {
      const filter = new SseUsageFilter(false);
      const bytes = Buffer.from(STREAM);
      let from = 0;
      for (const cut of [...cuts, bytes.length]) {
        const chunk = bytes.subarray(from, cut);
        assert.equal(filter.push(chunk), chunk);
        from = cut;
      }
      assert.equal(filter.flush().length, 0);
      assert.deepEqual(filter.usage, { promptTokens: 120, completionTokens: 7 }, `cuts ${cuts}`);
    }
  });
  it('knows whether the client is at an event boundary', () => {
    const filter = new SseUsageFilter(false);
    filter.push(Buffer.from(content('a')));
    assert.equal(filter.atBoundary, true);
    filter.push(Buffer.from('data: {"obj'));
    assert.equal(filter.atBoundary, false);
    assert.equal(filter.abandon().toString(), '\n\n', 'terminates the partial event already sent');
  });
  it('takes the last usage seen (old LocalAI: zeros in every chunk, totals at the end)', () => {
    const filter = new SseUsageFilter(false);
    const zero = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    run(
      filter,
      event({ choices: [{ delta: { content: 'a' } }], usage: zero }) +
        event({
          choices: [{ delta: {}, finish_reason: 'stop' }],
          usage: { prompt_tokens: 5, completion_tokens: 2 },
        }) +
        done,
      [],
    );
    assert.deepEqual(filter.usage, { promptTokens: 5, completionTokens: 2 });
  });
});

describe('SseUsageFilter, dropping the trailer the relay asked for', () => {
  it('removes exactly the usage-only event, however the stream is cut', () => {
    const expected = content('Hel') + content('lo') + done;
    for (const cuts of cutsOf(STREAM.length)) {
      const filter = new SseUsageFilter(true);
      assert.equal(run(filter, STREAM, cuts), expected, `cuts ${cuts}`);
      assert.deepEqual(filter.usage, { promptTokens: 120, completionTokens: 7 });
    }
  });
  it('keeps chunks that carry usage and choices (not a trailer)', () => {
    const withChoices = event({
      choices: [{ delta: { content: 'x' } }],
      usage: { prompt_tokens: 1, completion_tokens: 1 },
    });
    const filter = new SseUsageFilter(true);
    assert.equal(run(filter, withChoices + done, []), withChoices + done);
  });
  it('handles CRLF event boundaries', () => {
    const crlf = (s: string) => s.replace(/\n\n/g, '\r\n\r\n');
    const filter = new SseUsageFilter(true);
    assert.equal(run(filter, crlf(STREAM), [10, 80]), crlf(content('Hel') + content('lo') + done));
    assert.deepEqual(filter.usage, { promptTokens: 120, completionTokens: 7 });
  });
  it('leaves content that merely contains the word "usage" alone', () => {
    const tricky = content('the "usage" field');
    const filter = new SseUsageFilter(true);
    assert.equal(run(filter, tricky + done, [5]), tricky + done);
    assert.equal(filter.usage, null);
  });
  it('drops a trailer that ends the stream without a boundary, keeps other unterminated text', () => {
    const filter = new SseUsageFilter(true);
    assert.equal(run(filter, content('a') + trailer.trimEnd(), []), content('a'));
    const other = new SseUsageFilter(true);
    assert.equal(run(other, `${content('a')}data: {"x":1}`, []), `${content('a')}data: {"x":1}`);
  });
  it('discards a held-back partial event when abandoned (nothing of it reached the client)', () => {
    const filter = new SseUsageFilter(true);
    assert.equal(filter.push(Buffer.from(`${content('a')}data: {"par`)).toString(), content('a'));
    assert.equal(filter.abandon().length, 0);
  });
});

describe('SseUsageFilter, errors', () => {
  it('notices an {"error": …} event, not the word in content', () => {
    const quiet = new SseUsageFilter(false);
    run(quiet, content('{"error": 1} is what the "error" key looks like') + done, []);
    assert.equal(quiet.sawError, false);
    const failing = new SseUsageFilter(false);
    run(
      failing,
      `${content('a')}data: {"error":{"message":"rpc error","type":"server_error"}}\n\n${done}`,
      [],
    );
    assert.equal(failing.sawError, true);
  });
});

describe('eventFacts', () => {
  it('joins multi-line data and accepts "data:" without a space', () => {
    assert.deepEqual(eventFacts('data:{"choices":[],\ndata: "usage":{"prompt_tokens":3}}'), {
      usage: { promptTokens: 3, completionTokens: 0 },
      usageOnly: true,
    });
  });
  it('ignores events that are not JSON or carry no usable usage', () => {
    assert.deepEqual(eventFacts('data: [DONE]'), { usage: null, usageOnly: false });
    assert.deepEqual(eventFacts('data: {"usage":null,"choices":[]}'), { usage: null, usageOnly: false });
    assert.deepEqual(eventFacts(': comment'), { usage: null, usageOnly: false });
  });
});
