/**
 * One chat completion with a real client library — the `openai` SDK or the AI SDK (`ai` + @ai-sdk/openai-compatible,
 * what Cline-like agents build on) — printed as JSON. Run in a child process (clients.ts, sdkChat) so
 * NODE_EXTRA_CA_CERTS is the one source of trust. Env: SDK=openai|ai, BASE_URL, API_KEY, REQUEST (JSON: model,
 * messages, OpenAI-format tools, tool_choice, parallel_tool_calls, max_tokens, stream).
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, jsonSchema, type ModelMessage, streamText, type ToolSet, tool } from 'ai';
import OpenAI from 'openai';
import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';

interface Request {
  model: string;
  messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }>;
  tools?: Array<{ type: 'function'; function: { name: string; description?: string; parameters: object } }>;
  tool_choice?: 'auto' | 'required' | 'none';
  max_tokens?: number;
  parallel_tool_calls?: boolean;
  stream?: boolean;
}

const request = JSON.parse(process.env.REQUEST ?? '{}') as Request;
const baseURL = process.env.BASE_URL ?? '';
const apiKey = process.env.API_KEY ?? '';

async function viaOpenai(): Promise<object> {
  const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
  const body = request as unknown as ChatCompletionCreateParams;
  if (!request.stream) {
    const completion = await client.chat.completions.create({ ...body, stream: false });
    const message = completion.choices[0]?.message;
    return {
      content: message?.content ?? '',
      finishReason: completion.choices[0]?.finish_reason,
      toolCalls: (message?.tool_calls ?? []).map((c) =>
        c.type === 'function' ? { name: c.function.name, arguments: c.function.arguments } : c,
      ),
      usage: completion.usage,
    };
  }
  const stream = await client.chat.completions.create({
    ...body,
    stream: true,
    stream_options: { include_usage: true },
  });
  let content = '';
  let finishReason: string | null = null;
  let usage: unknown = null;
  const calls: Record<number, { name: string; arguments: string }> = {};
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      content += choice.delta.content ?? '';
      finishReason = choice.finish_reason ?? finishReason;
      for (const call of choice.delta.tool_calls ?? []) {
        calls[call.index] ??= { name: '', arguments: '' };
        const entry = calls[call.index] as { name: string; arguments: string };
        entry.name += call.function?.name ?? '';
        entry.arguments += call.function?.arguments ?? '';
      }
    }
  }
  return { content, finishReason, toolCalls: Object.values(calls), usage };
}

async function viaAiSdk(): Promise<object> {
  const provider = createOpenAICompatible({ name: 'slm', baseURL, apiKey, includeUsage: true });
  const tools: ToolSet = {};
  for (const t of request.tools ?? [])
    tools[t.function.name] = tool({
      description: t.function.description ?? '',
      inputSchema: jsonSchema(t.function.parameters as Parameters<typeof jsonSchema>[0]),
    });
  const options = {
    model: provider(request.model),
    messages: request.messages as ModelMessage[],
    tools,
    ...(request.tool_choice === undefined ? {} : { toolChoice: request.tool_choice }),
    ...(request.max_tokens === undefined ? {} : { maxOutputTokens: request.max_tokens }),
    // Fields the AI SDK has no setting for reach the body through the provider's options.
    ...(request.parallel_tool_calls === undefined
      ? {}
      : { providerOptions: { slm: { parallel_tool_calls: request.parallel_tool_calls } } }),
    maxRetries: 0,
  };
  const result = request.stream ? streamText(options) : await generateText(options);
  const calls = await result.toolCalls;
  return {
    content: await result.text,
    finishReason: await result.finishReason,
    toolCalls: calls.map((c) => ({
      name: c.toolName,
      arguments: JSON.stringify(c.input),
      invalid: c.invalid ?? false,
    })),
  };
}

(process.env.SDK === 'ai' ? viaAiSdk() : viaOpenai()).then(
  (result) => process.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`),
  (error: unknown) => {
    const e = error as { status?: number; statusCode?: number; code?: string; message?: string };
    process.stdout.write(
      `${JSON.stringify({ ok: false, status: e.status ?? e.statusCode ?? null, code: e.code ?? null, message: e.message ?? String(error) })}\n`,
    );
  },
);
