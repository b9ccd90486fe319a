/** Which headers cross the relay, in each direction. Pure. */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and those the relay recomputes. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
]);

/**
 * Client credentials never reach LocalAI: its only key is the relay's own. The encodings are dropped so the
 * relay reads the plain SSE text it counts usage from.
 */
const CLIENT_ONLY = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'xi-api-key',
  'accept-encoding',
]);

export interface UpstreamHeaderInput {
  readonly client: IncomingHttpHeaders;
  /** Lower-case name of the header nginx sets to the key's name (read, never forwarded). */
  readonly keyNameHeader: string;
  readonly upstreamHost: string;
  readonly upstreamKey: string | null;
  readonly contentLength: number | null;
}

export function upstreamRequestHeaders(input: UpstreamHeaderInput): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(input.client)) {
    if (value === undefined || HOP_BY_HOP.has(name) || CLIENT_ONLY.has(name) || name === input.keyNameHeader)
      continue;
    headers[name] = value;
  }
  headers.host = input.upstreamHost;
  if (input.contentLength !== null) headers['content-length'] = String(input.contentLength);
  if (input.upstreamKey !== null) headers.authorization = `Bearer ${input.upstreamKey}`;
  return headers;
}

/**
 * The upstream's response headers as the client gets them: hop-by-hop ones dropped (Node frames the body
 * itself), `X-Accel-Buffering: no` added to event streams so nginx never holds a token back.
 */
export function clientResponseHeaders(
  upstream: IncomingHttpHeaders,
  keepLength: boolean,
): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || (HOP_BY_HOP.has(name) && !(keepLength && name === 'content-length'))) continue;
    headers[name] = value;
  }
  if (isEventStream(upstream)) headers['x-accel-buffering'] = 'no';
  return headers;
}

export const SSE_HEADERS: OutgoingHttpHeaders = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};

export function isEventStream(headers: IncomingHttpHeaders): boolean {
  return (headers['content-type'] ?? '').toLowerCase().startsWith('text/event-stream');
}

const KEY_NAME = /^[A-Za-z0-9_.:@-]{1,64}$/;

/** The name requests are counted under: what nginx set, "anonymous" when absent, "invalid" when malformed. */
export function keyNameOf(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text === '') return 'anonymous';
  return KEY_NAME.test(text) ? text : 'invalid';
}
