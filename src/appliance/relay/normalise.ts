/**
 * Request normalisation for Devstral's chat template, and the
 * request facts the relay needs (stream or not, whether it added include_usage). Pure.
 *
 * Rules, in this order:
 *   1. drop assistant messages with neither content nor tool calls (the template raises on them);
 *   2. `developer` role → `system` (the template knows no other roles);
 *   3. merge consecutive `user` messages, and consecutive plain-text `assistant` messages (roles must
 *      alternate). Strings join with a blank line; when either content is an array of parts, the parts are
 *      kept as they are, with a "\n\n" text part between them. Messages merge only when all their other fields
 *      are equal, so nothing is lost;
 *   4. `tool` messages and assistant messages carrying `tool_calls` are never merged.
 * Nothing else changes; unknown fields are kept. A body that is not a JSON chat request passes unchanged.
 */
import { isRecord } from '../../core/lib/isRecord.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface Message {
  readonly role?: Json;
  readonly content?: Json;
  readonly tool_calls?: Json;
  readonly [key: string]: Json | undefined;
}

const SEPARATOR = '\n\n';

export function normaliseMessages(messages: readonly Message[]): Message[] {
  const kept = messages.filter((message) => !isEmptyAssistant(message));
  const renamed = kept.map((message) =>
    message.role === 'developer' ? { ...message, role: 'system' } : message,
  );
  const merged: Message[] = [];
  for (const message of renamed) {
    const previous = merged.at(-1);
    if (previous !== undefined && canMerge(previous, message)) {
      merged[merged.length - 1] = { ...previous, content: joinContent(previous.content, message.content) };
    } else {
      merged.push(message);
    }
  }
  return merged;
}

function hasToolCalls(message: Message): boolean {
  return (
    (Array.isArray(message.tool_calls) && message.tool_calls.length > 0) ||
    (message.function_call !== undefined && message.function_call !== null)
  );
}

function isEmptyContent(content: Json | undefined): boolean {
  if (content === undefined || content === null || content === '') return true;
  if (Array.isArray(content))
    return content.every((part) => isObject(part) && part.type === 'text' && (part.text ?? '') === '');
  return false;
}

function isEmptyAssistant(message: Message): boolean {
  return message.role === 'assistant' && isEmptyContent(message.content) && !hasToolCalls(message);
}

function canMerge(a: Message, b: Message): boolean {
  if (a.role !== b.role || (a.role !== 'user' && a.role !== 'assistant')) return false;
  if (hasToolCalls(a) || hasToolCalls(b)) return false;
  if (!isContent(a.content) || !isContent(b.content)) return false;
  return sameOtherFields(a, b);
}

/** Content the relay knows how to join: absent, a string, or an array of parts. */
function isContent(content: Json | undefined): boolean {
  return content === undefined || content === null || typeof content === 'string' || Array.isArray(content);
}

function sameOtherFields(a: Message, b: Message): boolean {
  const keys = (message: Message) =>
    Object.keys(message)
      .filter((key) => key !== 'content' && message[key] !== undefined)
      .sort();
  const aKeys = keys(a);
  const bKeys = keys(b);
  return (
    aKeys.length === bKeys.length &&
    aKeys.every((key, index) => key === bKeys[index] && JSON.stringify(a[key]) === JSON.stringify(b[key]))
  );
}

function joinContent(a: Json | undefined, b: Json | undefined): Json {
  const left = a ?? '';
  const right = b ?? '';
  if (typeof left === 'string' && typeof right === 'string') {
    if (left === '') return right;
    if (right === '') return left;
    return `${left}${SEPARATOR}${right}`;
  }
  const parts = (content: Json): Json[] =>
    Array.isArray(content) ? content : content === '' ? [] : [{ type: 'text', text: content }];
  const leftParts = parts(left);
  const rightParts = parts(right);
  if (leftParts.length === 0) return rightParts;
  if (rightParts.length === 0) return leftParts;
  return [...leftParts, { type: 'text', text: SEPARATOR }, ...rightParts];
}

const isObject = (value: unknown): value is JsonObject => isRecord<JsonObject>(value);

export type CompletionRoute = 'chat' | 'completions';

export interface PreparedRequest {
  /** The bytes to send upstream: the client's own unless something changed. */
  readonly body: Buffer;
  readonly stream: boolean;
  /** The relay asked for `stream_options.include_usage`; the usage-only chunk is not the client's to see. */
  readonly dropUsageChunk: boolean;
  /** Whether the messages were rewritten (for the log line). */
  readonly normalised: boolean;
}

/**
 * Parses a completion request, normalises chat messages and asks for the usage trailer on streams. Anything
 * that is not a JSON object passes unchanged, as a non-streaming request.
 */
export function prepareRequest(route: CompletionRoute, body: Buffer): PreparedRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return { body, stream: false, dropUsageChunk: false, normalised: false };
  }
  if (!isObject(parsed)) return { body, stream: false, dropUsageChunk: false, normalised: false };
  let changed = false;
  let normalised = false;
  let request: JsonObject = parsed;
  if (route === 'chat' && Array.isArray(request.messages) && request.messages.every(isObject)) {
    const before = request.messages as Message[];
    const after = normaliseMessages(before);
    if (after.length !== before.length || after.some((message, index) => message !== before[index])) {
      request = { ...request, messages: after as Json[] };
      changed = normalised = true;
    }
  }
  const stream = request.stream === true;
  let dropUsageChunk = false;
  if (stream) {
    const options = request.stream_options;
    if (!(isObject(options) && options.include_usage === true)) {
      request = {
        ...request,
        stream_options: { ...(isObject(options) ? options : {}), include_usage: true },
      };
      changed = true;
      dropUsageChunk = true;
    }
  }
  return {
    body: changed ? Buffer.from(JSON.stringify(request), 'utf8') : body,
    stream,
    dropUsageChunk,
    normalised,
  };
}
