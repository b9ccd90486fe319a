/**
 * Reads token usage out of a passing SSE stream, and removes the usage-only chunk the relay asked for on a
 * client's behalf. Built for the hot path: a chunk without the text `"usage"` is only searched (natively) for
 * event boundaries; JSON is parsed only for the events that mention usage. Pure.
 */

export interface Usage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

// Inside JSON strings quotes are escaped, so these (unescaped) only ever match object keys.
const USAGE = Buffer.from('"usage"');
const ERROR = Buffer.from('{"error"');
const LF2 = Buffer.from('\n\n');
const CRLF2 = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

/** End (exclusive) of the last complete event in buf, 0 when there is none. */
function lastBoundary(buf: Buffer): number {
  const n = buf.length;
  // The usual case, one or more whole events: no search.
  if (
    n >= 2 &&
    buf[n - 1] === 0x0a &&
    (buf[n - 2] === 0x0a || (n >= 4 && buf[n - 2] === 0x0d && buf[n - 3] === 0x0a && buf[n - 4] === 0x0d))
  )
    return n;
  const lf = buf.lastIndexOf(LF2);
  const crlf = buf.lastIndexOf(CRLF2);
  return Math.max(lf === -1 ? 0 : lf + 2, crlf === -1 ? 0 : crlf + 4);
}

/** Start of the event that holds position at (just after the previous boundary), within [from, at]. */
function eventStart(buf: Buffer, at: number, from: number): number {
  const lf = buf.lastIndexOf(LF2, at);
  const crlf = buf.lastIndexOf(CRLF2, at);
  return Math.max(from, lf === -1 ? 0 : lf + 2, crlf === -1 ? 0 : crlf + 4);
}

/** End (exclusive, boundary included) of the event that holds position at; buf.length when unterminated. */
function eventEnd(buf: Buffer, at: number, to: number): number {
  const lf = buf.indexOf(LF2, at);
  const crlf = buf.indexOf(CRLF2, at);
  const ends = [lf === -1 ? to : lf + 2, crlf === -1 ? to : crlf + 4];
  return Math.min(to, ...ends);
}

export interface EventFacts {
  readonly usage: Usage | null;
  /** A chunk with `choices: []` and usage: the include_usage trailer. */
  readonly usageOnly: boolean;
}

/** Parses one SSE event's data lines (text of one event). */
export function eventFacts(event: string): EventFacts {
  const data = event
    .split(/\r?\n/)
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
    .join('\n');
  try {
    const chunk: unknown = JSON.parse(data);
    if (typeof chunk !== 'object' || chunk === null) return { usage: null, usageOnly: false };
    const { usage, choices } = chunk as { usage?: unknown; choices?: unknown };
    const parsed = usageOf(usage);
    return { usage: parsed, usageOnly: parsed !== null && Array.isArray(choices) && choices.length === 0 };
  } catch {
    return { usage: null, usageOnly: false };
  }
}

export function usageOf(value: unknown): Usage | null {
  if (typeof value !== 'object' || value === null) return null;
  const { prompt_tokens: prompt, completion_tokens: completion } = value as Record<string, unknown>;
  if (typeof prompt !== 'number' && typeof completion !== 'number') return null;
  return {
    promptTokens: typeof prompt === 'number' ? prompt : 0,
    completionTokens: typeof completion === 'number' ? completion : 0,
  };
}

/**
 * Feed it the upstream's chunks in order; it returns what to write to the client. In pass-through mode
 * (dropUsageChunk false) that is always the chunk itself, untouched. Usage seen last wins (old LocalAI
 * versions repeat zeros in every chunk and put the totals in the last one).
 */
export class SseUsageFilter {
  usage: Usage | null = null;
  /** An `{"error": …}` event passed (LocalAI reports a failure mid-stream this way). */
  sawError = false;
  /** Bytes of an event whose end has not arrived yet. */
  private carry: Buffer = EMPTY;

  constructor(private readonly dropUsageChunk: boolean) {}

  /** Whether everything written so far ended on an event boundary (so the relay may add an event). */
  get atBoundary(): boolean {
    return this.carry.length === 0;
  }

  push(chunk: Buffer): Buffer {
    if (!this.sawError && chunk.indexOf(ERROR) !== -1) this.sawError = true;
    if (this.carry.length === 0 && !this.dropUsageChunk) {
      // The common case: scan in place, no copy.
      const end = lastBoundary(chunk);
      if (end !== chunk.length) this.carry = chunk.subarray(end);
      if (end > 0 && chunk.indexOf(USAGE) !== -1) this.scan(chunk, 0, end, null);
      return chunk;
    }
    const buf = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    const end = lastBoundary(buf);
    this.carry = end === buf.length ? EMPTY : Buffer.from(buf.subarray(end));
    if (!this.dropUsageChunk) {
      if (end > 0 && buf.indexOf(USAGE) !== -1) this.scan(buf, 0, end, null);
      return chunk;
    }
    const complete = buf.subarray(0, end);
    if (end === 0 || complete.indexOf(USAGE) === -1) return complete;
    const kept: Buffer[] = [];
    this.scan(complete, 0, end, kept);
    return kept.length === 1 ? (kept[0] as Buffer) : Buffer.concat(kept);
  }

  /** The rest at the end of the stream (an unterminated last event), after usage is read from it. */
  flush(): Buffer {
    const rest = this.carry;
    this.carry = EMPTY;
    if (rest.length === 0) return rest;
    if (rest.indexOf(USAGE) === -1) return this.dropUsageChunk ? rest : EMPTY;
    const facts = eventFacts(rest.toString('utf8'));
    if (facts.usage !== null) this.usage = facts.usage;
    if (!this.dropUsageChunk) return EMPTY;
    return facts.usageOnly ? EMPTY : rest;
  }

  /**
   * Before the relay appends an event of its own to a stream that ended abnormally: what to write so the
   * client's stream is at an event boundary (a partial event already passed through is terminated; one held
   * back is discarded).
   */
  abandon(): Buffer {
    const pending = this.carry.length > 0;
    this.carry = EMPTY;
    return pending && !this.dropUsageChunk ? LF2 : EMPTY;
  }

  /**
   * Reads usage from every event in buf[from, to) that mentions it; with `kept`, collects the bytes to write
   * (all but the usage-only events).
   */
  private scan(buf: Buffer, from: number, to: number, kept: Buffer[] | null): void {
    let written = from;
    let at = buf.indexOf(USAGE, from);
    while (at !== -1 && at < to) {
      const start = eventStart(buf, at, from);
      const end = eventEnd(buf, at, to);
      const facts = eventFacts(buf.toString('utf8', start, end));
      if (facts.usage !== null) this.usage = facts.usage;
      if (kept !== null && facts.usageOnly) {
        if (start > written) kept.push(buf.subarray(written, start));
        written = end;
      }
      at = buf.indexOf(USAGE, end);
    }
    if (kept !== null && written < to) kept.push(buf.subarray(written, to));
  }
}
