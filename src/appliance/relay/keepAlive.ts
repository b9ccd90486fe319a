/**
 * Early headers for streams: when nothing came from LocalAI within the grace period, the client gets 200 with
 * SSE headers, then an SSE comment line every interval until LocalAI's first byte. Comments are ignored by every
 * SSE parser (the OpenAI SDK, the Vercel AI SDK, eventsource-parser), but they reset every idle timer between
 * the client and the relay: Node fetch's 300 s headers and body timeouts, nginx's proxy_read_timeout.
 */
import type { ServerResponse } from 'node:http';
import { SSE_HEADERS } from './headers.ts';

export const KEEP_ALIVE_COMMENT = Buffer.from(': keep-alive\n\n');

export class KeepAlive {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Comment lines sent (for the log line). */
  sent = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly graceMs: number,
    private readonly intervalMs: number,
    /** Whether the client's stream may take a comment now: true unless a non-SSE response already started. */
    private readonly canComment: () => boolean,
    /** The relay itself sent 200 with SSE headers: the client's response is now an event stream. */
    private readonly onOwnHeaders: () => void,
  ) {}

  /** Starts the grace period (from the request's arrival). */
  start(elapsedMs: number): void {
    this.timer = setTimeout(() => this.onGrace(), Math.max(0, this.graceMs - elapsedMs));
  }

  /** LocalAI's first byte arrived, or the exchange ended: no more comments. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private onGrace(): void {
    if (this.stopped) return;
    if (!this.res.headersSent) {
      this.res.writeHead(200, SSE_HEADERS);
      this.onOwnHeaders();
    }
    this.tick();
  }

  private tick(): void {
    this.timer = null;
    if (this.stopped || this.res.destroyed || !this.canComment()) return;
    this.res.write(KEEP_ALIVE_COMMENT);
    this.sent += 1;
    this.timer = setTimeout(() => this.tick(), this.intervalMs);
  }
}
