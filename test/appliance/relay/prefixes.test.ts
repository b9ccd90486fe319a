/** The learned prefixes' pure rules: what a prefix is, its identity, what is kept, the warm-up request. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepareRequest } from '../../../src/appliance/relay/normalise.ts';
import {
  extractPrefix,
  keep,
  type PrefixEntry,
  parseEntries,
  recordTokens,
  recordUse,
  serialiseEntries,
  warmupRequest,
} from '../../../src/appliance/relay/prefixes.ts';

const TOOLS = [{ type: 'function', function: { name: 'read_file', parameters: { type: 'object' } } }];
const chat = (extra: Record<string, unknown> = {}, messages?: unknown[]) =>
  Buffer.from(
    JSON.stringify({
      model: 'devstral-small-2',
      messages: messages ?? [
        { role: 'system', content: 'You are Cline. Workspace: /home/dev/project.' },
        { role: 'user', content: 'Fix the bug.' },
        { role: 'assistant', content: 'Looking.' },
        { role: 'user', content: 'Go on.' },
      ],
      tools: TOOLS,
      temperature: 0.2,
      stream: true,
      ...extra,
    }),
  );
const DAY = 24 * 3600 * 1000;

describe('prompt prefixes', () => {
  it('the prefix is everything before the first user turn, with the fields that shape the prompt', () => {
    const prefix = extractPrefix(chat({ tool_choice: 'auto', parallel_tool_calls: false }));
    assert.ok(prefix !== null);
    assert.deepEqual(prefix.request, {
      messages: [{ role: 'system', content: 'You are Cline. Workspace: /home/dev/project.' }],
      shape: { model: 'devstral-small-2', tools: TOOLS, tool_choice: 'auto', parallel_tool_calls: false },
    });
    assert.match(prefix.hash, /^[0-9a-f]{64}$/);
  });
  it('later turns, sampling and key order do not change the identity; tools, template options and the system prompt do', () => {
    const base = extractPrefix(chat())?.hash;
    const laterTurn = extractPrefix(
      chat({ temperature: 0.9 }, [
        { content: 'You are Cline. Workspace: /home/dev/project.', role: 'system' },
        { role: 'user', content: 'Something else.' },
      ]),
    )?.hash;
    assert.equal(laterTurn, base);
    assert.notEqual(extractPrefix(chat({ tools: [] }))?.hash, base);
    assert.notEqual(extractPrefix(chat({ chat_template_kwargs: { reasoning: true } }))?.hash, base);
    assert.notEqual(
      extractPrefix(
        chat({}, [
          { role: 'system', content: 'Other.' },
          { role: 'user', content: 'x' },
        ]),
      )?.hash,
      base,
    );
  });
  it('is taken after normalisation: a developer message is learned as the system message the engine sees', () => {
    const raw = chat({}, [
      { role: 'developer', content: 'You are Cline. Workspace: /home/dev/project.' },
      { role: 'user', content: 'Fix the bug.' },
    ]);
    const forwarded = prepareRequest('chat', raw).body;
    assert.equal(extractPrefix(forwarded)?.hash, extractPrefix(chat())?.hash);
  });
  it('no prefix without a leading non-user part, without a user turn, or without JSON', () => {
    assert.equal(extractPrefix(chat({}, [{ role: 'user', content: 'hi' }])), null);
    assert.equal(extractPrefix(chat({}, [{ role: 'system', content: 'only' }])), null);
    assert.equal(extractPrefix(Buffer.from('not json')), null);
    assert.equal(extractPrefix(Buffer.from('{"prompt":"x"}')), null);
  });
  it('use moves an entry to the front under its key; tokens: requests only lower it, a warm-up sets it', () => {
    const a = extractPrefix(chat()) as NonNullable<ReturnType<typeof extractPrefix>>;
    const b = extractPrefix(chat({ tools: [] })) as NonNullable<ReturnType<typeof extractPrefix>>;
    let entries = recordUse([], a, 'alice', 1000);
    entries = recordUse(entries, b, 'bob', 2000);
    entries = recordTokens(entries, a.hash, 5300, false);
    entries = recordTokens(entries, a.hash, 9000, false);
    assert.equal(entries.find((entry) => entry.hash === a.hash)?.tokens, 5300);
    entries = recordTokens(entries, a.hash, 5270, true);
    entries = recordUse(entries, a, 'carol', 3000);
    assert.deepEqual(
      entries.map((entry) => [entry.key, entry.lastUsedMs, entry.tokens]),
      [
        ['carol', 3000, 5270],
        ['bob', 2000, null],
      ],
    );
  });
  it('kept: known keys, unexpired, most recent first, within the count and the token budget', () => {
    const entry = (key: string, lastUsedMs: number, tokens: number, text = key): PrefixEntry => ({
      hash: `h-${text}`,
      key,
      lastUsedMs,
      tokens,
      request: { messages: [{ role: 'system', content: text }], shape: {} },
    });
    const now = 100 * DAY;
    const entries = [
      entry('a', now - 1 * DAY, 5000),
      entry('removed', now - 0.5 * DAY, 10),
      entry('b', now - 31 * DAY, 10, 'old'),
      entry('b', now - 2 * DAY, 12_000, 'big'),
      entry('b', now - 3 * DAY, 4000),
      entry('c', now - 4 * DAY, 1000),
    ];
    const rules = {
      nowMs: now,
      maxEntries: 8,
      budgetTokens: 10_000,
      keyNames: new Set(['a', 'b', 'c']),
      expiryMs: 30 * DAY,
    };
    assert.deepEqual(
      keep(entries, rules).map((kept) => kept.hash),
      ['h-a', 'h-b', 'h-c'],
      'the removed key, the expired and the one past the budget go',
    );
    assert.deepEqual(
      keep(entries, { ...rules, maxEntries: 2 }).map((kept) => kept.hash),
      ['h-a', 'h-b'],
    );
  });
  it('the warm-up replays the prefix with a neutral user turn, one token, streamed with usage', () => {
    const prefix = extractPrefix(chat({ tool_choice: 'auto' }));
    assert.ok(prefix !== null);
    assert.deepEqual(warmupRequest(prefix.request, 'Hi'), {
      model: 'devstral-small-2',
      tools: TOOLS,
      tool_choice: 'auto',
      messages: [
        { role: 'system', content: 'You are Cline. Workspace: /home/dev/project.' },
        { role: 'user', content: 'Hi' },
      ],
      max_tokens: 1,
      stream: true,
      stream_options: { include_usage: true },
    });
  });
  it('the stored form reads back; hashes are recomputed, anything malformed is refused', () => {
    const prefix = extractPrefix(chat()) as NonNullable<ReturnType<typeof extractPrefix>>;
    const entries = recordUse([], prefix, 'alice', 1234);
    const text = serialiseEntries(entries);
    assert.deepEqual(parseEntries(JSON.parse(text)), entries);
    const forged = JSON.parse(text);
    forged.entries[0].hash = '0'.repeat(64);
    assert.equal(parseEntries(forged)?.[0]?.hash, prefix.hash);
    assert.equal(parseEntries({ version: 2, entries: [] }), null);
    assert.equal(parseEntries({ version: 1, entries: [{ key: 1 }] }), null);
    assert.equal(parseEntries([]), null);
  });
});
