// TEST STAND-IN for LocalAI (mimics the v4.9.0 HTTP API). Not the product, never shipped or bundled; a tool under tools/ only.
// An HTTP server on loopback that answers like LocalAI v4.9.0 serving one llama-cpp model, for the tests of the
// gateway, the relay and the client tools. Behaviour and sources: CONTRACT.md; assertions: contract.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleChat } from './chat.ts';
import { handleCompletion } from './completions.ts';
import {
  ApiCallMetrics,
  handleAdmin,
  handleHealthz,
  handleMetrics,
  handleModels,
  handleReadyz,
} from './endpoints.ts';
import { authRequired, handlerError, methodNotAllowed, routeNotFound } from './errors.ts';
import { type Exchange, sendJson } from './exchange.ts';
import { adminPathExists, findAdminRoute, isPublicRoute } from './routes.ts';
import { Slots } from './slots.ts';
import { DEFAULT_BEHAVIOUR, type RecordedRequest, type StandinBehaviour } from './types.ts';

export { LOCALAI_ADMIN_ROUTES } from './routes.ts';
export { estimatePromptTokens } from './timing.ts';
export * from './types.ts';

export interface StandinOptions extends Partial<StandinBehaviour> {
  /** 0 (default) = an ephemeral port. */
  readonly port?: number;
  readonly host?: string;
}

export interface LocalaiStandin {
  /** http://127.0.0.1:PORT, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Every request in arrival order (pushed once its body is read). */
  readonly requests: RecordedRequest[];
  readonly server: Server;
  /** The behaviour new requests get. */
  readonly behaviour: StandinBehaviour;
  /** Changes the behaviour for requests that arrive from now on. */
  behave(partial: Partial<StandinBehaviour>): void;
  /** Drops every connection and stops listening. */
  close(): Promise<void>;
}

/** Server timeouts like LocalAI (core/http/app.go: ReadHeaderTimeout 30 s, IdleTimeout 120 s, no read/write
 * timeout). Nothing here ever ends a slow or stalled request by itself. */
const SERVER_TIMEOUTS = { requestTimeout: 0, headersTimeout: 30_000, keepAliveTimeout: 120_000, timeout: 0 };

/** core/http/middleware/security_headers.go: on every response. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; style-src 'self' 'unsafe-inline'; " +
    "img-src 'self' data: blob: https:; media-src 'self' data: blob:; font-src 'self' data:; " +
    "connect-src 'self' ws: wss: https: blob:; frame-src 'self' blob:; worker-src 'self' blob:; " +
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'SAMEORIGIN',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
};

type Handler = (x: Exchange) => void | Promise<void>;

function withDefaults(base: StandinBehaviour, partial: Partial<StandinBehaviour>): StandinBehaviour {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined));
  return { ...base, ...defined };
}

/** core/http/auth/middleware.go extractKey: Bearer, bare Authorization, x-api-key, xi-api-key, cookie token. */
function presentedKey(req: IncomingMessage): string {
  const auth = req.headers.authorization ?? '';
  if (auth.startsWith('Bearer ')) return auth.slice('Bearer '.length);
  if (auth !== '') return auth;
  for (const name of ['x-api-key', 'xi-api-key']) {
    const value = req.headers[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  for (const cookie of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = cookie.trim().split('=');
    if (name === 'token' && value.join('=') !== '') return value.join('=');
  }
  return '';
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of req) chunks.push(chunk as Buffer);
  } catch {
    return null;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): { json: unknown; error: string | null } {
  if (text === '') return { json: undefined, error: 'EOF' };
  try {
    return { json: JSON.parse(text), error: null };
  } catch (err) {
    return { json: undefined, error: (err as Error).message };
  }
}

/** The model server's own CORS headers (behaviour.cors), which the gateway must replace with its own. */
function addCors(x: Exchange): void {
  const origin = x.req.headers.origin;
  if (origin === undefined || x.behaviour.cors === 'none') return;
  if (x.behaviour.cors === 'echo-default') {
    x.res.setHeader('Access-Control-Allow-Origin', '*');
    x.res.setHeader('Vary', 'Origin');
    return;
  }
  x.res.setHeader('Access-Control-Allow-Origin', origin);
  x.res.setHeader('Access-Control-Allow-Credentials', 'true');
  x.res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
  x.res.setHeader('Access-Control-Allow-Headers', '*');
  x.res.setHeader('Access-Control-Expose-Headers', 'X-Standin-Route');
  x.res.setHeader('Access-Control-Max-Age', '600');
}

export async function startLocalaiStandin(options: StandinOptions = {}): Promise<LocalaiStandin> {
  const { port = 0, host = '127.0.0.1', ...initial } = options;
  let behaviour = withDefaults(DEFAULT_BEHAVIOUR, initial);
  let closing = false;
  const requests: RecordedRequest[] = [];
  const metrics = new ApiCallMetrics();
  const slots = new Slots();
  const routes: Readonly<Record<string, Handler>> = {
    'POST /v1/chat/completions': handleChat,
    'POST /chat/completions': handleChat,
    'POST /v1/completions': handleCompletion,
    'POST /completions': handleCompletion,
    'GET /v1/models': handleModels,
    'GET /models': handleModels,
    'GET /healthz': handleHealthz,
    'GET /readyz': handleReadyz,
    'GET /metrics': (x) => handleMetrics(x, metrics),
  };
  const knownPaths = new Set(Object.keys(routes).map((key) => key.split(' ')[1]));

  /** The handler for this request; null when the request was answered already (401, 404, 405). */
  function route(x: Exchange): Handler | null {
    const method = x.req.method ?? 'GET';
    const keys = x.behaviour.apiKeys;
    if (keys.length > 0 && !isPublicRoute(method, x.path) && !keys.includes(presentedKey(x.req))) {
      sendJson(x, authRequired());
      return null;
    }
    addCors(x);
    const handler = routes[`${method} ${x.path}`];
    if (handler) return handler;
    const admin = findAdminRoute(method, x.path);
    if (admin) return (y) => handleAdmin(y, admin);
    sendJson(x, knownPaths.has(x.path) || adminPathExists(x.path) ? methodNotAllowed() : routeNotFound());
    return null;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://standin.invalid');
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search,
      headers: req.headers,
      body: '',
      receivedAt: Date.now(),
      eventsSent: 0,
    };
    const controller = new AbortController();
    let dropped = false;
    res.on('close', () => {
      if (res.writableFinished) return;
      if (!dropped && !closing) record.closedEarlyAt = Date.now();
      controller.abort();
    });
    res.on('finish', () => {
      record.finishedAt = Date.now();
    });
    const text = await readBody(req);
    if (text === null) return;
    const { json, error } = parseBody(text);
    record.body = json === undefined ? text : json;
    requests.push(record);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);

    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') || '/' : url.pathname;
    const exchange: Exchange = {
      req,
      res,
      record,
      behaviour,
      signal: controller.signal,
      path,
      json,
      bodyError: error,
      drop: () => {
        // Like a killed process: what was written still arrives, then the connection closes mid-response.
        dropped = true;
        if (res.socket) res.socket.end();
        else res.destroy();
      },
      acquireSlot: async () => {
        const release = await slots.acquire(exchange.behaviour.slots, controller.signal);
        if (release) record.slotAt = Date.now();
        return release;
      },
    };
    const handler = route(exchange);
    if (!handler) return;
    const started = performance.now();
    try {
      await handler(exchange);
    } catch (err) {
      if (!res.headersSent) sendJson(exchange, handlerError(500, `stand-in bug: ${(err as Error).message}`));
      else res.destroy();
    }
    metrics.observe(record.method, path, (performance.now() - started) / 1000);
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  Object.assign(server, SERVER_TIMEOUTS);
  server.on('connection', (socket) => socket.setNoDelay(true));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    requests,
    server,
    get behaviour() {
      return behaviour;
    },
    behave(partial) {
      behaviour = withDefaults(behaviour, partial);
    },
    async close() {
      closing = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
