/**
 * The relay service: nginx → relay (127.0.0.1:8081) → LocalAI (127.0.0.1:8080). Completions are queued and
 * kept alive; /v1/models, /health and /metrics are answered at once.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ReadinessState } from '../../core/facts/relay.ts';
import { readBody } from './body.ts';
import { CompletionExchange, type ExchangeContext } from './completion.ts';
import { type RelayConfig, type RelayOptions, resolveRelayConfig } from './config.ts';
import { jsonError, RELAY_ERRORS, UNAVAILABLE_RETRY_AFTER } from './errors.ts';
import { clientResponseHeaders, keyNameOf, upstreamRequestHeaders } from './headers.ts';
import { listenOn } from './listen.ts';
import { RelayMetrics } from './metrics.ts';
import { type CompletionRoute, prepareRequest } from './normalise.ts';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus.ts';
import { CompletionQueue } from './queue.ts';
import { healthResponse } from './readiness.ts';
import { probeReadyz, ReadinessMonitor } from './readinessMonitor.ts';
import { routeOf } from './routes.ts';
import { isRefused, ownChatCompletion, UpstreamClient } from './upstream.ts';
import { createPrefixWarmer, type PrefixWarmer, warmupLimitMetric } from './warmup.ts';

export interface RunningRelay {
  readonly port: number;
  readonly config: RelayConfig;
  /** The model server's state as /health reports it. */
  state(): ReadinessState;
  /** The /metrics text. */
  metrics(): string;
  /** Completions waiting and in flight now (a OneFlow worker publishes them: workerPublisher.ts). */
  queue(): { readonly waiting: number; readonly active: number };
  /** Prompt-prefix learning and re-warming; null when off. */
  readonly warmer: PrefixWarmer | null;
  /**
   * A stopping OneFlow worker: from now on new completions get 503 with Retry-After (the front retries another
   * worker), while those already accepted run to their end; resolves when none is left.
   */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
  const config = resolveRelayConfig(options);
  const upstream = new UpstreamClient(config.upstreamUrl);
  const queue = new CompletionQueue(config.queueLimit);
  const metrics = new RelayMetrics();
  const open = new Set<CompletionExchange>();
  const warmer =
    config.warmup === null
      ? null
      : createPrefixWarmer({
          options: config.warmup,
          queue,
          upstream,
          upstreamKey: config.upstreamKey,
          log: config.log,
          now: config.now,
        });
  /** The learned prefix of each open chat completion, for its token count when it ends. */
  const prefixOf = new Map<CompletionExchange, string>();
  /** Set by drain(): called when the last accepted completion ends. */
  let drained: (() => void) | null = null;
  const monitor =
    config.readiness === false
      ? null
      : new ReadinessMonitor({
          options: config.readiness,
          probe: () =>
            probeReadyz(config.upstreamUrl, (config.readiness as { probeTimeoutMs: number }).probeTimeoutMs),
          // The one-token warm-up runs once per engine start; its success starts the prefix re-warm pass.
          warmUp: () => {
            warmer?.engineStarting();
            return warmUp(config, upstream, queue).then((ok) => {
              if (ok) warmer?.engineReady();
              return ok;
            });
          },
          log: config.log,
        });
  const state = (): ReadinessState => monitor?.state ?? 'ready';
  const context: ExchangeContext = {
    config,
    upstream,
    queue,
    metrics,
    onUnreachable: () => monitor?.report({ type: 'unreachable' }),
    onDone: (exchange) => {
      open.delete(exchange);
      if (open.size === 0) drained?.();
      const hash = prefixOf.get(exchange);
      prefixOf.delete(exchange);
      if (warmer === null) return;
      warmer.activity();
      const tokens = exchange.promptTokens;
      if (hash !== undefined && tokens !== null) warmer.tokensSeen(hash, tokens);
    },
  };
  const renderMetrics = () =>
    metrics.render({ waiting: queue.waiting, active: queue.active, state: state() }) +
    (warmer?.render() ?? warmupLimitMetric(0));

  const server = createServer(
    { requestTimeout: 0, headersTimeout: config.serverKeepAliveMs + 5_000 },
    (req, res) => {
      const route = routeOf(req.method ?? 'GET', req.url ?? '/');
      switch (route.kind) {
        case 'health': {
          const health = healthResponse(state());
          send(res, health.status, health.body, { 'cache-control': 'no-store' });
          return;
        }
        case 'metrics':
          send(res, 200, renderMetrics(), {
            'content-type': PROMETHEUS_CONTENT_TYPE,
            'cache-control': 'no-store',
          });
          return;
        case 'models':
          proxyPlain(config, upstream, req, res, () => monitor?.report({ type: 'unreachable' }));
          return;
        case 'completion':
          void acceptCompletion(
            context,
            open,
            () => drained !== null,
            req,
            res,
            route.route,
            (exchange, body, key) => {
              if (warmer === null) return;
              const hash = route.route === 'chat' ? warmer.observe(body, key) : null;
              if (hash !== null) prefixOf.set(exchange, hash);
              // A real request goes first: a running warm-up gives the model up before it queues.
              warmer.preempt();
            },
          );
          return;
        case 'method-not-allowed':
          send(
            res,
            405,
            jsonError({
              ...RELAY_ERRORS.notFound(),
              message: `Use ${route.allow}.`,
              code: 'method_not_allowed',
            }),
            {
              allow: route.allow,
            },
          );
          return;
        case 'not-found':
          send(res, 404, jsonError(RELAY_ERRORS.notFound()));
          return;
      }
    },
  );
  // Longer than nginx's upstream keepalive_timeout, so nginx closes idle connections first.
  server.keepAliveTimeout = config.serverKeepAliveMs;
  server.timeout = 0;

  const port = await listenOn(server, config.host, config.port);
  config.log(
    `relay: listening on ${config.host}:${port}, upstream ${config.upstreamUrl}, grace ${config.graceMs / 1000} s, keep-alive every ${config.keepAliveIntervalMs / 1000} s, timeout ${config.timeoutMs / 1000} s, queue limit ${config.queueLimit}`,
  );
  monitor?.start();

  return {
    port,
    config,
    state,
    metrics: renderMetrics,
    queue: () => ({ waiting: queue.waiting, active: queue.active }),
    warmer,
    drain: () => {
      const done = new Promise<void>((resolve) => {
        drained = resolve;
      });
      config.log(`relay: stopping: new completions get 503, ${open.size} accepted finish first`);
      if (open.size === 0) drained?.();
      return done;
    },
    close: async () => {
      monitor?.stop();
      warmer?.close();
      for (const exchange of open) exchange.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      upstream.close();
    },
  };
}

async function acceptCompletion(
  context: ExchangeContext,
  open: Set<CompletionExchange>,
  stopping: () => boolean,
  req: IncomingMessage,
  res: ServerResponse,
  route: CompletionRoute,
  beforeStart: (exchange: CompletionExchange, forwarded: Buffer, key: string) => void,
): Promise<void> {
  const { config } = context;
  const arrival = config.now();
  const key = keyNameOf(req.headers[config.keyNameHeader.toLowerCase()]);
  const read = await readBody(req, config.bodyLimitBytes);
  if (read.kind === 'aborted') return;
  if (read.kind === 'too-large') {
    send(res, 413, jsonError(RELAY_ERRORS.tooLarge(config.bodyLimitBytes)), { connection: 'close' });
    return;
  }
  if (stopping()) {
    send(res, 503, jsonError(RELAY_ERRORS.stopping()), {
      'retry-after': String(config.retryAfterSeconds),
      connection: 'close',
    });
    return;
  }
  const prepared = prepareRequest(route, read.body);
  const exchange = new CompletionExchange(context, req, res, route, prepared, key, arrival);
  open.add(exchange);
  beforeStart(exchange, prepared.body, key);
  exchange.start();
}

/** Unqueued pass-through (GET /v1/models). */
function proxyPlain(
  config: RelayConfig,
  upstream: UpstreamClient,
  req: IncomingMessage,
  res: ServerResponse,
  onUnreachable: () => void,
): void {
  const headers = upstreamRequestHeaders({
    client: req.headers,
    keyNameHeader: config.keyNameHeader.toLowerCase(),
    upstreamHost: upstream.hostHeader,
    upstreamKey: config.upstreamKey,
    contentLength: null,
  });
  const call = upstream.send(
    { method: req.method ?? 'GET', path: req.url ?? '/', headers, body: null },
    {
      onResponse: (response) => {
        response.on('error', () => {});
        res.writeHead(response.statusCode ?? 502, clientResponseHeaders(response.headers, true));
        response.pipe(res);
        response.on('close', () => {
          if (!response.complete) res.destroy();
        });
      },
      onError: (error) => {
        if (isRefused(error)) onUnreachable();
        send(res, 503, jsonError(RELAY_ERRORS.unreachable()), UNAVAILABLE_RETRY_AFTER);
      },
    },
  );
  res.on('close', () => {
    if (!res.writableFinished) call.abort();
  });
}

/** The one-token warm-up: a real completion, through the queue (first in line), so it never overlaps another. */
function warmUp(config: RelayConfig, upstream: UpstreamClient, queue: CompletionQueue): Promise<boolean> {
  const readiness = config.readiness;
  if (readiness === false) return Promise.resolve(true);
  const body = Buffer.from(
    JSON.stringify({
      model: readiness.warmupModel,
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 1,
      stream: false,
    }),
  );
  return new Promise((resolve) => {
    let settle = (ok: boolean) => {
      settle = () => {};
      clearTimeout(timer);
      ticket?.release();
      resolve(ok);
    };
    let call: { abort(): void } | null = null;
    const timer = setTimeout(() => {
      call?.abort();
      settle(false);
    }, config.timeoutMs);
    const ticket = queue.enqueue(() => {
      call = upstream.send(ownChatCompletion(upstream, config.upstreamKey, body), {
        onResponse: (response) => {
          response.resume();
          const ok = (response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300;
          response.on('end', () => settle(ok));
          response.on('close', () => settle(ok && response.complete));
        },
        onError: () => settle(false),
      });
    }, true);
  });
}

export function send(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}
