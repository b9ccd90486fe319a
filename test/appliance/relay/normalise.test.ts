import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Json,
  type Message,
  normaliseMessages,
  prepareRequest,
} from '../../../src/appliance/relay/normalise.ts';

const user = (content: Json): Message => ({ role: 'user', content });
const assistant = (content: Json): Message => ({ role: 'assistant', content });
const system = (content: string): Message => ({ role: 'system', content });
const call = {
  id: 'call_1',
  type: 'function',
  function: { name: 'read_file', arguments: '{"path":"a.ts"}' },
};
const withCall = (content: Json = null): Message => ({
  role: 'assistant',
  content,
  tool_calls: [call],
});
const tool = (content: string): Message => ({ role: 'tool', tool_call_id: 'call_1', content });
const text = (t: string) => ({ type: 'text', text: t });

interface Case {
  readonly name: string;
  readonly input: Message[];
  readonly output: Message[];
}

const rule1: Case[] = [
  {
    name: 'drops an assistant message with null content and no tool calls',
    input: [user('a'), assistant(null), system('s')],
    output: [user('a'), system('s')],
  },
  {
    name: 'drops one with empty-string content, absent content, an empty array or only empty text parts',
    input: [
      system('s'),
      assistant(''),
      { role: 'assistant' },
      assistant([]),
      assistant([text('')]),
      { role: 'assistant', content: null, tool_calls: [] },
    ],
    output: [system('s')],
  },
  {
    name: 'keeps one with tool calls and no content, and one with a legacy function_call',
    input: [
      user('a'),
      withCall(null),
      tool('r'),
      { role: 'assistant', content: null, function_call: call.function },
    ],
    output: [
      user('a'),
      withCall(null),
      tool('r'),
      { role: 'assistant', content: null, function_call: call.function },
    ],
  },
  {
    name: 'keeps whitespace-only content (it is content)',
    input: [user('a'), assistant(' ')],
    output: [user('a'), assistant(' ')],
  },
  {
    name: 'never drops an empty user, system or tool message',
    input: [system(''), user(''), withCall(), tool('')],
    output: [system(''), user(''), withCall(), tool('')],
  },
];

const rule2: Case[] = [
  {
    name: 'developer becomes system, every field kept',
    input: [{ role: 'developer', content: 'be brief', name: 'x' }, user('a')],
    output: [{ role: 'system', content: 'be brief', name: 'x' }, user('a')],
  },
  {
    name: 'a later developer message too (not merged with a system message)',
    input: [system('s'), { role: 'developer', content: 'd' }, user('a')],
    output: [system('s'), system('d'), user('a')],
  },
];

const rule3: Case[] = [
  {
    name: 'merges consecutive user strings with a blank line',
    input: [system('s'), user('one'), user('two'), user('three')],
    output: [system('s'), user('one\n\ntwo\n\nthree')],
  },
  {
    name: 'merges consecutive user part arrays, keeping every part, separated by a text part',
    input: [user([text('a'), { type: 'image_url', image_url: { url: 'data:x' } }]), user([text('b')])],
    output: [user([text('a'), { type: 'image_url', image_url: { url: 'data:x' } }, text('\n\n'), text('b')])],
  },
  {
    name: 'merges a string with an array (the string becomes a text part)',
    input: [user('a'), user([text('b')]), user('c')],
    output: [user([text('a'), text('\n\n'), text('b'), text('\n\n'), text('c')])],
  },
  {
    name: 'merges consecutive plain-text assistant messages',
    input: [user('q'), assistant('part 1'), assistant('part 2')],
    output: [user('q'), assistant('part 1\n\npart 2')],
  },
  {
    name: 'merges users made adjacent by dropping an empty assistant (drop comes first)',
    input: [user('a'), assistant(null), user('b')],
    output: [user('a\n\nb')],
  },
  {
    name: 'does not merge messages whose other fields differ (nothing is lost)',
    input: [
      { role: 'user', content: 'a', name: 'alice' },
      { role: 'user', content: 'b', name: 'bob' },
    ],
    output: [
      { role: 'user', content: 'a', name: 'alice' },
      { role: 'user', content: 'b', name: 'bob' },
    ],
  },
  {
    name: 'merges messages whose other fields are equal, keeping them',
    input: [
      { role: 'user', content: 'a', name: 'alice' },
      { role: 'user', content: 'b', name: 'alice' },
    ],
    output: [{ role: 'user', content: 'a\n\nb', name: 'alice' }],
  },
  {
    name: 'an empty user string merges without a stray separator',
    input: [user(''), user('b')],
    output: [user('b')],
  },
];

const rule4: Case[] = [
  {
    name: 'never merges tool messages',
    input: [withCall(), tool('r1'), tool('r2')],
    output: [withCall(), tool('r1'), tool('r2')],
  },
  {
    name: 'never merges an assistant carrying tool_calls with a text assistant, either way round',
    input: [user('q'), assistant('thinking'), withCall('calling'), assistant('after')],
    output: [user('q'), assistant('thinking'), withCall('calling'), assistant('after')],
  },
  {
    name: 'never merges two assistants carrying tool_calls',
    input: [user('q'), withCall(), withCall()],
    output: [user('q'), withCall(), withCall()],
  },
  {
    name: 'does not merge system messages',
    input: [system('a'), system('b')],
    output: [system('a'), system('b')],
  },
];

for (const [title, cases] of [
  ['rule 1: drop assistant messages with neither content nor tool calls', rule1],
  ['rule 2: developer → system', rule2],
  ['rule 3: merge consecutive user / plain-text assistant messages', rule3],
  ['rule 4: tool messages and tool-call assistants are never merged', rule4],
] as const) {
  describe(title, () => {
    for (const c of cases) {
      it(c.name, () => {
        const input = structuredClone(c.input);
        assert.deepEqual(normaliseMessages(input), c.output);
        assert.deepEqual(input, c.input, 'the input is not mutated');
      });
    }
  });
}

describe('normaliseMessages', () => {
  it('returns the same message objects when nothing needs changing', () => {
    const messages = [system('s'), user('a'), withCall(), tool('r'), assistant('done')];
    const out = normaliseMessages(messages);
    assert.equal(out.length, messages.length);
    for (const [index, message] of out.entries()) assert.equal(message, messages[index]);
  });
});

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('prepareRequest', () => {
  it('passes a body that is not JSON, or not an object, unchanged as a non-stream', () => {
    for (const raw of ['not json', '[1,2]', '"text"', '']) {
      const body = Buffer.from(raw);
      const prepared = prepareRequest('chat', body);
      assert.equal(prepared.body, body);
      assert.equal(prepared.stream, false);
      assert.equal(prepared.dropUsageChunk, false);
    }
  });
  it('keeps the exact bytes when nothing changes (non-stream, normal messages)', () => {
    const body = Buffer.from('{ "model": "m",  "messages": [{"role":"user","content":"hi"}], "n": 1.0 }');
    const prepared = prepareRequest('chat', body);
    assert.equal(prepared.body, body);
    assert.equal(prepared.normalised, false);
  });
  it('keeps the exact bytes for a stream that already asks for usage', () => {
    const body = json({ messages: [user('a')], stream: true, stream_options: { include_usage: true } });
    const prepared = prepareRequest('chat', body);
    assert.equal(prepared.body, body);
    assert.equal(prepared.stream, true);
    assert.equal(prepared.dropUsageChunk, false);
  });
  it('asks for include_usage on a stream that did not, keeping other stream options and unknown fields', () => {
    const prepared = prepareRequest(
      'chat',
      json({ model: 'm', messages: [user('a')], stream: true, stream_options: { x: 1 }, weird: { a: [1] } }),
    );
    assert.equal(prepared.dropUsageChunk, true);
    assert.deepEqual(JSON.parse(prepared.body.toString()), {
      model: 'm',
      messages: [user('a')],
      stream: true,
      stream_options: { x: 1, include_usage: true },
      weird: { a: [1] },
    });
    const explicitFalse = prepareRequest(
      'chat',
      json({ messages: [], stream: true, stream_options: { include_usage: false } }),
    );
    assert.equal(explicitFalse.dropUsageChunk, true);
  });
  it('normalises chat messages and says so; other fields untouched', () => {
    const prepared = prepareRequest(
      'chat',
      json({ model: 'm', messages: [{ role: 'developer', content: 'd' }, user('a'), user('b')], tools: [] }),
    );
    assert.equal(prepared.normalised, true);
    assert.deepEqual(JSON.parse(prepared.body.toString()), {
      model: 'm',
      messages: [system('d'), user('a\n\nb')],
      tools: [],
    });
  });
  it('leaves /v1/completions prompts alone but still asks for usage on streams', () => {
    const body = json({ prompt: 'def f():', stream: true, messages: [user('a'), user('b')] });
    const prepared = prepareRequest('completions', body);
    const parsed = JSON.parse(prepared.body.toString());
    assert.deepEqual(parsed.messages, [user('a'), user('b')]);
    assert.deepEqual(parsed.stream_options, { include_usage: true });
  });
  it('leaves a chat body whose messages are not all objects alone', () => {
    const body = json({ messages: ['hi', user('a'), user('b')] });
    assert.equal(prepareRequest('chat', body).body, body);
  });
  it('treats only stream: true as streaming', () => {
    assert.equal(prepareRequest('chat', json({ messages: [], stream: 'true' })).stream, false);
  });
});
