// TEST STAND-IN for LocalAI: tests of the stand-in itself. Not the product, never shipped.
// Timing assertions are deliberately loose (shared 2-core machine): never earlier than the delay minus 20 ms,
// never later than the delay plus 1.5 s.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import {
  LOCALAI_ADMIN_ROUTES,
  type LocalaiStandin,
  type StandinOptions,
  startLocalaiStandin,
} from '../../../tools/standin/localaiStandin.ts';
import { jsonEvents, readSse } from '../../../tools/standin/sseClient.ts';

const EARLY = 20;
const LATE = 1500;
const HELLO = [{ role: 'user', content: 'hello' }];
const READ_FILE = {
  type: 'function',
  function: {
    name: 'read_file',
    description: 'Read a file of the workspace.',
    parameters: {
      type: 'object',
      properties: { path: { type: 'string' }, line: { type: 'integer' } },
      required: ['path', 'line'],
    },
  },
} as const;

async function withStandin(
  options: StandinOptions,
  run: (s: LocalaiStandin) => Promise<void>,
): Promise<void> {
  const standin = await startLocalaiStandin(options);
  try {
    await run(standin);
  } finally {
    await standin.close();
  }
}

function post(s: LocalaiStandin, path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${s.url}${path}`, {
    method: 'POST',
    ...init,
    headers: { 'content-type': 'application/json', ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function chat(s: LocalaiStandin, body: Record<string, unknown>, init: RequestInit = {}): Promise<Response> {
  return post(s, '/v1/chat/completions', { model: 'devstral-small-2', messages: HELLO, ...body }, init);
}

/** Milliseconds until fetch resolves, i.e. until the response headers arrived. */
async function timeToHeaders(request: () => Promise<Response>): Promise<{ ms: number; response: Response }> {
  const started = performance.now();
  const response = await request();
  return { ms: performance.now() - started, response };
}

function assertBetween(ms: number, expected: number, what: string): void {
  assert.ok(ms >= expected - EARLY, `${what}: ${ms.toFixed(0)} ms, expected ≥ ${expected - EARLY} ms`);
  assert.ok(ms < expected + LATE, `${what}: ${ms.toFixed(0)} ms, expected < ${expected + LATE} ms`);
}

async function until<T>(probe: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await sleep(10);
  }
}

type Chunk = {
  choices: { finish_reason: string | null; delta: Record<string, unknown> }[];
  usage?: Record<string, number>;
  error?: { code: unknown; message: string; type: string };
};

async function chunksOf(response: Response): Promise<{ chunks: Chunk[]; last: string | undefined }> {
  const events = await readSse(response);
  return { chunks: jsonEvents(events) as Chunk[], last: events.at(-1)?.text };
}

describe('LocalAI stand-in: late headers', () => {
  it('streaming: no header before firstByteDelayMs, then headers and the first chunks together', async () => {
    await withStandin({ firstByteDelayMs: 400 }, async (s) => {
      const { ms, response } = await timeToHeaders(() => chat(s, { stream: true }));
      assertBetween(ms, 400, 'headers');
      assert.equal(response.headers.get('content-type'), 'text/event-stream');
      const record = s.requests[0];
      assert.ok(record?.headersSentAt && record.headersSentAt - record.receivedAt >= 400 - EARLY);
      const events = await readSse(response);
      assert.ok((events[1]?.at ?? 0) - (events[0]?.at ?? 0) < LATE, 'role and first content chunk apart');
    });
  });

  it('non-streaming: the whole answer (headers included) after the delay', async () => {
    await withStandin({ firstByteDelayMs: 400 }, async (s) => {
      const { ms, response } = await timeToHeaders(() => chat(s, {}));
      assertBetween(ms, 400, 'headers');
      assert.equal(response.status, 200);
    });
  });

  it('prefill at promptTokensPerSecond: 1000 prompt tokens at 2000 tok/s is 500 ms', async () => {
    await withStandin({ promptTokensPerSecond: 2000 }, async (s) => {
      const messages = [{ role: 'user', content: 'x'.repeat(4000) }];
      const { ms, response } = await timeToHeaders(() => chat(s, { stream: true, messages }));
      assertBetween(ms, 500, 'headers');
      await response.body?.cancel();
    });
  });

  it('behave() changes the delay for the next request', async () => {
    await withStandin({}, async (s) => {
      s.behave({ firstByteDelayMs: 300 });
      const { ms } = await timeToHeaders(() => chat(s, {}));
      assertBetween(ms, 300, 'headers');
      assert.equal(s.behaviour.firstByteDelayMs, 300);
    });
  });
});

describe('LocalAI stand-in: llama.cpp slots', () => {
  it('slots: 1 queues a second request silently until the first is done; slotAt records the wait', async () => {
    await withStandin(
      { slots: 1, firstByteDelayMs: 200, chunkIntervalMs: 100, pieces: ['a', 'b'] },
      async (s) => {
        const first = chat(s, { stream: true }).then((response) => readSse(response));
        await until(() => s.requests[0]);
        const second = timeToHeaders(() => chat(s, { stream: true }));
        await first;
        const { ms, response } = await second;
        await response.text();
        assert.ok(ms < 500 + LATE, `second request headers after ${ms} ms`);
        const [a, b] = s.requests;
        assert.ok(a?.headersSentAt && b?.slotAt && b.headersSentAt, 'timestamps missing');
        // The first holds its slot through its second token, 100 ms after its headers.
        assert.ok(
          b.slotAt - a.headersSentAt >= 100 - EARLY,
          'the second request got a slot while the first ran',
        );
        assert.ok(b.headersSentAt - b.slotAt >= 200 - EARLY, 'the second request skipped its own prefill');
        assert.ok(
          b.slotAt - b.receivedAt >= 200,
          `queue wait ${b.slotAt - b.receivedAt} ms (the first needs 300)`,
        );
      },
    );
  });

  it('slots: null (default) runs requests side by side', async () => {
    await withStandin({ firstByteDelayMs: 300 }, async (s) => {
      const results = await Promise.all([0, 1, 2].map(() => timeToHeaders(() => chat(s, {}))));
      for (const { ms } of results) assertBetween(ms, 300, 'headers');
    });
  });
});

describe('LocalAI stand-in: chunk spacing', () => {
  for (const [what, options, gap] of [
    ['chunkIntervalMs 150', { chunkIntervalMs: 150 }, 150],
    ['decodeTokensPerSecond 8', { decodeTokensPerSecond: 8 }, 125],
  ] as const) {
    it(`${what}: content chunks ${gap} ms apart`, async () => {
      await withStandin({ ...options, pieces: ['a', 'b', 'c', 'd'] }, async (s) => {
        const events = await readSse(await chat(s, { stream: true }));
        const content = events.filter((e) => e.text.includes('"content":"'));
        assert.equal(content.length, 4);
        for (let i = 1; i < content.length; i++) {
          assertBetween((content[i]?.at ?? 0) - (content[i - 1]?.at ?? 0), gap, `gap ${i}`);
        }
      });
    });
  }
});

describe('LocalAI stand-in: SSE shape', () => {
  it('without include_usage: role, content…, finish "stop", [DONE]; no usage anywhere', async () => {
    await withStandin({ pieces: ['Hi', '!'] }, async (s) => {
      const response = await chat(s, { stream: true });
      assert.equal(response.headers.get('cache-control'), 'no-cache');
      assert.equal(response.headers.get('connection'), 'keep-alive');
      const { chunks, last } = await chunksOf(response);
      assert.equal(last, '[DONE]');
      assert.deepEqual(
        chunks.map((c) => c.choices[0]?.delta),
        [{ role: 'assistant', content: null }, { content: 'Hi' }, { content: '!' }, { content: null }],
      );
      assert.deepEqual(
        chunks.map((c) => c.choices[0]?.finish_reason),
        [null, null, null, 'stop'],
      );
      assert.ok(chunks.every((c) => !('usage' in c)));
      assert.equal(response.headers.get('x-correlation-id'), (chunks[0] as { id?: string }).id);
    });
  });

  it('with include_usage: one trailer {choices: [], usage} after the finish chunk, then [DONE]', async () => {
    await withStandin({ pieces: ['Hi', '!'] }, async (s) => {
      const messages = [{ role: 'user', content: 'x'.repeat(40) }];
      const response = await chat(s, { stream: true, messages, stream_options: { include_usage: true } });
      const { chunks, last } = await chunksOf(response);
      assert.equal(last, '[DONE]');
      assert.deepEqual(chunks.at(-1)?.choices, []);
      assert.deepEqual(chunks.at(-1)?.usage, { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 });
      assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'stop');
      assert.equal(chunks.filter((c) => 'usage' in c).length, 1);
    });
  });

  it('Extra-Usage header: usage also carries the prefill and decode timings', async () => {
    await withStandin({ firstByteDelayMs: 50, chunkIntervalMs: 10, pieces: ['a', 'b', 'c'] }, async (s) => {
      const response = await chat(s, {}, { headers: { 'Extra-Usage': '1' } });
      const body = (await response.json()) as { usage: Record<string, number> };
      assert.equal(body.usage.timing_prompt_processing, 50);
      assert.equal(body.usage.timing_token_generation, 20);
    });
  });

  it('max_tokens below the answer length: finish_reason "length"', async () => {
    await withStandin({ pieces: ['a', 'b', 'c'] }, async (s) => {
      const body = (await (await chat(s, { max_tokens: 2 })).json()) as {
        choices: { finish_reason: string; message: { content: string } }[];
      };
      assert.equal(body.choices[0]?.finish_reason, 'length');
      assert.equal(body.choices[0]?.message.content, 'ab');
    });
  });

  it('non-streaming chat.completion: LocalAI field order and shape; X-Correlation-ID echoed', async () => {
    await withStandin({ pieces: ['Hi'] }, async (s) => {
      const response = await chat(s, {}, { headers: { 'X-Correlation-ID': 'corr-1' } });
      assert.equal(response.headers.get('x-correlation-id'), 'corr-1');
      const text = await response.text();
      assert.match(
        text,
        /^\{"created":\d+,"object":"chat\.completion","id":"[0-9a-f-]{36}","model":"devstral-small-2",/,
      );
      assert.match(
        text,
        /"choices":\[\{"index":0,"finish_reason":"stop","message":\{"role":"assistant","content":"Hi"\}\}\]/,
      );
      assert.ok(text.endsWith('}\n'));
    });
  });

  it('/v1/completions streams text_completion chunks (no role chunk) and answers without streaming', async () => {
    await withStandin({ pieces: ['4', '.'] }, async (s) => {
      const { chunks, last } = await chunksOf(
        await post(s, '/v1/completions', { prompt: '2+2=', stream: true }),
      );
      assert.equal(last, '[DONE]');
      assert.deepEqual(
        chunks.map((c) => [c.choices[0]?.finish_reason, (c.choices[0] as { text?: string }).text]),
        [
          [null, '4'],
          [null, '.'],
          ['stop', undefined],
        ],
      );
      const body = (await (await post(s, '/v1/completions', { prompt: '2+2=' })).json()) as Record<
        string,
        unknown
      >;
      assert.equal(body.object, 'text_completion');
      assert.deepEqual(body.usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    });
  });
});

describe('LocalAI stand-in: native tool calls, read by the openai SDK v6', () => {
  const client = (s: LocalaiStandin) =>
    new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'unused', maxRetries: 0 });

  it('deferred (LocalAI): name chunk + arguments chunk merge into a complete call', async () => {
    await withStandin({ chunkIntervalMs: 5 }, async (s) => {
      const stream = client(s).chat.completions.stream({
        model: 'devstral-small-2',
        messages: [{ role: 'user', content: 'open main.ts' }],
        tools: [READ_FILE],
      });
      const completion = await stream.finalChatCompletion();
      const choice = completion.choices[0];
      assert.equal(choice?.finish_reason, 'tool_calls');
      const call = choice?.message.tool_calls?.[0];
      assert.ok(call && call.type === 'function');
      assert.equal(call.function.name, 'read_file');
      assert.deepEqual(JSON.parse(call.function.arguments), { path: 'stand-in', line: 1 });
      assert.match(call.id, /^[A-Za-z0-9]{32}$/);
    });
  });

  it('raw deferred chunks: name with arguments "", then the arguments, each with id, type and role', async () => {
    await withStandin({ toolCall: { name: 'read_file', arguments: '{"path":"a.ts"}' } }, async (s) => {
      const { chunks } = await chunksOf(await chat(s, { stream: true, tools: [READ_FILE] }));
      const calls = chunks.flatMap(
        (c) => (c.choices[0]?.delta.tool_calls as Record<string, unknown>[]) ?? [],
      );
      assert.equal(calls.length, 2);
      const [name, args] = calls;
      assert.deepEqual(name?.function, { name: 'read_file', arguments: '' });
      assert.deepEqual(args?.function, { arguments: '{"path":"a.ts"}' });
      assert.equal(name?.id, args?.id);
      assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant');
      assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'tool_calls');
    });
  });

  it('incremental (OpenAI style) with 3 argument fragments, tool_choice naming the tool', async () => {
    await withStandin({ toolCallStreaming: 'incremental', toolCallArgumentChunks: 3 }, async (s) => {
      const fragments: string[] = [];
      const stream = client(s)
        .chat.completions.stream({
          model: 'devstral-small-2',
          messages: [{ role: 'user', content: 'open main.ts' }],
          tools: [{ type: 'function', function: { name: 'noop' } }, READ_FILE],
          tool_choice: { type: 'function', function: { name: 'read_file' } },
        })
        .on('tool_calls.function.arguments.delta', (event) => {
          if (event.arguments_delta !== '') fragments.push(event.arguments_delta);
        });
      const completion = await stream.finalChatCompletion();
      assert.equal(fragments.length, 3);
      const call = completion.choices[0]?.message.tool_calls?.[0];
      assert.ok(call && call.type === 'function');
      assert.equal(call.function.name, 'read_file');
      assert.equal(fragments.join(''), call.function.arguments);
    });
  });

  it('not streaming: message.tool_calls[0] complete, content ""', async () => {
    await withStandin({}, async (s) => {
      const completion = await client(s).chat.completions.create({
        model: 'devstral-small-2',
        messages: [{ role: 'user', content: 'open main.ts' }],
        tools: [READ_FILE],
      });
      const message = completion.choices[0]?.message;
      assert.equal(message?.content, '');
      assert.equal(message?.tool_calls?.[0]?.type, 'function');
    });
  });

  it('tool_choice "none" or toolCalls "never": a text answer', async () => {
    await withStandin({ pieces: ['ok'] }, async (s) => {
      const none = await client(s).chat.completions.create({
        model: 'devstral-small-2',
        messages: HELLO as OpenAI.ChatCompletionMessageParam[],
        tools: [READ_FILE],
        tool_choice: 'none',
      });
      assert.equal(none.choices[0]?.message.content, 'ok');
      s.behave({ toolCalls: 'never' });
      const never = await client(s).chat.completions.create({
        model: 'devstral-small-2',
        messages: HELLO as OpenAI.ChatCompletionMessageParam[],
        tools: [READ_FILE],
      });
      assert.equal(never.choices[0]?.finish_reason, 'stop');
    });
  });

  it('a text stream with include_usage: the SDK joins the content and reads the usage trailer', async () => {
    await withStandin({}, async (s) => {
      const stream = await client(s).chat.completions.create({
        model: 'devstral-small-2',
        messages: HELLO as OpenAI.ChatCompletionMessageParam[],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        usage = chunk.usage ?? usage;
      }
      assert.equal(text, 'The stand-in says hello.');
      assert.equal(usage?.completion_tokens, 5);
    });
  });
});

describe('LocalAI stand-in: client disconnects', () => {
  it('mid-stream: closedEarlyAt within 1 s of the abort, and no more events are written', async () => {
    await withStandin(
      { chunkIntervalMs: 100, pieces: Array.from({ length: 50 }, (_, i) => `${i} `) },
      async (s) => {
        const controller = new AbortController();
        const response = await chat(s, { stream: true }, { signal: controller.signal });
        let abortedAt = 0;
        await readSse(response, (event) => {
          if (event.text.includes('"content":"2 "') && abortedAt === 0) {
            abortedAt = Date.now();
            controller.abort();
          }
        }).catch(() => undefined);
        const record = s.requests[0];
        assert.ok(record);
        const closedAt = await until(() => record.closedEarlyAt);
        assert.ok(closedAt - abortedAt < 1000, `closedEarlyAt ${closedAt - abortedAt} ms after the abort`);
        const sent = record.eventsSent;
        await sleep(400);
        assert.equal(record.eventsSent, sent, 'the stand-in kept generating');
        assert.ok(sent < 10);
        assert.equal(record.finishedAt, undefined);
      },
    );
  });

  it('during a stall, before any header: closedEarlyAt within 1 s, no header ever sent', async () => {
    await withStandin({ stallMs: 60_000 }, async (s) => {
      const controller = new AbortController();
      const pending = chat(s, { stream: true }, { signal: controller.signal }).catch(() => undefined);
      const record = await until(() => s.requests[0]);
      await sleep(200);
      const abortedAt = Date.now();
      controller.abort();
      await pending;
      const closedAt = await until(() => record.closedEarlyAt);
      assert.ok(closedAt - abortedAt < 1000);
      assert.equal(record.headersSentAt, undefined);
    });
  });
});

describe('LocalAI stand-in: errors', () => {
  it('context overflow, LocalAI style: streaming = 200, the message as content, error event, [DONE]', async () => {
    await withStandin({ contextSize: 100 }, async (s) => {
      const messages = [{ role: 'user', content: 'x'.repeat(800) }];
      const response = await chat(s, { stream: true, messages });
      assert.equal(response.status, 200);
      const { chunks, last } = await chunksOf(response);
      const message =
        'request (200 tokens) exceeds the available context size (100 tokens), try increasing it';
      assert.equal(chunks[1]?.choices[0]?.delta.content, message);
      assert.deepEqual(chunks[2], {
        error: {
          code: 'server_error',
          message: `rpc error: code = Internal desc = ${message}`,
          type: 'server_error',
        },
      });
      assert.equal(last, '[DONE]');
    });
  });

  it('context overflow, LocalAI style, not streaming: 500 {"error":{"code":500,…,"type":""}}', async () => {
    await withStandin({ contextSize: 100 }, async (s) => {
      const response = await chat(s, { messages: [{ role: 'user', content: 'x'.repeat(800) }] });
      assert.equal(response.status, 500);
      assert.equal(
        await response.text(),
        '{"error":{"code":500,"message":"rpc error: code = Internal desc = request (200 tokens) exceeds the ' +
          'available context size (100 tokens), try increasing it","type":""}}\n',
      );
    });
  });

  it('context overflow, llama-server and OpenAI styles: 400 before any header, streaming or not', async () => {
    const messages = [{ role: 'user', content: 'x'.repeat(800) }];
    await withStandin({ contextSize: 100, contextOverflowStyle: 'llama-server' }, async (s) => {
      const response = await chat(s, { stream: true, messages });
      assert.equal(response.status, 400);
      const body = (await response.json()) as { error: Record<string, unknown> };
      assert.equal(body.error.type, 'exceed_context_size_error');
      assert.equal(body.error.n_prompt_tokens, 200);
      assert.equal(body.error.n_ctx, 100);
    });
    await withStandin({ contextSize: 100, contextOverflowStyle: 'openai' }, async (s) => {
      const response = await chat(s, { messages });
      assert.equal(response.status, 400);
      const body = (await response.json()) as { error: Record<string, unknown> };
      assert.equal(body.error.code, 'context_length_exceeded');
      assert.equal(body.error.param, 'messages');
    });
  });

  it('backend error after 2 tokens: the pieces, data: {"error":…}, data: [DONE]; the SDK throws', async () => {
    await withStandin({ failure: { kind: 'backend-error', afterPieces: 2, message: 'boom' } }, async (s) => {
      const { chunks, last } = await chunksOf(await chat(s, { stream: true }));
      assert.deepEqual(
        chunks.map((c) => (c.error ? 'error' : c.choices[0]?.delta.content)),
        [null, 'The', ' stand-in', 'error'],
      );
      assert.deepEqual(chunks.at(-1)?.error, { code: 'server_error', message: 'boom', type: 'server_error' });
      assert.equal(last, '[DONE]');
      const sdk = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const stream = await sdk.chat.completions.create({
        model: 'devstral-small-2',
        messages: HELLO as OpenAI.ChatCompletionMessageParam[],
        stream: true,
      });
      await assert.rejects(async () => {
        for await (const _ of stream) {
          // drain
        }
      }, /boom/);
      const failed = await chat(s, {});
      assert.equal(failed.status, 500);
      assert.deepEqual(await failed.json(), { error: { code: 500, message: 'boom', type: '' } });
    });
  });

  it('completions, backend error mid-stream: an "Internal error: …" text chunk and no [DONE]', async () => {
    await withStandin({ failure: { kind: 'backend-error', afterPieces: 1, message: 'boom' } }, async (s) => {
      const { chunks, last } = await chunksOf(
        await post(s, '/v1/completions', { prompt: 'x', stream: true }),
      );
      assert.deepEqual(chunks.at(-1)?.choices, [
        { index: 0, finish_reason: 'stop', text: 'Internal error: boom' },
      ]);
      assert.notEqual(last, '[DONE]');
    });
  });

  it('capacity 503 and quota 429 carry Retry-After; http failure answers its status before any header', async () => {
    await withStandin({ failure: { kind: 'capacity' } }, async (s) => {
      const response = await chat(s, { stream: true });
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('retry-after'), '1');
      assert.equal(((await response.json()) as { error: { type: string } }).error.type, 'admission_rejected');
      s.behave({ failure: { kind: 'quota', retryAfterSeconds: 7 } });
      const quota = await chat(s, {});
      assert.equal(quota.status, 429);
      assert.equal(quota.headers.get('retry-after'), '7');
      s.behave({ failure: { kind: 'http', status: 500, message: 'could not load model' } });
      const failed = await chat(s, { stream: true });
      assert.equal(failed.status, 500);
      assert.deepEqual(await failed.json(), {
        error: { code: 500, message: 'could not load model', type: '' },
      });
    });
  });

  it('disconnect failure: the connection drops mid-stream; not recorded as a client disconnect', async () => {
    await withStandin({ failure: { kind: 'disconnect', afterPieces: 1 } }, async (s) => {
      const response = await chat(s, { stream: true });
      const seen: string[] = [];
      await assert.rejects(readSse(response, (event) => seen.push(event.text)));
      assert.equal(seen.length, 2, 'the role chunk and the first token arrive before the drop');
      await assert.rejects(chat(s, {}));
      assert.equal(s.requests[0]?.closedEarlyAt, undefined);
    });
  });

  it('unknown model 404, malformed JSON 400, unknown route 404, wrong method 405', async () => {
    await withStandin({}, async (s) => {
      const unknown = await chat(s, { model: 'gpt-4' });
      assert.equal(unknown.status, 404);
      assert.deepEqual(await unknown.json(), {
        error: {
          code: 404,
          message: 'model "gpt-4" not found. To see available models, call GET /v1/models',
          type: 'invalid_request_error',
        },
      });
      const malformed = await post(s, '/v1/chat/completions', '{"model":');
      assert.equal(malformed.status, 400);
      const body = (await malformed.json()) as { error: { message: string; type: string } };
      assert.match(body.error.message, /^code=400, message=failed parsing request body: /);
      const route = await fetch(`${s.url}/v1/nothing`);
      assert.deepEqual(await route.json(), { error: { code: 404, message: 'Resource not found', type: '' } });
      const method = await fetch(`${s.url}/v1/chat/completions`);
      assert.equal(method.status, 405);
    });
  });
});

describe('LocalAI stand-in: keys, probes and routes', () => {
  it('apiKeys: 401 in LocalAI shape; Bearer, bare Authorization, x-api-key, xi-api-key, cookie accepted', async () => {
    await withStandin({ apiKeys: ['sk-one', 'sk-two'] }, async (s) => {
      const denied = await fetch(`${s.url}/v1/models`);
      assert.equal(denied.status, 401);
      assert.equal(denied.headers.get('www-authenticate'), 'Bearer');
      assert.deepEqual(await denied.json(), {
        error: { code: 401, message: 'An authentication key is required', type: 'invalid_request_error' },
      });
      assert.equal(
        (await fetch(`${s.url}/v1/models`, { headers: { authorization: 'Bearer nope' } })).status,
        401,
      );
      for (const headers of [
        { authorization: 'Bearer sk-one' },
        { authorization: 'sk-two' },
        { 'x-api-key': 'sk-one' },
        { 'xi-api-key': 'sk-two' },
        { cookie: 'theme=dark; token=sk-one' },
      ]) {
        assert.equal((await fetch(`${s.url}/v1/models`, { headers })).status, 200, JSON.stringify(headers));
      }
      for (const path of ['/healthz', '/readyz', '/', '/swagger/index.html']) {
        assert.equal((await fetch(`${s.url}${path}`)).status, 200, `${path} needs no key (as in LocalAI)`);
      }
      assert.equal((await fetch(`${s.url}/metrics`)).status, 401);
      assert.equal((await post(s, '/models/apply', {})).status, 401);
    });
  });

  it('every LOCALAI_ADMIN_ROUTES entry answers 200 with X-Standin-Route: admin', async () => {
    await withStandin({}, async (s) => {
      assert.ok(LOCALAI_ADMIN_ROUTES.length >= 30);
      for (const route of LOCALAI_ADMIN_ROUTES) {
        const response = await fetch(`${s.url}${route.path}`, {
          method: route.method,
          ...(route.method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
        });
        assert.equal(response.status, 200, `${route.method} ${route.path}`);
        assert.equal(response.headers.get('x-standin-route'), 'admin');
        await response.arrayBuffer();
      }
    });
  });

  it('/readyz 200 empty, or 503 {"status":"starting"} while not ready; /healthz 200; /models alias', async () => {
    await withStandin({ ready: false }, async (s) => {
      const starting = await fetch(`${s.url}/readyz`);
      assert.equal(starting.status, 503);
      assert.deepEqual(await starting.json(), { reason: 'startup preload in progress', status: 'starting' });
      s.behave({ ready: true });
      const ready = await fetch(`${s.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(await ready.text(), '');
      assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
      assert.deepEqual(await (await fetch(`${s.url}/models`)).json(), {
        object: 'list',
        data: [{ id: 'devstral-small-2', object: 'model' }],
      });
    });
  });

  it('/metrics: Prometheus text with the api_call histogram', async () => {
    await withStandin({}, async (s) => {
      await (await chat(s, {})).text();
      const response = await fetch(`${s.url}/metrics`);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
      assert.match(
        await response.text(),
        /^api_call_count\{method="POST",.*path="\/v1\/chat\/completions"\} 1$/m,
      );
    });
  });
});

describe('LocalAI stand-in: server', () => {
  it('never times a request out by itself: no request or socket timeout', async () => {
    await withStandin({}, async (s) => {
      assert.equal(s.server.requestTimeout, 0);
      assert.equal(s.server.timeout, 0);
      assert.equal(s.server.headersTimeout, 30_000);
      assert.equal(s.server.keepAliveTimeout, 120_000);
    });
  });

  it('stallMs: nothing at all before the stall ends, then the normal answer', async () => {
    await withStandin({ stallMs: 500 }, async (s) => {
      const { ms, response } = await timeToHeaders(() => chat(s, { stream: true }));
      assertBetween(ms, 500, 'headers');
      assert.equal((await chunksOf(response)).last, '[DONE]');
    });
  });

  it('records method, path, query, headers and body (JSON parsed, anything else raw)', async () => {
    await withStandin({}, async (s) => {
      await (await chat(s, { temperature: 0.15 }, { headers: { 'x-trace': 't1' } })).text();
      await (await fetch(`${s.url}/v1/models?filter=dev`)).text();
      await (await post(s, '/v1/completions', 'not json')).text();
      const [first, second, third] = s.requests;
      assert.equal(first?.method, 'POST');
      assert.equal(first?.path, '/v1/chat/completions');
      assert.equal(first?.headers['x-trace'], 't1');
      assert.deepEqual(first?.body, { model: 'devstral-small-2', messages: HELLO, temperature: 0.15 });
      assert.ok(first?.finishedAt && first.finishedAt >= first.receivedAt);
      assert.equal(second?.query, '?filter=dev');
      assert.equal(third?.body, 'not json');
      assert.equal(third?.status, 400);
    });
  });
});

describe('LocalAI stand-in: main.ts', () => {
  it('prints "ready URL", serves, and exits 0 on SIGTERM', async () => {
    const main = fileURLToPath(new URL('../../../tools/standin/main.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', main, '--port', '0', '--first-byte-delay-ms', '10'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = (await once(lines, 'line')) as [string];
      const url = /^ready (http:\/\/127\.0\.0\.1:\d+)$/.exec(line)?.[1];
      assert.ok(url, line);
      const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] };
      assert.equal(models.data[0]?.id, 'devstral-small-2');
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
