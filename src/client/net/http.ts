/**
 * HTTP(S) requests for the client tools, with an explicit trust decision and the arrival time of every chunk
 * (streaming checks and the benchmark read them). Failures are values, not exceptions: a check reports them.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Target } from './url.ts';

/** Whom the client believes about the server's certificate. */
export type Trust =
  /** Only this CA (PEM), e.g. --ca FILE or the CA pinned by --fingerprint. */
  | { readonly kind: 'ca'; readonly pem: string; readonly source: string }
  /** Node's bundled roots plus NODE_EXTRA_CA_CERTS: what VS Code's extension host trusts. */
  | { readonly kind: 'system' }
  /** --insecure: nothing is verified. */
  | { readonly kind: 'insecure' };

export interface HttpRequest {
  readonly path: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** The whole exchange, headers to last byte. */
  readonly timeoutMs?: number;
}

export interface TimedChunk {
  /** Milliseconds since the request was sent. */
  readonly at: number;
  readonly text: string;
}

export type HttpResult =
  | {
      readonly ok: true;
      readonly status: number;
      readonly headers: IncomingHttpHeaders;
      /** Name, value, name, value … as received: a header sent twice appears twice (`headers` joins them). */
      readonly rawHeaders: readonly string[];
      readonly body: string;
      readonly headersAt: number;
      readonly endAt: number;
      readonly chunks: readonly TimedChunk[];
    }
  | { readonly ok: false; readonly error: string; readonly code: string | null; readonly at: number };

export const DEFAULT_TIMEOUT_MS = 30_000;

/** One keep-alive connection pool to one server, with one trust decision. */
export class HttpClient {
  readonly #target: Target;
  readonly #agent: HttpAgent | HttpsAgent;

  constructor(target: Target, trust: Trust) {
    this.#target = target;
    this.#agent = target.secure
      ? new HttpsAgent({
          keepAlive: true,
          maxSockets: 4,
          rejectUnauthorized: trust.kind !== 'insecure',
          ...(trust.kind === 'ca' ? { ca: trust.pem } : {}),
        })
      : new HttpAgent({ keepAlive: true, maxSockets: 4 });
  }

  /** Sends the request; `onChunk` sees each piece of the body as it arrives. */
  request(input: HttpRequest, onChunk?: (chunk: TimedChunk) => void): Promise<HttpResult> {
    const send = this.#target.secure ? httpsRequest : httpRequest;
    const started = performance.now();
    const since = () => performance.now() - started;
    const headers: Record<string, string> = { ...(input.headers ?? {}) };
    if (input.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(input.body));
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: HttpResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const fail = (error: Error) =>
        finish({
          ok: false,
          error: error.message,
          code: (error as NodeJS.ErrnoException).code ?? null,
          at: since(),
        });
      const req = send(
        {
          hostname: this.#target.host,
          port: this.#target.port,
          path: input.path,
          method: input.method ?? 'GET',
          headers,
          agent: this.#agent,
        },
        (res) => {
          const headersAt = since();
          const chunks: TimedChunk[] = [];
          res.setEncoding('utf8');
          res.on('data', (text: string) => {
            const chunk = { at: since(), text };
            chunks.push(chunk);
            onChunk?.(chunk);
          });
          res.on('end', () =>
            finish({
              ok: true,
              status: res.statusCode ?? 0,
              headers: res.headers,
              rawHeaders: res.rawHeaders,
              body: chunks.map((chunk) => chunk.text).join(''),
              headersAt,
              endAt: since(),
              chunks,
            }),
          );
          res.on('error', fail);
          res.on('aborted', () =>
            fail(new Error('the server closed the connection in the middle of the answer')),
          );
        },
      );
      const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const timer = setTimeout(() => {
        const error = Object.assign(
          new Error(`no complete answer within ${Math.round(timeoutMs / 1000)} s`),
          {
            code: 'TIMEOUT',
          },
        );
        req.destroy(error);
        fail(error);
      }, timeoutMs);
      req.on('error', fail);
      req.end(input.body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** A header's value as one string ('' when absent). */
export function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

/** Every value of a header as received (case-insensitive name), in order: two values mean it was sent twice. */
export function headerValues(rawHeaders: readonly string[], name: string): string[] {
  const wanted = name.toLowerCase();
  return rawHeaders.flatMap((value, index) =>
    index % 2 === 0 && value.toLowerCase() === wanted ? [rawHeaders[index + 1] ?? ''] : [],
  );
}
