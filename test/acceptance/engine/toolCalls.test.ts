/**
 * Suite f (issue 11): tool calls through the sandbox, parsed by llama.cpp's Ministral/Devstral handler from the
 * generated model's `[TOOL_CALLS]name[ARGS]{json}`. The tools' parameters are bounded (enums, integer ranges,
 * maxLength), so the grammar llama.cpp builds from them constrains even the random model to a valid call; the
 * openai SDK and the AI SDK each must receive a complete call whose name is in the list and whose arguments parse
 * and fit the schema.
 *
 * How the call is made reliable: `tool_choice: "required"` alone is not enough on a random model — this handler's
 * grammar allows text before `[TOOL_CALLS]`, and noise fills the generation cap (tools/engine/README.md). The
 * conversation therefore ends with an assistant message `[TOOL_CALLS]` (assistant prefill): llama-server continues
 * it, and from there the grammar forces `name[ARGS]{json}`. It is an ordinary message, so it goes through the
 * relay unchanged (its normalisation keeps a non-empty trailing assistant message) and both SDKs send it as they
 * are given it; a logit_bias would need the marker's token ids of the borrowed tokenizer. Answers are noise.
 * Needs `make engine`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertFitsBoundedTools, BOUNDED_TOOLS } from '../../support/boundedTools.ts';
import { sdkChat } from '../../support/clients.ts';
import { type EngineGateway, MODEL_ID, startEngineGateway } from '../../support/engineGateway.ts';

const request = (stream: boolean) => ({
  model: MODEL_ID,
  messages: [
    { role: 'system', content: 'You are a coding agent. Use the tools.' },
    { role: 'user', content: 'Find where the configuration is read.' },
    { role: 'assistant', content: '[TOOL_CALLS]' },
  ],
  tools: BOUNDED_TOOLS,
  tool_choice: 'required',
  // One call, then end of sequence: the grammar allows no second one (by default the handler allows several).
  parallel_tool_calls: false,
  max_tokens: 128,
  stream,
});

describe('tool calls from llama-server through the sandbox, with bounded parameters', () => {
  let gateway: EngineGateway;
  before(async () => {
    gateway = await startEngineGateway({ engine: { size: 'small' } });
  });
  after(() => gateway?.close());

  for (const sdk of ['openai', 'ai'] as const) {
    for (const stream of [true, false]) {
      it(`the ${sdk === 'ai' ? 'AI SDK' : 'openai SDK'} receives one complete call that fits the schema (${stream ? 'streaming' : 'not streaming'})`, async () => {
        const at = { baseUrl: gateway.baseUrl, key: gateway.key, caFile: gateway.sandbox.caPath };
        const result = await sdkChat(sdk, at, request(stream));
        assert.equal(result.ok, true, JSON.stringify(result));
        assert.equal(result.toolCalls?.length, 1, JSON.stringify(result));
        assertFitsBoundedTools(result.toolCalls?.[0] as { name: string; arguments: string });
        assert.match(String(result.finishReason), /^tool[-_]calls$/, JSON.stringify(result));
      });
    }
  }
});
