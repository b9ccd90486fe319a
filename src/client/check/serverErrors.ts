/** The likely cause and fix of a failed request, from its status and message. Pure. */
import type { Problem } from '../../core/lib/failure.ts';

export const ON_THE_VM = 'on the VM run `slm-copilot doctor`';

export function explainFailure(status: number | null, message: string): Omit<Problem, 'reason'> {
  const text = message.toLowerCase();
  if (/exceeds the available context|context length|context_length_exceeded|context size/.test(text)) {
    return {
      cause: "the prompt is longer than the model's context window",
      fix: "raise ONEAPP_COPILOT_MODEL_CONTEXT if the VM's RAM allows (slm-copilot plan shows it) and set Cline's Context Window Size to the same number",
    };
  }
  if (/roles must alternate|template|jinja|raise_exception/.test(text)) {
    return {
      cause: "the model's chat template rejected the conversation (roles or message shape)",
      fix: `requests must pass through the relay, which normalises roles; ${ON_THE_VM}`,
    };
  }
  if (/rpc error|unavailable|eof|backend|grpc/.test(text)) {
    return {
      cause:
        'the llama.cpp backend crashed or was killed: out of memory, or an illegal instruction on a CPU model without AVX2',
      fix: `${ON_THE_VM}, and read journalctl -u local-ai -b`,
    };
  }
  if (status === 503) {
    return {
      cause: 'the model server is starting, restarting or down',
      fix: `wait a minute and re-run; if it persists, ${ON_THE_VM}`,
    };
  }
  if (status === 429) {
    return {
      cause:
        'the request queue is full: other clients are being served (the model answers one request at a time)',
      fix: 'retry later, or raise ONEAPP_COPILOT_API_QUEUE_LIMIT',
    };
  }
  if (status === 404 && /model/.test(text)) {
    return {
      cause: 'the server does not know this model id',
      fix: "use the id GET /v1/models lists (devstral-small-2) as Cline's Model ID, or pass --model",
    };
  }
  if (/timeout|no complete answer within/.test(text)) {
    return {
      cause:
        'the prompt is processed too slowly: a CPU model without AVX2 (about 20 times slower), too few cores, or other requests queued first',
      fix: `raise --timeout to see how long it takes, run slm-copilot bench, and ${ON_THE_VM}`,
    };
  }
  if (/econnrefused|econnreset|socket hang up|closed the connection/.test(text)) {
    return {
      cause: 'the connection was refused or dropped: nginx or the VM restarted, or a firewall resets it',
      fix: `re-run; if it persists, ${ON_THE_VM}`,
    };
  }
  return { cause: 'the model server could not answer', fix: ON_THE_VM };
}

/** The error message out of an OpenAI-shaped JSON error body, or the body itself (shortened). */
export function errorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
    if (typeof parsed.error?.message === 'string') return parsed.error.message;
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON
  }
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}…` : flat;
}
