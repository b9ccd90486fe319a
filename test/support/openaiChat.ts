/**
 * Streams one chat completion with the real `openai` SDK and prints the outcome as JSON. Run in a child process
 * so NODE_EXTRA_CA_CERTS (read only at start-up, as in VS Code for Cline) is the one source of trust.
 * Env: BASE_URL, API_KEY, MODEL, optional STREAM=0, TOOLS=1.
 */
import OpenAI from 'openai';

const client = new OpenAI({
  baseURL: process.env.BASE_URL,
  apiKey: process.env.API_KEY ?? '',
  maxRetries: 0,
});
const tools = process.env.TOOLS === '1';

async function main(): Promise<object> {
  const request = {
    model: process.env.MODEL ?? 'devstral-small-2',
    messages: [
      { role: 'system' as const, content: 'You are a coding assistant.' },
      { role: 'user' as const, content: 'Say hello.' },
    ],
    ...(tools
      ? {
          tools: [
            {
              type: 'function' as const,
              function: {
                name: 'read_file',
                description: 'Read a file',
                parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
              },
            },
          ],
        }
      : {}),
  };
  if (process.env.STREAM === '0') {
    const completion = await client.chat.completions.create({ ...request, stream: false });
    return { content: completion.choices[0]?.message.content ?? '', usage: completion.usage };
  }
  const stream = await client.chat.completions.create({
    ...request,
    stream: true,
    stream_options: { include_usage: true },
  });
  let content = '';
  let chunks = 0;
  let usage: unknown = null;
  const calls: Record<number, { name: string; arguments: string }> = {};
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      content += choice.delta.content ?? '';
      for (const call of choice.delta.tool_calls ?? []) {
        calls[call.index] ??= { name: '', arguments: '' };
        const entry = calls[call.index] as { name: string; arguments: string };
        entry.name += call.function?.name ?? '';
        entry.arguments += call.function?.arguments ?? '';
      }
    }
  }
  return { content, chunks, usage, toolCalls: Object.values(calls) };
}

main().then(
  (result) => process.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`),
  (error: unknown) => {
    const e = error as { status?: number; code?: string; message?: string };
    process.stdout.write(
      `${JSON.stringify({ ok: false, status: e.status ?? null, code: e.code ?? null, message: e.message ?? String(error) })}\n`,
    );
  },
);
