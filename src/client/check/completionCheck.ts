/** A plain (not streamed) completion must answer with message text. Pure. */
import { fail, pass, type Result, skip } from '../../core/lib/result.ts';
import { type Answer, NO_CREDENTIALS, quote, requestProblem, seconds } from './answers.ts';

export function evaluateCompletion(result: Answer): Result {
  const id = 'completion';
  const title = 'Completion (not streamed)';
  if (result === null) return skip(id, title, NO_CREDENTIALS);
  const problem = requestProblem('POST /v1/chat/completions', result);
  if (problem !== null || !result.ok) return fail(id, title, problem ?? { reason: 'no answer' });
  let message: { content?: unknown; tool_calls?: unknown } | undefined;
  let usage: unknown;
  try {
    const body = JSON.parse(result.body) as { choices?: { message?: typeof message }[]; usage?: unknown };
    message = body.choices?.[0]?.message;
    usage = body.usage;
  } catch {
    // reported below
  }
  const text = typeof message?.content === 'string' ? message.content : '';
  if (message === undefined || (text.trim() === '' && !Array.isArray(message.tool_calls))) {
    return fail(id, title, {
      reason: 'the answer has no message text (choices[0].message.content)',
      cause:
        'the server answers in another shape than OpenAI chat completions, or the model produced nothing',
      fix: 'run the check again; if it persists, on the VM run `slm-copilot doctor`',
    });
  }
  return pass(id, title, `answered ${quote(text)} in ${seconds(result.endAt)}`, {
    seconds: result.endAt / 1000,
    usage: usage ?? null,
  });
}
