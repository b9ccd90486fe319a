// TEST STAND-IN for LocalAI (mimics the v4.9.0 HTTP API). Not the product, never shipped or bundled; a tool under tools/ only.
// Native tool calls (OpenAI function calling). LocalAI v4.9.0 with llama.cpp's autoparser collects the parsed call
// while it is generated and flushes it at the end of the stream (chat_stream_workers.go processStreamWithTools,
// chat_emit.go buildDeferredToolCallChunks): a name chunk, then an arguments chunk, then finish_reason "tool_calls".
import { randomBytes } from 'node:crypto';
import { type ChatPlan, failJson, failStream, planUsage } from './chatPlan.ts';
import { type Exchange, failurePoint, sendJson, sseHeaders } from './exchange.ts';
import { chatChunks, chatCompletion, SseWriter } from './sse.ts';
import { textTokens, wait } from './timing.ts';
import type { StandinBehaviour, ToolCallSpec } from './types.ts';

interface ToolDefinition {
  readonly name: string;
  readonly parameters: unknown;
}

function toolDefinitions(tools: unknown): ToolDefinition[] {
  if (!Array.isArray(tools)) return [];
  const out: ToolDefinition[] = [];
  for (const tool of tools) {
    const fn = (tool as { function?: { name?: unknown; parameters?: unknown } } | null)?.function;
    if (typeof fn?.name === 'string') out.push({ name: fn.name, parameters: fn.parameters });
  }
  return out;
}

/** A JSON object with every required property of the schema filled with a value of its type. */
export function argumentsFromSchema(parameters: unknown): string {
  const schema = (parameters ?? {}) as {
    properties?: Record<string, { type?: unknown }>;
    required?: unknown;
  };
  const required = Array.isArray(schema.required) ? schema.required.map(String) : [];
  const sample: Record<string, unknown> = {};
  for (const key of required) {
    const type = schema.properties?.[key]?.type;
    sample[key] =
      type === 'number' || type === 'integer'
        ? 1
        : type === 'boolean'
          ? true
          : type === 'array'
            ? []
            : type === 'object'
              ? {}
              : 'stand-in';
  }
  return JSON.stringify(sample);
}

/** The call to make for this request, or null for a text answer. */
export function chooseToolCall(b: StandinBehaviour, request: Record<string, unknown>): ToolCallSpec | null {
  const tools = toolDefinitions(request.tools);
  if (b.toolCalls === 'never' || tools.length === 0 || request.tool_choice === 'none') return null;
  if (b.toolCall) return b.toolCall;
  const forced = (request.tool_choice as { function?: { name?: unknown } } | null)?.function?.name;
  const tool = tools.find((t) => t.name === forced) ?? tools[0];
  return tool ? { name: tool.name, arguments: argumentsFromSchema(tool.parameters) } : null;
}

/** args cut into n consecutive fragments (fewer when args is shorter than n). */
export function splitArguments(args: string, n: number): string[] {
  const count = Math.max(1, Math.min(Math.floor(n), args.length));
  const size = Math.ceil(args.length / count);
  const parts: string[] = [];
  for (let at = 0; at < args.length; at += size) parts.push(args.slice(at, at + size));
  return parts.length > 0 ? parts : [''];
}

/** llama.cpp's tool-call ids are random 32-character alphanumeric strings (gen_tool_call_id). */
export function toolCallId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(32), (byte) => alphabet[byte % alphabet.length]).join('');
}

/** Tokens the call costs to generate: its name and arguments at 4 characters a token. */
function callTokens(call: ToolCallSpec): number {
  return textTokens(call.name.length + call.arguments.length);
}

export async function streamToolCall(x: Exchange, plan: ChatPlan, call: ToolCallSpec): Promise<void> {
  const sse = new SseWriter(x.res, x.record, sseHeaders(plan.ids.id));
  const fragments = splitArguments(call.arguments, x.behaviour.toolCallArgumentChunks);
  const id = toolCallId();
  const tokens = callTokens(call);
  if (Number.isFinite(failurePoint(x))) {
    if (!(await wait(plan.prefillMs, x.signal))) return;
    return failStream(x, sse);
  }
  if (x.behaviour.toolCallStreaming === 'deferred') {
    if (!(await wait(plan.prefillMs + plan.intervalMs * tokens, x.signal))) return;
    sse.data(chatChunks.toolName(plan.ids, 0, id, call));
    for (const fragment of fragments) sse.data(chatChunks.toolArguments(plan.ids, 0, id, fragment));
  } else {
    if (!(await wait(plan.prefillMs, x.signal))) return;
    sse.data(chatChunks.toolName(plan.ids, 0, id, call));
    for (const fragment of fragments) {
      if (!(await wait(plan.intervalMs, x.signal))) return;
      sse.data(chatChunks.toolArgumentsOpenAI(plan.ids, 0, fragment));
    }
  }
  sse.data(chatChunks.finish(plan.ids, 'tool_calls'));
  if (plan.includeUsage) sse.data(chatChunks.usageTrailer(plan.ids, planUsage(plan, tokens)));
  sse.done();
}

/** chat.go, non-streaming with tools: content "" (not null), every tool call with index 0. */
export async function answerToolCall(x: Exchange, plan: ChatPlan, call: ToolCallSpec): Promise<void> {
  const tokens = callTokens(call);
  const failed = Number.isFinite(failurePoint(x));
  if (!(await wait(plan.prefillMs + (failed ? 0 : plan.intervalMs * tokens), x.signal))) return;
  if (failed) return failJson(x);
  const message = {
    role: 'assistant',
    content: '',
    tool_calls: [
      {
        index: 0,
        id: toolCallId(),
        type: 'function',
        function: { name: call.name, arguments: call.arguments },
      },
    ],
  };
  sendJson(x, {
    status: 200,
    body: chatCompletion(plan.ids, message, 'tool_calls', planUsage(plan, tokens)),
  });
}
