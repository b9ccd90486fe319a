/**
 * The front's router (the relay's place on a OneFlow front): nginx keeps TLS, keys and CORS and proxies here; the
 * router sends each completion to the worker that holds the key's prompt cache (src/core/routing/stickyTable.ts),
 * counting every worker's waiting requests itself, over HTTPS pinned to the worker's CA, with the service secret and
 * the key's name. The worker's relay sends the early headers and keep-alives; the router passes its bytes through
 * unchanged. A worker that fails before answering, or answers 503 (stopping, model not ready), loses the key and the
 * request goes to the next worker; after the headers, a broken stream ends the client's response and the key moves.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type Agent, request } from 'node:https';
import { SERVICE_SECRET_HEADER } from '../../core/facts/headers.ts';
import type { RouterHealth } from '../../core/facts/oneflow.ts';
import { StickyTable } from '../../core/routing/stickyTable.ts';
import { readBody } from '../relay/body.ts';
import { jsonError, RELAY_ERRORS, UNAVAILABLE_RETRY_AFTER } from '../relay/errors.ts';
import { clientResponseHeaders, keyNameOf, upstreamRequestHeaders } from '../relay/headers.ts';
import { listenOn } from '../relay/listen.ts';
import { routeOf } from '../relay/routes.ts';
import { send } from '../relay/server.ts';

export interface RouterWorker {
  /** Stable identity (the VM ID). */
  readonly id: string;
  /** https://<address>[:port] */
  readonly baseUrl: string;
  readonly agent: Agent;
}

export interface RouterOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly secret: string;
  readonly keyNameHeader: string;
  readonly spillQueue: number;
  readonly bodyLimitBytes: number;
  readonly log: (line: string) => void;
}

/** One routed completion, for logs and tests: where it went and why. */
export interface RoutedEvent {
  readonly key: string;
  readonly worker: string;
  readonly spilled: boolean;
  /** Workers that failed this request before answering. */
  readonly failed: readonly string[];
}

export interface RunningRouter {
  readonly port: number;
  readonly table: StickyTable;
  /** The serving workers now; a worker no longer listed loses its keys. */
  setWorkers(workers: readonly RouterWorker[]): void;
  /** Requests each worker has in flight (sent, not finished), as the router counts them. */
  inFlight(worker: string): number;
  onRouted(listener: (event: RoutedEvent) => void): void;
  close(): Promise<void>;
}

export async function startRouter(options: RouterOptions): Promise<RunningRouter> {
  const table = new StickyTable(options.spillQueue);
  const workers = new Map<string, RouterWorker>();
  const inFlight = new Map<string, number>();
  /** Requests on each agent; an agent replaced or removed is destroyed only when its last request ends, so a
   * leaving worker (scale-in: no longer RUNNING) finishes the streams it is draining. */
  const agentUse = new Map<Agent, number>();
  const retired = new Set<Agent>();
  const retireWhenIdle = (agent: Agent) => {
    if ((agentUse.get(agent) ?? 0) > 0) retired.add(agent);
    else agent.destroy();
  };
  const listeners: ((event: RoutedEvent) => void)[] = [];
  const count = (id: string) => inFlight.get(id) ?? 0;
  const waiting = (id: string) => Math.max(0, count(id) - 1);
  const keyHeader = options.keyNameHeader.toLowerCase();

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    key: string,
    body: Buffer | null,
    failed: string[],
  ): void => {
    const placement = table.place(key, waiting, failed);
    const worker = placement === null ? undefined : workers.get(placement.worker);
    if (placement === null || worker === undefined) {
      send(res, 503, jsonError(RELAY_ERRORS.noWorker()), UNAVAILABLE_RETRY_AFTER);
      return;
    }
    inFlight.set(worker.id, count(worker.id) + 1);
    const agent = worker.agent;
    agentUse.set(agent, (agentUse.get(agent) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      inFlight.set(worker.id, count(worker.id) - 1);
      const use = (agentUse.get(agent) ?? 1) - 1;
      if (use > 0) agentUse.set(agent, use);
      else {
        agentUse.delete(agent);
        if (retired.delete(agent)) agent.destroy();
      }
    };
    const retry = (reason: string) => {
      release();
      table.moveKey(key, worker.id);
      options.log(`router: worker ${worker.id} failed before answering (${reason}); key ${key} moves`);
      forward(req, res, key, body, [...failed, worker.id]);
    };
    const headers = {
      ...upstreamRequestHeaders({
        client: req.headers,
        keyNameHeader: keyHeader,
        upstreamHost: new URL(worker.baseUrl).host,
        upstreamKey: null,
        contentLength: body === null ? null : body.length,
      }),
      [keyHeader]: key,
      [SERVICE_SECRET_HEADER.toLowerCase()]: options.secret,
    };
    const upstream = request(`${worker.baseUrl}${req.url ?? '/'}`, {
      method: req.method,
      headers,
      agent: worker.agent,
    });
    let answered = false;
    upstream.on('response', (response) => {
      if (response.statusCode === 503) {
        response.resume();
        retry('503');
        return;
      }
      answered = true;
      for (const listener of listeners)
        listener({ key, worker: worker.id, spilled: placement.spilled, failed });
      res.writeHead(response.statusCode ?? 502, clientResponseHeaders(response.headers, true));
      response.pipe(res);
      response.on('error', () => {});
      response.on('close', () => {
        release();
        if (!response.complete) {
          table.moveKey(key, worker.id);
          options.log(`router: worker ${worker.id} broke a response; key ${key} moves`);
          res.destroy();
        }
      });
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (answered || res.destroyed) return release();
      retry(error.code ?? error.message);
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
      if (!answered) release();
    });
    upstream.end(body ?? undefined);
  };

  const server = createServer({ requestTimeout: 0 }, (req, res) => {
    const route = routeOf(req.method ?? 'GET', req.url ?? '/');
    const key = keyNameOf(req.headers[keyHeader]);
    switch (route.kind) {
      case 'health':
        send(
          res,
          workers.size > 0 ? 200 : 503,
          JSON.stringify({
            status: workers.size > 0 ? 'ready' : 'down',
            workers: workers.size,
          } satisfies RouterHealth),
          { 'cache-control': 'no-store' },
        );
        return;
      case 'models':
        forward(req, res, key, null, []);
        return;
      case 'completion':
        void readBody(req, options.bodyLimitBytes).then((read) => {
          if (read.kind === 'aborted') return;
          if (read.kind === 'too-large') {
            send(res, 413, jsonError(RELAY_ERRORS.tooLarge(options.bodyLimitBytes)), { connection: 'close' });
            return;
          }
          forward(req, res, key, read.body, []);
        });
        return;
      case 'method-not-allowed':
        send(res, 405, jsonError({ ...RELAY_ERRORS.notFound(), message: `Use ${route.allow}.` }), {
          allow: route.allow,
        });
        return;
      case 'metrics':
      case 'not-found':
        send(res, 404, jsonError(RELAY_ERRORS.notFound()));
        return;
    }
  });
  server.timeout = 0;
  const port = await listenOn(server, options.host, options.port);
  options.log(`router: listening on ${options.host}:${port}, spill at ${options.spillQueue} waiting`);
  return {
    port,
    table,
    setWorkers: (list) => {
      const next = new Map(list.map((worker) => [worker.id, worker]));
      for (const [id, worker] of workers)
        if (next.get(id)?.agent !== worker.agent) retireWhenIdle(worker.agent);
      workers.clear();
      for (const [id, worker] of next) workers.set(id, worker);
      const { added, removed } = table.setWorkers([...next.keys()]);
      if (added.length + removed.length > 0)
        options.log(
          `router: workers ${[...next.keys()].join(', ') || 'none'} (+${added.length} −${removed.length})`,
        );
    },
    inFlight: count,
    onRouted: (listener) => listeners.push(listener),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      for (const worker of workers.values()) worker.agent.destroy();
    },
  };
}
