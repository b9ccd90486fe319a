/**
 * llama.cpp's llama-server on the small generated model, run as LocalAI runs it (tools/engine/server.ts). The
 * model's answers are noise; tokens, timings and caching are real; token counts follow the borrowed tokenizer
 * (llama-bpe), and Devstral's markers are plain text in it, not control tokens. Needs `make engine`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MODEL_ID, type RunningEngine, startEngine } from '../../../tools/engine/server.ts';
import { assertFitsBoundedTools, BOUNDED_TOOLS } from '../../support/boundedTools.ts';

interface Timings {
  prompt_n: number;
  prompt_ms: number;
  predicted_n: number;
  cache_n: number;
}

interface Chunk {
  choices?: Array<{ delta?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number };
  timings?: Timings;
}

/** POSTs a streamed chat completion and returns its parsed `data:` chunks. */
async function streamChat(url: string, body: object): Promise<Chunk[]> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL_ID, stream: true, stream_options: { include_usage: true }, ...body }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const text = await res.text();
  const chunks: Chunk[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    chunks.push(JSON.parse(line.slice('data: '.length)) as Chunk);
  }
  assert.ok(text.trimEnd().endsWith('data: [DONE]'), 'the stream ends with [DONE]');
  return chunks;
}

const SYSTEM = `You are a coding agent. ${'Follow the repository conventions and explain each change. '.repeat(40)}`;

describe('llama-server on the small model', () => {
  let engine: RunningEngine;
  before(async () => {
    engine = await startEngine({ size: 'small', readyTimeoutMs: 60_000 });
  });
  after(() => engine?.stop());

  test(`/v1/models lists ${MODEL_ID} (--alias, as LocalAI lists the model's name)`, async () => {
    const res = await fetch(`${engine.url}/v1/models`);
    const body = (await res.json()) as { data: Array<{ id: string }> };
    assert.deepEqual(
      body.data.map((m) => m.id),
      [MODEL_ID],
    );
  });

  test('a streamed chat completion carries real tokens and timings; the next turn reuses the cached prefix', async () => {
    const messages = [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: 'Rename the function parse to parseConfig in src/config.ts.' },
    ];
    const first = await streamChat(engine.url, { messages, max_tokens: 16 });
    const text = first.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
    const last = first.findLast((c) => c.timings);
    assert.ok(last?.timings, 'a chunk carries llama.cpp timings');
    const t1 = last.timings;
    assert.ok(t1.prompt_n > 300, `prompt_n ${t1.prompt_n}: the system prompt alone is hundreds of tokens`);
    assert.ok(t1.predicted_n >= 1 && t1.predicted_n <= 16, `predicted_n ${t1.predicted_n}`);
    assert.equal(typeof t1.cache_n, 'number');
    assert.ok(text.length > 0, 'tokens were generated (noise: the weights are random)');
    const usage = first.findLast((c) => c.usage)?.usage;
    assert.equal(usage?.completion_tokens, t1.predicted_n);
    assert.equal(usage?.prompt_tokens, t1.prompt_n + t1.cache_n);

    // Second turn: the whole first prompt is a prefix of the second one.
    const second = await streamChat(engine.url, {
      messages: [
        ...messages,
        { role: 'assistant', content: text },
        { role: 'user', content: 'And the tests.' },
      ],
      max_tokens: 4,
    });
    const t2 = second.findLast((c) => c.timings)?.timings as Timings;
    const firstPrompt = t1.prompt_n + t1.cache_n;
    assert.ok(t2.cache_n >= firstPrompt - 1, `cache_n ${t2.cache_n} >= first prompt ${firstPrompt} - 1`);
    assert.ok(t2.prompt_n < 100, `only the new turn is prefilled (${t2.prompt_n} tokens)`);
  });

  test('answers CORS itself: it reflects the Origin (issue #16 makes the gateway strip these)', async () => {
    const res = await fetch(`${engine.url}/v1/models`, { headers: { origin: 'http://evil.example' } });
    await res.arrayBuffer();
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://evil.example');
  });
});

interface ToolCallAnswer {
  choices: Array<{
    finish_reason: string;
    message: {
      content: string | null;
      tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
    };
  }>;
}

async function chat(url: string, body: object): Promise<ToolCallAnswer> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL_ID, ...body }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as ToolCallAnswer;
}

describe("llama.cpp's chat handler for the Devstral-shaped template", () => {
  let engine: RunningEngine;
  before(async () => {
    // Debug verbosity (-lv 5) prints which template handler common/chat.cpp chose for each request.
    engine = await startEngine({ size: 'small', extraArgs: ['-lv', '5'], readyTimeoutMs: 60_000 });
  });
  after(() => engine?.stop());

  test('is the Ministral/Devstral one (common_chat_params_init_ministral_3), chat format peg-native', async () => {
    const before = engine.log().length;
    await chat(engine.url, {
      messages: [
        { role: 'system', content: 'You are a coding agent.' },
        { role: 'user', content: 'Read the configuration.' },
      ],
      tools: BOUNDED_TOOLS,
      tool_choice: 'required',
      max_tokens: 4,
    });
    const log = engine.log().slice(before);
    assert.match(log, /Using specialized template: Ministral\/Magistral Large 3/);
    assert.match(log, /chat format: peg-native/);
    // The tool-call grammar it built: [TOOL_CALLS]name[ARGS]{json}, the name from the request's tools.
    assert.match(log, /\[TOOL_CALLS\]/);
    assert.match(log, /read_file/);
  });

  // tool_choice "required" alone does not make the random model call: this handler's grammar lets content come
  // before [TOOL_CALLS], and noise fills the generation cap. An assistant message ending the conversation with
  // [TOOL_CALLS] is continued (llama-server prefills it), and from there the grammar forces name[ARGS]{json}.
  test('parses a [TOOL_CALLS]name[ARGS]{json} continuation into an OpenAI tool call that fits the schema', async () => {
    const answer = await chat(engine.url, {
      messages: [
        { role: 'user', content: 'Read the configuration.' },
        { role: 'assistant', content: '[TOOL_CALLS]' },
      ],
      tools: BOUNDED_TOOLS,
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    const [choice] = answer.choices;
    assert.equal(choice?.finish_reason, 'tool_calls', JSON.stringify(answer));
    assert.equal(choice.message.tool_calls?.length, 1);
    const call = choice.message.tool_calls[0] as {
      id: string;
      function: { name: string; arguments: string };
    };
    assertFitsBoundedTools(call.function);
    assert.ok(call.id.length > 0);
  });
});
