/**
 * Acceptance: a stand-in whose first byte comes after 8 s, grace 1 s, keep-alive every 1 s. The client gets
 * headers after about 1 s, a comment about every second, then the stand-in's bytes unchanged; the OpenAI SDK and
 * the Vercel AI SDK read text and native tool-call deltas without error. The cases run concurrently.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonSchema, tool } from 'ai';
import OpenAI from 'openai';
import {
  aiSdkStream,
  CLIENT_KEY,
  chatBody,
  commentTimes,
  MODEL,
  send,
  splitKeepAlives,
  startStack,
} from '../../support/relay.ts';

const LATE = { firstByteDelayMs: 8000, chunkIntervalMs: 20 };
const FAST_RELAY = { graceMs: 1000, keepAliveIntervalMs: 1000 };
const TOOLS_BEHAVIOUR = {
  ...LATE,
  toolCall: { name: 'read_file', arguments: '{"path":"src/relay/server.ts","line_numbers":true}' },
  toolCallStreaming: 'incremental' as const,
  toolCallArgumentChunks: 5,
};
const READ_FILE = {
  type: 'function' as const,
  function: {
    name: 'read_file',
    description: 'Read a file',
    parameters: {
      type: 'object',
      properties: { path: { type: 'string' }, line_numbers: { type: 'boolean' } },
      required: ['path'],
    },
  },
};

describe('first byte after 8 s, grace 1 s, keep-alive 1 s', { concurrency: true }, () => {
  it('headers in about 1 s, comments about every second, then the stand-in bytes unchanged', async () => {
    const stack = await startStack(FAST_RELAY, LATE);
    try {
      const timeline = await send(stack.url, {
        path: '/v1/chat/completions',
        body: chatBody({ stream: true, stream_options: { include_usage: true } }),
      });
      assert.equal(timeline.status, 200);
      assert.equal(timeline.headers['content-type'], 'text/event-stream');
      assert.equal(timeline.headers['cache-control'], 'no-cache');
      assert.equal(timeline.headers['x-accel-buffering'], 'no');
      assert.ok(
        timeline.headersAt > 800 && timeline.headersAt < 3000,
        `headers after ${timeline.headersAt} ms`,
      );
      const times = commentTimes(timeline);
      assert.ok(times.length >= 5 && times.length <= 9, `${times.length} comments`);
      for (let i = 1; i < times.length; i++) {
        const gap = (times[i] as number) - (times[i - 1] as number);
        assert.ok(gap > 500 && gap < 2500, `comment gap ${gap} ms`);
      }
      const { comments, rest } = splitKeepAlives(timeline.text);
      assert.equal(comments, times.length);
      // The client asked for usage: every byte LocalAI wrote, in order, nothing else.
      assert.equal(rest, stack.taps[0]?.text());
      assert.match(rest, /"usage":\{"prompt_tokens"/);
      assert.ok(rest.endsWith('data: [DONE]\n\n'));
      const upstream = stack.standin.requests[0];
      assert.equal(upstream?.headers.authorization, `Bearer ${stack.standin.behaviour.apiKeys[0]}`);
    } finally {
      await stack.close();
    }
  });

  it('a client that did not ask for usage gets the same bytes minus the usage chunk the relay asked for', async () => {
    const stack = await startStack(FAST_RELAY, LATE);
    try {
      const timeline = await send(stack.url, {
        path: '/v1/chat/completions',
        body: chatBody({ stream: true }),
      });
      const { rest } = splitKeepAlives(timeline.text);
      const upstreamText = stack.taps[0]?.text() ?? '';
      const events = upstreamText.split(/(?<=\n\n)/);
      const trailer = events.filter((event) => event.includes('"choices":[]'));
      assert.equal(trailer.length, 1, 'the relay asked LocalAI for usage');
      assert.equal(rest, events.filter((event) => !trailer.includes(event)).join(''));
      const forwarded = stack.standin.requests[0]?.body as { stream_options?: unknown } | undefined;
      assert.deepEqual(forwarded?.stream_options, { include_usage: true });
      const metrics = stack.relay.metrics();
      assert.match(metrics, /slm_copilot_completion_tokens_total\{key="anonymous"\} 5/);
    } finally {
      await stack.close();
    }
  });

  it('the OpenAI SDK (v6) streams the text without error', async () => {
    const stack = await startStack(FAST_RELAY, LATE);
    try {
      const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
      const stream = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Say hello.' }],
        stream: true,
      });
      let text = '';
      let chunks = 0;
      for await (const chunk of stream) {
        chunks += 1;
        assert.ok(chunk.choices.length > 0, 'no usage-only chunk reaches a client that did not ask for one');
        text += chunk.choices[0]?.delta.content ?? '';
      }
      assert.equal(text, stack.standin.behaviour.pieces.join(''));
      assert.ok(chunks >= stack.standin.behaviour.pieces.length);
    } finally {
      await stack.close();
    }
  });

  it('the OpenAI SDK reads a stream of native tool_calls deltas', async () => {
    const stack = await startStack(FAST_RELAY, TOOLS_BEHAVIOUR);
    try {
      const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
      const stream = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Open the server.' }],
        tools: [READ_FILE],
        stream: true,
        stream_options: { include_usage: true },
      });
      let name = '';
      let args = '';
      let deltas = 0;
      let usage: OpenAI.CompletionUsage | null | undefined;
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices[0];
        finish = choice?.finish_reason ?? finish;
        for (const call of choice?.delta.tool_calls ?? []) {
          deltas += 1;
          name += call.function?.name ?? '';
          args += call.function?.arguments ?? '';
        }
      }
      assert.equal(name, 'read_file');
      assert.deepEqual(JSON.parse(args), { path: 'src/relay/server.ts', line_numbers: true });
      assert.ok(deltas >= 5, `${deltas} tool-call deltas`);
      assert.equal(finish, 'tool_calls');
      assert.ok(usage && usage.prompt_tokens > 0);
    } finally {
      await stack.close();
    }
  });

  it('the Vercel AI SDK (ai@5 + @ai-sdk/openai-compatible) streams the text without error', async () => {
    const stack = await startStack(FAST_RELAY, LATE);
    try {
      const { result, errors } = aiSdkStream(stack.url, { prompt: 'Say hello.' });
      let text = '';
      for await (const part of result.fullStream) {
        if (part.type === 'text-delta') text += part.text;
        if (part.type === 'error') errors.push(part.error);
      }
      assert.deepEqual(errors, []);
      assert.equal(text, stack.standin.behaviour.pieces.join(''));
      assert.equal(await result.finishReason, 'stop');
      assert.ok(((await result.usage).inputTokens ?? 0) > 0);
    } finally {
      await stack.close();
    }
  });

  it('the Vercel AI SDK reads native tool-call deltas into a tool call', async () => {
    const stack = await startStack(FAST_RELAY, TOOLS_BEHAVIOUR);
    try {
      const { result, errors } = aiSdkStream(stack.url, {
        prompt: 'Open the server.',
        tools: {
          read_file: tool({
            description: 'Read a file',
            inputSchema: jsonSchema<{ path: string; line_numbers?: boolean }>(
              READ_FILE.function.parameters as never,
            ),
          }),
        },
      });
      const calls: { toolName: string; input: unknown }[] = [];
      let inputDeltas = 0;
      for await (const part of result.fullStream) {
        if (part.type === 'tool-call') calls.push({ toolName: part.toolName, input: part.input });
        if (part.type === 'tool-input-delta') inputDeltas += 1;
        if (part.type === 'error') errors.push(part.error);
      }
      assert.deepEqual(errors, []);
      assert.deepEqual(calls, [
        { toolName: 'read_file', input: { path: 'src/relay/server.ts', line_numbers: true } },
      ]);
      assert.ok(inputDeltas >= 5, `${inputDeltas} input deltas`);
      assert.equal(await result.finishReason, 'tool-calls');
    } finally {
      await stack.close();
    }
  });
});
