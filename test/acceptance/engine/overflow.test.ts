/**
 * Suite e (issue 11): a prompt longer than the engine's context. llama-server (started with a small -c) refuses it
 * with 400 `exceed_context_size_error` and no OpenAI `code`; through the sandbox the client gets OpenAI's 400
 * `context_length_exceeded` before any response header of a stream — what makes Cline compact its history — raised
 * by the openai SDK, streaming or not. Answers are noise; tokens are real (the borrowed llama-bpe tokenizer).
 * Needs `make engine` and `make build`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sdkChat } from '../../support/clients.ts';
import {
  codeOf,
  type EngineGateway,
  MODEL_ID,
  openStream,
  startEngineGateway,
  tokenCount,
} from '../../support/engineGateway.ts';

const CONTEXT = 1024;

describe(`a prompt longer than llama-server's context (-c ${CONTEXT})`, () => {
  let gateway: EngineGateway;
  let prompt: string;
  before(async () => {
    gateway = await startEngineGateway({ engine: { size: 'small', contextSize: CONTEXT } });
    prompt = `Review this file:\n${await codeOf(gateway.engine, 2 * CONTEXT)}`;
  });
  after(() => gateway?.close());

  it('llama-server itself answers 400 exceed_context_size_error, without an OpenAI code', async () => {
    const res = await fetch(`${gateway.engine.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: prompt }] }),
    });
    const body = (await res.json()) as { error: { type: string; code?: unknown; n_ctx: number } };
    assert.equal(res.status, 400);
    assert.equal(body.error.type, 'exceed_context_size_error');
    assert.equal(body.error.n_ctx, CONTEXT);
    assert.notEqual(body.error.code, 'context_length_exceeded');
  });

  it("through the sandbox a stream gets OpenAI's 400 context_length_exceeded as its first and only answer", async () => {
    const record = await openStream(gateway, {
      model: MODEL_ID,
      messages: [{ role: 'user', content: prompt }],
    }).finished;
    assert.equal(record.status, 400, record.body);
    assert.match(String(record.headers['content-type']), /^application\/json/);
    assert.deepEqual(record.comments, [], 'no keep-alive: the error came before any header');
    const error = (JSON.parse(record.body) as { error: { code: string; type: string; message: string } })
      .error;
    assert.equal(error.code, 'context_length_exceeded');
    assert.equal(error.type, 'invalid_request_error');
    const tokens = await tokenCount(gateway.engine, prompt);
    const stated =
      /maximum context length is (\d+) tokens\. However, your messages resulted in (\d+) tokens/.exec(
        error.message,
      );
    assert.ok(stated, error.message);
    assert.equal(Number(stated[1]), CONTEXT);
    assert.ok(Number(stated[2]) >= tokens, `${stated[2]} prompt tokens (the text alone is ${tokens})`);
  });

  for (const stream of [true, false]) {
    it(`the openai SDK raises 400 context_length_exceeded (${stream ? 'streaming' : 'not streaming'})`, async () => {
      const result = await sdkChat(
        'openai',
        { baseUrl: gateway.baseUrl, key: gateway.key, caFile: gateway.sandbox.caPath },
        { model: MODEL_ID, messages: [{ role: 'user', content: prompt }], stream },
      );
      assert.equal(result.ok, false, JSON.stringify(result));
      assert.equal(result.status, 400);
      assert.equal(result.code, 'context_length_exceeded');
    });
  }
});
