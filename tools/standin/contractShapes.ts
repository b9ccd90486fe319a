// TEST STAND-IN contract for LocalAI: shape assertions on decoded JSON. Not the product, never shipped.
import assert from 'node:assert/strict';

export type Json = Record<string, unknown>;

export function obj(value: unknown, what: string): Json {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${what} is not an object`);
  return value as Json;
}

export function arr(value: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(value), `${what} is not an array`);
  return value;
}

export function str(value: unknown, what: string): string {
  assert.equal(typeof value, 'string', `${what} is not a string`);
  return value as string;
}

/** The first choice of a chunk, or undefined for the usage trailer (choices: []). */
export function firstChoice(chunk: Json): Json | undefined {
  const choices = arr(chunk.choices, 'choices');
  return choices.length === 0 ? undefined : obj(choices[0], 'choices[0]');
}

/** `{"error":{…,"message":"…"}}` → the error object. */
export function errorOf(body: Json): Json {
  const error = obj(body.error, 'error');
  str(error.message, 'error.message');
  return error;
}

/** One chat.completion.chunk (an SSE error event fails with its message). */
export function checkChatChunk(chunk: Json, i: number): void {
  if (chunk.error !== undefined) assert.fail(`SSE error event at chunk ${i}: ${JSON.stringify(chunk.error)}`);
  assert.equal(chunk.object, 'chat.completion.chunk', `chunk ${i}: object`);
  assert.ok(typeof chunk.id === 'string' && chunk.id !== '', `chunk ${i}: id`);
  assert.ok(Number.isInteger(chunk.created), `chunk ${i}: created`);
  str(chunk.model, `chunk ${i}: model`);
  const choice = firstChoice(chunk);
  if (!choice) return;
  assert.equal(choice.index, 0, `chunk ${i}: choices[0].index`);
  assert.ok('finish_reason' in choice, `chunk ${i}: choices[0] has no finish_reason key`);
  assert.ok(
    choice.finish_reason === null || typeof choice.finish_reason === 'string',
    `chunk ${i}: finish_reason`,
  );
  obj(choice.delta, `chunk ${i}: delta`);
}

export interface UsageNumbers {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

export function checkUsage(value: unknown): UsageNumbers {
  const usage = obj(value, 'usage');
  const prompt = usage.prompt_tokens;
  const completion = usage.completion_tokens;
  assert.ok(Number.isInteger(prompt) && (prompt as number) > 0, `usage.prompt_tokens ${prompt}`);
  assert.ok(
    Number.isInteger(completion) && (completion as number) >= 0,
    `usage.completion_tokens ${completion}`,
  );
  assert.equal(
    usage.total_tokens,
    (prompt as number) + (completion as number),
    'total_tokens ≠ prompt + completion',
  );
  return {
    prompt_tokens: prompt as number,
    completion_tokens: completion as number,
    total_tokens: usage.total_tokens as number,
  };
}

export interface MergedToolCall {
  readonly id: string;
  readonly name: string;
  arguments: string;
}

/**
 * Merges delta.tool_calls the way OpenAI clients do (by index; the first delta of an index brings id, type
 * "function" and the name; later deltas append arguments) and checks the stream around them.
 */
export function checkToolCallStream(chunks: readonly Json[]): MergedToolCall[] {
  const calls = new Map<number, MergedToolCall>();
  const finishes: unknown[] = [];
  chunks.forEach((chunk, i) => {
    checkChatChunk(chunk, i);
    const choice = firstChoice(chunk);
    if (!choice) return;
    if (choice.finish_reason !== null) finishes.push(choice.finish_reason);
    const delta = obj(choice.delta, 'delta');
    if (delta.tool_calls === undefined) return;
    assert.ok(!delta.content, `chunk ${i}: content and tool_calls in one delta`);
    for (const raw of arr(delta.tool_calls, 'tool_calls')) {
      const part = obj(raw, 'tool_calls[]');
      assert.ok(Number.isInteger(part.index), `chunk ${i}: tool call without index`);
      const fn = part.function === undefined ? {} : obj(part.function, 'function');
      const index = part.index as number;
      let call = calls.get(index);
      if (!call) {
        assert.ok(
          typeof part.id === 'string' && part.id !== '',
          `chunk ${i}: first delta of call ${index} has no id`,
        );
        assert.equal(part.type, 'function', `chunk ${i}: first delta of call ${index}: type`);
        assert.ok(
          typeof fn.name === 'string' && fn.name !== '',
          `chunk ${i}: first delta of call ${index}: name`,
        );
        call = { id: part.id, name: fn.name, arguments: '' };
        calls.set(index, call);
      } else {
        if (part.id !== undefined) assert.equal(part.id, call.id, `chunk ${i}: call ${index} changed its id`);
        if (fn.name) assert.equal(fn.name, call.name, `chunk ${i}: call ${index} changed its name`);
      }
      if (fn.arguments !== undefined) call.arguments += str(fn.arguments, 'function.arguments');
    }
  });
  assert.ok(calls.size > 0, 'no delta.tool_calls in the stream (the model answered in text?)');
  assert.deepEqual(finishes, ['tool_calls'], `finish_reason(s): ${JSON.stringify(finishes)}`);
  for (const call of calls.values()) {
    assert.doesNotThrow(
      () => JSON.parse(call.arguments),
      `arguments of ${call.name} are not JSON: ${call.arguments}`,
    );
  }
  return [...calls.values()];
}
