// TEST STAND-IN for LocalAI (client side of its SSE). Not the product, never shipped or bundled; a tool under tools/ only.
// Reads a text/event-stream response into events, timestamping each one when it arrives (for timing tests and
// for the contract, which must see exactly what the server sent).

export interface SseEvent {
  /** `data`: a `data:` event (payload joined across its data lines); `comment`: a `:` line (keep-alive). */
  readonly type: 'data' | 'comment';
  readonly text: string;
  /** performance.now() when the event's terminating blank line arrived. */
  readonly at: number;
}

function parseBlock(block: string, at: number): SseEvent[] {
  const data: string[] = [];
  const comments: SseEvent[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':')) comments.push({ type: 'comment', text: line.slice(1).trim(), at });
    else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
  }
  return data.length > 0 ? [...comments, { type: 'data', text: data.join('\n'), at }] : comments;
}

/** Every event of the response body, in order; onEvent sees each as it arrives. Throws if the body breaks. */
export async function readSse(response: Response, onEvent?: (event: SseEvent) => void): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  if (!response.body) return events;
  const decoder = new TextDecoder();
  let buffer = '';
  const emit = (block: string) => {
    for (const event of parseBlock(block, performance.now())) {
      events.push(event);
      onEvent?.(event);
    }
  };
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end = buffer.search(/\r?\n\r?\n/);
    while (end >= 0) {
      const separator = buffer.slice(end).match(/^\r?\n\r?\n/)?.[0] ?? '\n\n';
      emit(buffer.slice(0, end));
      buffer = buffer.slice(end + separator.length);
      end = buffer.search(/\r?\n\r?\n/);
    }
  }
  if (buffer.trim() !== '') emit(buffer);
  return events;
}

/** The JSON payloads of the data events, [DONE] excluded. */
export function jsonEvents(events: readonly SseEvent[]): unknown[] {
  return events.filter((e) => e.type === 'data' && e.text !== '[DONE]').map((e) => JSON.parse(e.text));
}
