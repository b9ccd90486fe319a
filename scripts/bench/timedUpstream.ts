// An OpenAI-style SSE upstream for benchmarks: every event carries the moment it was written
// (performance.timeOrigin + performance.now(), the same clock the client in this process reads), so the
// latency of each chunk through a proxy can be measured exactly. Not a LocalAI stand-in: timing only.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TimedUpstream {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export const now = () => performance.timeOrigin + performance.now();

/** POST any path with JSON {"events": N, "intervalMs": I}: N events, I ms apart (0 = as fast as possible). */
export async function startTimedUpstream(): Promise<TimedUpstream> {
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ready"}');
        return;
      }
      const { events = 10, intervalMs = 0 } = JSON.parse(body || '{}') as {
        events?: number;
        intervalMs?: number;
      };
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      let sent = 0;
      const send = () => {
        if (sent === events) {
          res.end('data: [DONE]\n\n');
          return;
        }
        sent++;
        res.write(
          `data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"x"}}],"t":${now()}}\n\n`,
        );
        if (intervalMs > 0) setTimeout(send, intervalMs);
        else setImmediate(send);
      };
      send();
    });
  });
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface StreamTiming {
  /** ms from sending the request to the response headers. */
  readonly headersMs: number;
  /** ms between each event's write upstream and its arrival here. */
  readonly latenciesMs: number[];
  readonly events: number;
  readonly totalMs: number;
}

/** Parses the stream's events as they arrive and measures each one against its upstream timestamp. */
export function timeStream(
  send: (onResponse: (res: IncomingMessage) => void) => void,
): Promise<StreamTiming> {
  const started = now();
  return new Promise((resolve, reject) => {
    send((res) => {
      const headersMs = now() - started;
      const latenciesMs: number[] = [];
      let buffer = '';
      res.on('data', (chunk: Buffer) => {
        const arrived = now();
        buffer += chunk.toString();
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const stamp = /"t":([0-9.]+)\}$/.exec(event);
          if (stamp) latenciesMs.push(arrived - Number(stamp[1]));
          end = buffer.indexOf('\n\n');
        }
      });
      res.on('end', () =>
        resolve({ headersMs, latenciesMs, events: latenciesMs.length, totalMs: now() - started }),
      );
      res.on('error', reject);
    });
  });
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
