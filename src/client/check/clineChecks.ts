/**
 * Requests shaped like Cline 4.x (long agent system prompt, native tools: must end with valid tool calls or text)
 * and Cline 3.x (tools as XML in the prompt, user content as text parts: must stream text). Pure.
 */

import type { Problem } from '../../core/lib/failure.ts';
import { fail, pass, type Result, skip } from '../../core/lib/result.ts';
import type { StreamSummary } from '../net/chatStream.ts';
import type { HttpResult } from '../net/http.ts';
import { CLINE_TOOL_NAMES } from '../prompts/clinePrompts.ts';
import { type Answer, NO_CREDENTIALS, quote, seconds, streamOf, streamProblem } from './answers.ts';

function clineData(result: HttpResult, summary: StreamSummary) {
  return {
    seconds: result.ok ? result.endAt / 1000 : null,
    timeToFirstTokenMs: summary.tokenTimes[0] === undefined ? null : Math.round(summary.tokenTimes[0]),
    promptTokens: summary.usage?.promptTokens ?? null,
    finishReason: summary.finishReason,
    toolCalls: summary.toolCalls,
    keepAlives: summary.keepAlives,
  };
}

const TOOL_PARSER: Omit<Problem, 'reason'> = {
  cause:
    "the server does not turn Devstral's tool-call syntax ([TOOL_CALLS]name[ARGS]{…}) into OpenAI tool_calls: LocalAI older than 4.1.1, or a model configuration without the model's own chat template",
  fix: 'serve Devstral with LocalAI 4.1.1 or newer and use_tokenizer_template (the appliance ships 4.9.0); Cline 4.x cannot work without native tool calls',
};

export function evaluateCline4(result: Answer): Result {
  const id = 'cline-4';
  const title = 'Cline 4.x request (native tools)';
  if (result === null) return skip(id, title, NO_CREDENTIALS);
  const summary = streamOf(result);
  const problem = streamProblem('a Cline 4.x-shaped request', result, summary);
  if (problem !== null) return fail(id, title, problem);
  const data = clineData(result, summary);
  for (const call of summary.toolCalls) {
    if (!CLINE_TOOL_NAMES.includes(call.name)) {
      return fail(
        id,
        title,
        { reason: `the model called a tool that was not offered: "${call.name}"`, ...TOOL_PARSER },
        data,
      );
    }
    let args: unknown;
    try {
      args = JSON.parse(call.arguments);
    } catch {
      args = undefined;
    }
    if (typeof args !== 'object' || args === null || Array.isArray(args)) {
      return fail(
        id,
        title,
        {
          reason: `the ${call.name} tool call's arguments are not a JSON object: ${quote(call.arguments)}`,
          ...TOOL_PARSER,
        },
        data,
      );
    }
  }
  if (summary.toolCalls.length === 0 && /\[TOOL_CALLS\]/.test(summary.content)) {
    return fail(
      id,
      title,
      { reason: 'the tool call came back as text ([TOOL_CALLS]…), not as tool_calls', ...TOOL_PARSER },
      data,
    );
  }
  const took = `${seconds(result.ok ? result.endAt : 0)} (${summary.usage?.promptTokens ?? '?'} prompt tokens)`;
  if (summary.toolCalls.length > 0) {
    const names = summary.toolCalls.map((call) => call.name).join(', ');
    return pass(id, title, `completed with a ${names} tool call in ${took}`, data);
  }
  if (summary.content.trim() === '') {
    return fail(
      id,
      title,
      { reason: 'the answer was empty: no text and no tool call', ...TOOL_PARSER },
      data,
    );
  }
  return pass(
    id,
    title,
    `completed in ${took}, in text without a tool call (Cline 4.x then asks for one)`,
    data,
  );
}

export function evaluateCline3(result: Answer): Result {
  const id = 'cline-3';
  const title = 'Cline 3.x request (XML tools in text)';
  if (result === null) return skip(id, title, NO_CREDENTIALS);
  const summary = streamOf(result);
  const problem = streamProblem('a Cline 3.x-shaped request', result, summary);
  if (problem !== null) return fail(id, title, problem);
  const data = clineData(result, summary);
  if (summary.content.trim() === '') {
    return fail(
      id,
      title,
      {
        reason:
          summary.toolCalls.length > 0
            ? 'the answer was a native tool call although no tools were offered; Cline 3.x reads only text'
            : 'the answer was empty',
        cause: "the model's configuration forces tool calls or grammar, or the model stopped at once",
        fix: 'on the VM run `slm-copilot doctor`; the model YAML must not force function calling',
      },
      data,
    );
  }
  const xml = CLINE_TOOL_NAMES.find((name) => summary.content.includes(`<${name}>`));
  return pass(
    id,
    title,
    `streamed ${summary.tokenTimes.length} tokens of text in ${seconds(result.ok ? result.endAt : 0)}${xml === undefined ? '' : `, using the XML tool ${xml}`}`,
    data,
  );
}
