/**
 * Loopback servers for the downloader tests: a file server with Range support that can cut a transfer halfway,
 * and a plain forwarding HTTP proxy (absolute-form requests, no CONNECT) that records what went through it.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ArtifactEntry } from '../../src/artifacts/lock/lock.ts';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly range: string | undefined;
}

export interface ServeOptions {
  /** URL path → body. */
  readonly files: Readonly<Record<string, Buffer>>;
  /** URL path → bytes sent before the connection is cut, for that path's first request only. */
  readonly cutFirst?: Readonly<Record<string, number>>;
  /** URL path → bytes sent before the transfer stalls (connection kept open, nothing more sent), first request only. */
  readonly stallFirst?: Readonly<Record<string, number>>;
  /** Answer Range requests with the whole file (200), like a server without range support. */
  readonly ignoreRange?: boolean;
}

export interface Loopback {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function serveFiles(options: ServeOptions): Promise<Loopback> {
  const requests: RecordedRequest[] = [];
  const cutsDone = new Set<string>();
  const stallsDone = new Set<string>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    requests.push({ method: req.method ?? '', path, range: req.headers.range });
    const body = options.files[path];
    if (body === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    const range = options.ignoreRange ? null : /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range !== null) {
      const start = Number(range[1]);
      const end = range[2] === '' ? body.length - 1 : Math.min(Number(range[2]), body.length - 1);
      if (start >= body.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'Content-Range': `bytes ${start}-${end}/${body.length}`,
        'Content-Length': end - start + 1,
      });
      res.end(body.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { 'Content-Length': body.length, 'Accept-Ranges': 'bytes' });
    const cut = options.cutFirst?.[path];
    if (cut !== undefined && !cutsDone.has(path)) {
      cutsDone.add(path);
      res.write(body.subarray(0, cut), () => res.socket?.destroy());
      return;
    }
    const stall = options.stallFirst?.[path];
    if (stall !== undefined && !stallsDone.has(path)) {
      stallsDone.add(path);
      res.write(body.subarray(0, stall)); // and nothing more: the client must notice on its own
      return;
    }
    res.end(body);
  });
  return listen(server, requests);
}

export interface ProxyRequest {
  readonly method: string;
  /** The absolute-form target a proxy client sends ("http://127.0.0.1:port/path"). */
  readonly target: string;
}

/** A forwarding proxy for http:// URLs: what curl talks to when http_proxy names it. */
export async function startProxy(): Promise<Loopback & { readonly proxied: ProxyRequest[] }> {
  const proxied: ProxyRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    proxied.push({ method: req.method ?? '', target: req.url ?? '' });
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute-form request expected\n');
      return;
    }
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        // An upstream that breaks off mid-body breaks the client's connection too, as real proxies do.
        answer.once('close', () => {
          if (!answer.complete) res.destroy();
        });
      },
    );
    upstream.once('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  const loopback = await listen(server, []);
  return { ...loopback, proxied };
}

function listen(server: Server, requests: RecordedRequest[]): Promise<Loopback> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Random-looking but reproducible bytes. */
export function bytes(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

/** A pinned entry for `content` published at `url` (the checksum source is never read by the downloader). */
export function pinnedEntry(
  content: Buffer,
  url: string | null,
  overrides: Partial<Pick<ArtifactEntry, 'name' | 'file' | 'size'>> = {},
): ArtifactEntry {
  const file = overrides.file ?? 'artifact.bin';
  return {
    name: overrides.name ?? 'test-artifact',
    version: '1.0.0',
    file,
    url,
    sha256: sha256(content),
    size: overrides.size === undefined ? content.length : overrides.size,
    pinned: true,
    source: { kind: 'sha256sums-file', url: 'https://publisher.invalid/SHA256SUMS', file },
  };
}

/** An environment for curl without any proxy variable from the machine running the tests. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/_proxy$/i.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}
