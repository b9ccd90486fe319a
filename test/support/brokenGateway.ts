/**
 * Deliberately broken gateways for the check tests: a small HTTPS proxy in front of a working sandbox that does
 * what a misconfigured proxy would — buffer the stream, forget auth, pass LocalAI's other routes, drop CORS, or
 * pass the model server's own Access-Control-Allow-Origin beside its own (on real requests, not preflights) —
 * or presents a certificate for another name. Test code only.
 */

import {
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { Agent, createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';

export type Tamper = 'none' | 'buffer' | 'no-auth' | 'expose-admin' | 'no-cors' | 'duplicate-cors';

export interface BrokenGatewayOptions {
  readonly tamper: Tamper;
  /** The working gateway (https://127.0.0.1:PORT) and the CA it is signed by. */
  readonly upstream: string;
  readonly upstreamCa: string;
  /** What this proxy presents. */
  readonly certPem: string;
  readonly keyPem: string;
  /** no-auth: the key it adds to requests that come without a valid one. */
  readonly apiKey?: string;
  /** expose-admin: LocalAI (the stand-in) reached directly for every path outside the allow-list. */
  readonly localai?: string;
}

export interface BrokenGateway {
  readonly url: string;
  close(): Promise<void>;
}

const ALLOWED = new Set([
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/models',
  '/metrics',
  '/health',
  '/ca.pem',
]);

export async function startBrokenGateway(options: BrokenGatewayOptions): Promise<BrokenGateway> {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAlive: true, ca: options.upstreamCa });
  const server = createHttpsServer({ cert: options.certPem, key: options.keyPem }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const headers: OutgoingHttpHeaders = { ...req.headers };
    delete headers.host;
    if (options.tamper === 'expose-admin' && !ALLOWED.has(path) && options.localai !== undefined) {
      const localai = new URL(options.localai);
      const forward = httpRequest(
        { hostname: localai.hostname, port: localai.port, path: req.url, method: req.method, headers },
        (answer) => relay(answer, res, options.tamper),
      );
      forward.on('error', () => res.destroy());
      req.pipe(forward);
      return;
    }
    if (options.tamper === 'no-auth' && req.method !== 'OPTIONS' && options.apiKey !== undefined) {
      if (headers.authorization !== `Bearer ${options.apiKey}`)
        headers.authorization = `Bearer ${options.apiKey}`;
    }
    const forward = httpsRequest(
      { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers, agent },
      (answer) => relay(answer, res, options.tamper),
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function relay(answer: IncomingMessage, res: ServerResponse, tamper: Tamper): void {
  const headers: OutgoingHttpHeaders = { ...answer.headers };
  delete headers.connection;
  delete headers['keep-alive'];
  if (tamper === 'no-cors') {
    for (const name of Object.keys(headers)) if (name.startsWith('access-control-')) delete headers[name];
  }
  const allowOrigin = headers['access-control-allow-origin'];
  if (tamper === 'duplicate-cors' && answer.statusCode !== 204 && typeof allowOrigin === 'string') {
    // Node sends an array as the same header twice.
    (headers as Record<string, string[]>)['access-control-allow-origin'] = [
      'https://example.com',
      allowOrigin,
    ];
  }
  if (tamper !== 'buffer') {
    res.writeHead(answer.statusCode ?? 502, headers);
    answer.pipe(res);
    return;
  }
  // A buffering proxy: nothing leaves before the upstream answer is complete.
  const chunks: Buffer[] = [];
  answer.on('data', (chunk: Buffer) => chunks.push(chunk));
  answer.on('end', () => {
    const body = Buffer.concat(chunks);
    delete headers['transfer-encoding'];
    headers['content-length'] = String(body.length);
    res.writeHead(answer.statusCode ?? 502, headers);
    res.end(body);
  });
}
