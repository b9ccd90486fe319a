/**
 * Acceptance: fast errors keep their status and OpenAI code; an error after the headers went out reaches the SDKs
 * as an error carrying the upstream message; timeouts and a vanished model server end cleanly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { streamText } from 'ai';
import OpenAI, { APIError } from 'openai';
import { startRelay } from '../../../src/appliance/relay/server.ts';
import {
  CLIENT_KEY,
  chatBody,
  MODEL,
  send,
  splitKeepAlives,
  startStack,
  until,
} from '../../support/relay.ts';

const RELAY = { graceMs: 1000, keepAliveIntervalMs: 1000 };
/** Any prompt overflows a 5-token context; `openai` style answers 400 context_length_exceeded at once. */
const OVERFLOW = { contextSize: 5, contextOverflowStyle: 'openai' as const };
const CRASH = 'backend crashed: out of memory';

async function openaiError(url: string): Promise<APIError> {
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
  try {
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Summarise the repository.' }],
      stream: true,
    });
    for await (const _chunk of stream) {
      // read until it fails
    }
  } catch (error) {
    assert.ok(error instanceof APIError, `an APIError, not ${String(error)}`);
    return error;
  }
  assert.fail('the stream did not fail');
}

async function vercelErrors(url: string): Promise<unknown[]> {
  const provider = createOpenAICompatible({
    name: 'slm',
    baseURL: `${url}/v1`,
    apiKey: CLIENT_KEY,
    includeUsage: true,
  });
  const errors: unknown[] = [];
  const result = streamText({
    model: provider(MODEL),
    prompt: 'Summarise the repository.',
    maxRetries: 0,
    onError: () => {},
  });
  for await (const part of result.fullStream) if (part.type === 'error') errors.push(part.error);
  return errors;
}

const describeError = (error: unknown) =>
  error instanceof Error ? `${error.message} ${JSON.stringify(error)}` : JSON.stringify(error);

describe('errors before and after the headers', { concurrency: true }, () => {
  it('a fast 400 context_length_exceeded reaches the client unchanged: status, body, OpenAI code', async () => {
    const stack = await startStack(RELAY, OVERFLOW);
    try {
      const raw = await send(stack.url, { path: '/v1/chat/completions', body: chatBody({ stream: true }) });
      assert.equal(raw.status, 400);
      assert.ok(raw.headersAt < 800, `answered after ${raw.headersAt} ms, before the grace period`);
      assert.equal(raw.text, stack.taps[0]?.text());
      const sdk = await openaiError(stack.url);
      assert.equal(sdk.status, 400);
      assert.equal(sdk.code, 'context_length_exceeded');
      const [vercel, ...more] = await vercelErrors(stack.url);
      assert.equal(more.length, 0);
      assert.equal((vercel as { statusCode?: number }).statusCode, 400);
      assert.match(describeError(vercel), /context_length_exceeded/);
    } finally {
      await stack.close();
    }
  });

  it('a context overflow after the headers becomes one SSE error event keeping code context_length_exceeded', async () => {
    const stack = await startStack(RELAY, { ...OVERFLOW, stallMs: 2500 });
    try {
      const raw = await send(stack.url, { path: '/v1/chat/completions', body: chatBody({ stream: true }) });
      assert.equal(raw.status, 200);
      const { comments, rest } = splitKeepAlives(raw.text);
      assert.ok(comments >= 1);
      assert.match(rest, /^data: \{"error":\{[^\n]*\}\}\n\n$/, 'one error event, then the end (no [DONE])');
      const error = JSON.parse(rest.slice('data: '.length)).error;
      const upstream = JSON.parse(stack.taps[0]?.text() ?? '').error;
      assert.deepEqual(error, upstream);
      assert.equal(error.code, 'context_length_exceeded');
      const sdk = await openaiError(stack.url);
      assert.equal(sdk.code, 'context_length_exceeded');
      assert.match(sdk.message, /maximum context length/);
    } finally {
      await stack.close();
    }
  });

  it('an upstream 500 after the headers surfaces in both SDKs as an error carrying its message', async () => {
    const stack = await startStack(RELAY, {
      stallMs: 2500,
      failure: { kind: 'http', status: 500, message: CRASH },
    });
    try {
      const sdk = await openaiError(stack.url);
      assert.match(sdk.message, /backend crashed: out of memory/);
      const errors = await vercelErrors(stack.url);
      assert.equal(errors.length, 1);
      assert.match(describeError(errors[0]), /backend crashed: out of memory/);
      assert.match(stack.relay.metrics(), /slm_copilot_request_errors_total\{key="anonymous"\} 2/);
    } finally {
      await stack.close();
    }
  });

  it("LocalAI's own mid-stream error event passes through unchanged and fails both SDKs", async () => {
    const stack = await startStack(RELAY, {
      failure: { kind: 'backend-error', afterPieces: 2, message: CRASH },
    });
    try {
      const raw = await send(stack.url, {
        path: '/v1/chat/completions',
        body: chatBody({ stream: true, stream_options: { include_usage: true } }),
      });
      assert.equal(raw.text, stack.taps[0]?.text());
      assert.match((await openaiError(stack.url)).message, /backend crashed/);
      assert.match(describeError((await vercelErrors(stack.url))[0]), /backend crashed/);
      assert.match(stack.relay.metrics(), /slm_copilot_request_errors_total\{key="anonymous"\} 3/);
    } finally {
      await stack.close();
    }
  });

  it('LocalAI vanishing mid-stream ends the stream with an error event (at an event boundary)', async () => {
    const stack = await startStack(RELAY, {
      chunkIntervalMs: 50,
      failure: { kind: 'disconnect', afterPieces: 2 },
    });
    try {
      const raw = await send(stack.url, { path: '/v1/chat/completions', body: chatBody({ stream: true }) });
      assert.equal(raw.status, 200);
      assert.ok(raw.text.startsWith(stack.taps[0]?.text() ?? 'x'), 'what LocalAI sent passed through');
      assert.match(
        raw.text,
        /\n\ndata: \{"error":\{"message":"The model server closed the stream before it finished\.[^\n]*\}\}\n\n$/,
      );
      assert.match((await openaiError(stack.url)).message, /closed the stream/);
    } finally {
      await stack.close();
    }
  });

  it('past the end-to-end timeout: 504 JSON before the headers, an SSE timeout error after; LocalAI is told', async () => {
    const stack = await startStack(
      { graceMs: 800, keepAliveIntervalMs: 300, timeoutMs: 1500 },
      { stallMs: 20_000 },
    );
    try {
      const plain = await send(stack.url, { path: '/v1/chat/completions', body: chatBody() });
      assert.equal(plain.status, 504);
      assert.equal(JSON.parse(plain.text).error.code, 'timeout');
      const streamed = await send(stack.url, {
        path: '/v1/chat/completions',
        body: chatBody({ stream: true }),
      });
      assert.equal(streamed.status, 200);
      const { comments, rest } = splitKeepAlives(streamed.text);
      assert.ok(comments >= 1);
      assert.equal(JSON.parse(rest.slice('data: '.length)).error.code, 'timeout');
      await until(
        () => stack.standin.requests.every((r) => r.closedEarlyAt !== undefined),
        2000,
        'LocalAI sees both go',
      );
    } finally {
      await stack.close();
    }
  });

  it('a model server that refuses connections: 503 JSON with Retry-After, for streams too', async () => {
    const stack = await startStack(RELAY);
    const url = stack.standin.url;
    await stack.close();
    const relay = await startRelay({ port: 0, upstreamUrl: url, readiness: false, log: () => {} });
    try {
      const base = `http://127.0.0.1:${relay.port}`;
      for (const body of [chatBody(), chatBody({ stream: true })]) {
        const raw = await send(base, { path: '/v1/chat/completions', body });
        assert.equal(raw.status, 503);
        assert.equal(raw.headers['retry-after'], '10');
        assert.equal(JSON.parse(raw.text).error.code, 'service_unavailable');
      }
      const models = await send(base, { path: '/v1/models' });
      assert.equal(models.status, 503);
    } finally {
      await relay.close();
    }
  });
});
