/** A small HTTPS client for gateway tests: status, headers, body, and when each chunk arrived. */
import { request as httpsRequest } from 'node:https';

export interface Response {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** Name, value, name, value … as received: a header sent twice appears twice here. */
  readonly rawHeaders: readonly string[];
  readonly body: string;
  /** Milliseconds since the request was sent, for each chunk of the body. */
  readonly chunkTimes: readonly number[];
  readonly chunks: readonly string[];
  readonly headersAt: number;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Trusted CA (PEM); without it the certificate is not verified (only for fetching /ca.pem itself). */
  readonly ca?: string;
  readonly timeoutMs?: number;
}

export function request(url: string, options: RequestOptions = {}): Promise<Response> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        ...(options.ca === undefined ? { rejectUnauthorized: false } : { ca: options.ca }),
        agent: false,
      },
      (res) => {
        const headersAt = performance.now() - started;
        const chunks: string[] = [];
        const chunkTimes: number[] = [];
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          chunks.push(chunk);
          chunkTimes.push(performance.now() - started);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: chunks.join(''),
            chunks,
            chunkTimes,
            headersAt,
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
export const basic = (user: string, password: string) => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
