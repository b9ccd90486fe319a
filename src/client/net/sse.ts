/** Server-sent events out of timed body chunks: each event with the time its last byte arrived. Pure. */
import type { TimedChunk } from './http.ts';

export interface SseEvent {
  /** Milliseconds since the request was sent, when the event was complete. */
  readonly at: number;
  /** The event's data lines joined by "\n" ('' for an event without data). */
  readonly data: string;
}

export interface SseParse {
  readonly events: readonly SseEvent[];
  /** Arrival times of comment lines (": keep-alive"): what the relay sends while a prompt is processed. */
  readonly comments: readonly number[];
  /** Bytes after the last complete event (a stream cut short). */
  readonly rest: string;
}

export function parseSse(chunks: readonly TimedChunk[]): SseParse {
  const events: SseEvent[] = [];
  const comments: number[] = [];
  let buffer = '';
  for (const chunk of chunks) {
    buffer += chunk.text;
    for (;;) {
      const match = /\r?\n\r?\n/.exec(buffer);
      if (match === null) break;
      const block = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      const data: string[] = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith(':')) comments.push(chunk.at);
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) events.push({ at: chunk.at, data: data.join('\n') });
    }
  }
  return { events, comments, rest: buffer };
}

/** Groups of arrival times closer than gapMs to the previous one: how many times the network delivered. */
export function bursts(times: readonly number[], gapMs = 3): number {
  let count = 0;
  let previous = Number.NEGATIVE_INFINITY;
  for (const time of times) {
    if (time - previous > gapMs) count += 1;
    previous = time;
  }
  return count;
}
