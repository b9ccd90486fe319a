/**
 * Suite g (issue 11): llama.cpp's prompt cache across the turns of a recorded coding-agent conversation
 * (fixtures/coding-agent-conversation.json: a long system prompt, 23 tools, tool calls and results, seven
 * requests), sent through the sandbox as a client resends it each turn. From the second request on, llama-server
 * must find the previous request's whole prompt in its cache (timings.cache_n ≥ previous prompt − 8): the relay
 * (normalisation, headers, include_usage) keeps every prefix byte-stable, and the template renders the tools
 * before the first turn. Answers are noise; tokens and caching are real. Needs `make engine`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  type EngineGateway,
  MODEL_ID,
  openStream,
  startEngineGateway,
  timingsOf,
} from '../../support/engineGateway.ts';

interface Conversation {
  readonly system: string;
  readonly tools: readonly unknown[];
  readonly turns: ReadonlyArray<ReadonlyArray<Record<string, unknown>>>;
}

const conversation = JSON.parse(
  readFileSync(new URL('./fixtures/coding-agent-conversation.json', import.meta.url), 'utf8'),
) as Conversation;

describe('the prompt cache across the turns of a coding-agent conversation', () => {
  let gateway: EngineGateway;
  before(async () => {
    gateway = await startEngineGateway({ engine: { size: 'small' } });
  });
  after(() => gateway?.close());

  it('the fixture is the conversation the suite asks for', () => {
    assert.ok(conversation.tools.length >= 20, `${conversation.tools.length} tools`);
    assert.ok(conversation.turns.length >= 5, `${conversation.turns.length} requests`);
    assert.ok(conversation.system.length > 3000, 'a long system prompt');
    const messages = conversation.turns.flat();
    assert.ok(messages.some((m) => m.role === 'tool'));
    assert.ok(messages.some((m) => Array.isArray(m.tool_calls)));
  });

  it('every request from the second on reuses the whole previous prompt (cache_n ≥ previous prompt − 8)', async () => {
    const history: Record<string, unknown>[] = [{ role: 'system', content: conversation.system }];
    const seen: Array<{ prompt: number; cached: number }> = [];
    for (const [i, turn] of conversation.turns.entries()) {
      history.push(...turn);
      const record = await openStream(gateway, {
        model: MODEL_ID,
        messages: history,
        tools: conversation.tools,
        max_tokens: 8,
        stream_options: { include_usage: true },
      }).finished;
      assert.equal(record.status, 200, `request ${i + 1}: ${record.body.slice(0, 300)}`);
      const timings = timingsOf(record);
      assert.ok(timings, `request ${i + 1} carries llama.cpp's timings`);
      seen.push({ prompt: timings.prompt_n + timings.cache_n, cached: timings.cache_n });
    }
    const summary = seen.map((s, i) => `#${i + 1}: ${s.cached}/${s.prompt}`).join(', ');
    console.log(`cached/prompt tokens per request: ${summary}`);
    assert.ok((seen[0]?.prompt ?? 0) > 1500, `the first prompt is long (${summary})`);
    for (let i = 1; i < seen.length; i++) {
      const previous = seen[i - 1] as { prompt: number };
      const current = seen[i] as { prompt: number; cached: number };
      assert.ok(current.prompt > previous.prompt, `request ${i + 1} extends the conversation (${summary})`);
      assert.ok(
        current.cached >= previous.prompt - 8,
        `request ${i + 1}: cache_n ${current.cached} < previous prompt ${previous.prompt} − 8 (${summary})`,
      );
    }
  });
});
