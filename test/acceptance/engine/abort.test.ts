/**
 * Suite c (issue 11): a client that leaves, through the sandbox (nginx → relay → llama-server), during prefill and
 * during generation, on the slow model. What the engine did is read on its own port: /slots (which task holds the slot, whether it
 * is processing) and its log's `release: … task N | stop processing: n_tokens = M` line (M = the tokens the slot
 * holds when the task stops: prompt plus generated). Answers are noise, tokens are real.
 *
 * llama.cpp at the tested commit (tools/engine/engine.lock.json) does not stop a prefill when the client leaves: it
 * notices the closed connection only once the prompt is processed, then stops before generating
 * (tools/standin/CONTRACT.md, "llama-server's own answers"). LocalAI cancels through gRPC, which the stand-in
 * models; this suite pins what llama.cpp itself does. Needs `make engine` and `make build`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  codeOf,
  type EngineGateway,
  MODEL_ID,
  openStream,
  releasedTasks,
  type Slot,
  slot,
  startEngineGateway,
  timingsOf,
  tokenCount,
  waitForRelease,
  waitForSlot,
} from '../../support/engineGateway.ts';

describe('a client that leaves: llama-server stops the task, and the next request is the next task', () => {
  let gateway: EngineGateway;
  let logStart: number;
  const tasks: number[] = [];
  before(async () => {
    // A generation cap high enough that a task left to run would generate far more than an aborted one.
    // The slow model: its prefill takes seconds per 512-token batch even on idle cores, so the client surely leaves
    // during it (the small one prefills thousands of tokens a second on an idle machine).
    gateway = await startEngineGateway({ engine: { size: 'slow', contextSize: 8192, maxTokens: 4096 } });
    logStart = gateway.engine.log().length;
  });
  after(() => gateway?.close());

  it('during prefill: the slot stops without generating the 64 tokens asked for', async () => {
    const code = await codeOf(gateway.engine, 1500);
    const promptTokens = await tokenCount(gateway.engine, code);
    const stream = openStream(gateway, {
      model: MODEL_ID,
      messages: [{ role: 'user', content: code }],
      max_tokens: 64,
    });
    // Prefill under way: the slot holds part of the prompt (it grows 512 tokens per batch), nothing generated.
    const busy = await waitForSlot(
      gateway.engine,
      (s) => s.is_processing && (s.n_prompt_tokens ?? 0) >= 512 && (s.n_prompt_tokens ?? 0) < promptTokens,
      180_000,
    );
    stream.abort();
    const record = await stream.finished;
    assert.equal(record.events.length, 0, 'no token reached the client');
    const idle = await waitForSlot(gateway.engine, (s) => !s.is_processing, 180_000);
    assert.equal(idle.id_task, busy.id_task);
    tasks.push(busy.id_task as number);
    const held = (await waitForRelease(gateway.engine, logStart, busy.id_task as number)).tokens;
    assert.ok(
      held <= promptTokens + 16 + 1,
      `stopped with ${held} tokens, prompt ${promptTokens}: at most one generated`,
    );
    // What llama.cpp does at this commit: the prompt was processed to its end (the template adds a few tokens).
    assert.ok(
      held >= promptTokens,
      `llama.cpp finished the prefill (${held} ≥ ${promptTokens}); if it now stops earlier, update CONTRACT.md`,
    );
  });

  it('during generation: the slot stops with far fewer tokens than the 2000 asked for', async () => {
    const stream = openStream(gateway, {
      model: MODEL_ID,
      messages: [{ role: 'user', content: 'Write a long story.' }],
      max_tokens: 2000,
    });
    await stream.firstToken;
    const busy: Slot = await slot(gateway.engine);
    stream.abort();
    assert.equal(busy.is_processing, true, 'still generating when the client left');
    const idle = await waitForSlot(gateway.engine, (s) => !s.is_processing, 30_000);
    assert.equal(idle.id_task, busy.id_task);
    tasks.push(busy.id_task as number);
    const stopped = await waitForRelease(gateway.engine, logStart, busy.id_task as number);
    assert.ok(
      stopped.tokens < 1000,
      `stopped with ${stopped.tokens} tokens in the slot (prompt + generated)`,
    );
  });

  it('the next request is the next task the engine runs, and it completes', async () => {
    const record = await openStream(gateway, {
      model: MODEL_ID,
      messages: [{ role: 'user', content: 'Next.' }],
      max_tokens: 4,
      stream_options: { include_usage: true },
    }).finished;
    assert.equal(record.status, 200);
    assert.equal(record.done, true);
    assert.equal(timingsOf(record)?.predicted_n, 4);
    const now = await slot(gateway.engine);
    tasks.push(now.id_task as number);
    await waitForRelease(gateway.engine, logStart, now.id_task as number);
    // Every completion task since the suite began, in the order the engine ran them: the two left, then this one.
    assert.deepEqual(
      releasedTasks(gateway.engine, logStart).map((r) => r.task),
      tasks,
    );
    assert.ok((tasks[2] as number) > (tasks[1] as number) && (tasks[1] as number) > (tasks[0] as number));
  });
});
