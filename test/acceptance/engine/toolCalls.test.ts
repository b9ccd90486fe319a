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
import { sdkChat } from '../../support/clients.ts';
import { type EngineGateway, MODEL_ID, startEngineGateway } from '../../support/engineGateway.ts';

const PATHS = ['src/config.ts', 'package.json', 'README.md'];
const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'read_file',
      description: 'Read a file of the workspace',
      parameters: {
        type: 'object',
        properties: { path: { type: 'string', enum: PATHS } },
        required: ['path'],
        additionalProperties: false,
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'list_files',
      description: 'List the workspace to a depth',
      parameters: {
        type: 'object',
        properties: { depth: { type: 'integer', minimum: 1, maximum: 3 } },
        required: ['depth'],
        additionalProperties: false,
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'search_files',
      description: 'Search the workspace for a word',
      parameters: {
        type: 'object',
        properties: {
          query: { type: 'string', maxLength: 12 },
          mode: { type: 'string', enum: ['exact', 'regex'] },
        },
        required: ['query', 'mode'],
        additionalProperties: false,
      },
    },
  },
] as const;

/** The call fits its tool's schema (what the grammar enforced); returns a description for messages. */
function assertFits(call: { name: string; arguments: string }): void {
  const args = JSON.parse(call.arguments) as Record<string, unknown>;
  const what = `${call.name}(${call.arguments})`;
  switch (call.name) {
    case 'read_file':
      assert.deepEqual(Object.keys(args), ['path'], what);
      assert.ok(PATHS.includes(args.path as string), what);
      break;
    case 'list_files':
      assert.deepEqual(Object.keys(args), ['depth'], what);
      assert.ok(
        Number.isInteger(args.depth) && (args.depth as number) >= 1 && (args.depth as number) <= 3,
        what,
      );
      break;
    case 'search_files':
      assert.deepEqual(Object.keys(args).sort(), ['mode', 'query'], what);
      assert.ok(typeof args.query === 'string' && args.query.length <= 12, what);
      assert.ok(['exact', 'regex'].includes(args.mode as string), what);
      break;
    default:
      assert.fail(`a tool that is not in the list: ${what}`);
  }
}

const request = (stream: boolean) => ({
  model: MODEL_ID,
  messages: [
    { role: 'system', content: 'You are a coding agent. Use the tools.' },
    { role: 'user', content: 'Find where the configuration is read.' },
    { role: 'assistant', content: '[TOOL_CALLS]' },
  ],
  tools: TOOLS,
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
        assertFits(result.toolCalls?.[0] as { name: string; arguments: string });
        assert.match(String(result.finishReason), /^tool[-_]calls$/, JSON.stringify(result));
      });
    }
  }
});
