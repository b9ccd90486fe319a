import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RELAY_ERRORS, sseErrorEvent, upstreamErrorObject } from '../../../src/appliance/relay/errors.ts';
import {
  clientResponseHeaders,
  keyNameOf,
  upstreamRequestHeaders,
} from '../../../src/appliance/relay/headers.ts';
import { CompletionQueue } from '../../../src/appliance/relay/queue.ts';
import {
  healthResponse,
  nextReadiness,
  type ReadinessEvent,
} from '../../../src/appliance/relay/readiness.ts';
import { routeOf } from '../../../src/appliance/relay/routes.ts';
import type { ReadinessState } from '../../../src/core/facts/relay.ts';

describe('readiness transitions', () => {
  const table: [ReadinessState, ReadinessEvent, ReadinessState, boolean][] = [
    ['down', { type: 'unreachable' }, 'down', false],
    ['down', { type: 'reachable', ready: false }, 'loading', false],
    ['down', { type: 'reachable', ready: true }, 'loading', true],
    ['loading', { type: 'reachable', ready: true }, 'loading', true],
    ['loading', { type: 'reachable', ready: false }, 'loading', false],
    ['loading', { type: 'warmup-succeeded' }, 'ready', false],
    ['loading', { type: 'warmup-failed' }, 'loading', false],
    ['loading', { type: 'unreachable' }, 'down', false],
    ['ready', { type: 'reachable', ready: true }, 'ready', false],
    ['ready', { type: 'reachable', ready: false }, 'loading', false],
    ['ready', { type: 'unreachable' }, 'down', false],
    ['down', { type: 'warmup-succeeded' }, 'down', false],
  ];
  for (const [from, event, to, warmUp] of table) {
    it(`${from} + ${JSON.stringify(event)} → ${to}${warmUp ? ' (warm up)' : ''}`, () => {
      assert.deepEqual(nextReadiness(from, event), { state: to, warmUp });
    });
  }
  it('/health is 200 only when ready', () => {
    assert.deepEqual(healthResponse('ready'), { status: 200, body: '{"status":"ready"}' });
    assert.deepEqual(healthResponse('loading'), { status: 503, body: '{"status":"loading"}' });
    assert.deepEqual(healthResponse('down'), { status: 503, body: '{"status":"down"}' });
  });
});

describe('CompletionQueue', () => {
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  it('serves one at a time, first in first out, up to the limit of waiting requests', async () => {
    const queue = new CompletionQueue(2);
    const started: string[] = [];
    const a = queue.enqueue(() => started.push('a'));
    const b = queue.enqueue(() => started.push('b'));
    const c = queue.enqueue(() => started.push('c'));
    assert.equal(
      queue.enqueue(() => started.push('d')),
      null,
      'the third waiting request is refused',
    );
    await tick();
    assert.deepEqual(started, ['a']);
    assert.equal(queue.active, 1);
    assert.equal(queue.waiting, 2);
    a?.release();
    await tick();
    assert.deepEqual(started, ['a', 'b']);
    b?.release();
    c?.release();
    await tick();
    assert.deepEqual(started, ['a', 'b', 'c'].slice(0, 2), 'c left before it started');
    assert.equal(queue.active, 0);
    assert.equal(queue.waiting, 0);
  });
  it('a request that leaves the queue is never started; release is idempotent', async () => {
    const queue = new CompletionQueue(4);
    const started: string[] = [];
    const a = queue.enqueue(() => started.push('a'));
    const b = queue.enqueue(() => started.push('b'));
    queue.enqueue(() => started.push('c'));
    b?.release();
    b?.release();
    a?.release();
    a?.release();
    await tick();
    assert.deepEqual(started, ['c']);
    assert.equal(queue.active, 1);
  });
  it('a priority entry goes first and ignores the limit; start never runs inside enqueue', async () => {
    const queue = new CompletionQueue(0);
    const started: string[] = [];
    const a = queue.enqueue(() => started.push('a'));
    assert.equal(started.length, 0, 'deferred');
    assert.equal(
      queue.enqueue(() => started.push('b')),
      null,
    );
    queue.enqueue(() => started.push('warm-up'), true);
    await tick();
    a?.release();
    await tick();
    assert.deepEqual(started, ['a', 'warm-up']);
  });
});

describe('headers', () => {
  it('strip client credentials and the key-name header, set the internal key and host', () => {
    const headers = upstreamRequestHeaders({
      client: {
        authorization: 'Bearer sk-client',
        cookie: 'token=x',
        'x-api-key': 'k',
        'x-slm-key-name': 'alice',
        'accept-encoding': 'gzip',
        connection: 'keep-alive',
        host: 'copilot.example.com',
        'content-length': '99',
        'content-type': 'application/json',
        'user-agent': 'Cline/4.1',
        'x-stainless-retry-count': '0',
      },
      keyNameHeader: 'x-slm-key-name',
      upstreamHost: '127.0.0.1:8080',
      upstreamKey: 'internal',
      contentLength: 12,
    });
    assert.deepEqual(headers, {
      'content-type': 'application/json',
      'user-agent': 'Cline/4.1',
      'x-stainless-retry-count': '0',
      host: '127.0.0.1:8080',
      'content-length': '12',
      authorization: 'Bearer internal',
    });
  });
  it('send no Authorization when there is no internal key', () => {
    const headers = upstreamRequestHeaders({
      client: { authorization: 'Bearer sk-client' },
      keyNameHeader: 'x-slm-key-name',
      upstreamHost: 'h',
      upstreamKey: null,
      contentLength: null,
    });
    assert.deepEqual(headers, { host: 'h' });
  });
  it('pass response headers without hop-by-hop ones; event streams get X-Accel-Buffering: no', () => {
    assert.deepEqual(
      clientResponseHeaders(
        {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
          'transfer-encoding': 'chunked',
          'x-correlation-id': 'c1',
        },
        false,
      ),
      {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        'x-correlation-id': 'c1',
        'x-accel-buffering': 'no',
      },
    );
    assert.deepEqual(
      clientResponseHeaders({ 'content-type': 'application/json', 'content-length': '5' }, true),
      {
        'content-type': 'application/json',
        'content-length': '5',
      },
    );
  });
  it('key names: what nginx sent, anonymous when absent, invalid when malformed', () => {
    assert.equal(keyNameOf('alice'), 'alice');
    assert.equal(keyNameOf('user:copilot'), 'user:copilot');
    assert.equal(keyNameOf(undefined), 'anonymous');
    assert.equal(keyNameOf(''), 'anonymous');
    assert.equal(keyNameOf('has space'), 'invalid');
    assert.equal(keyNameOf('x'.repeat(65)), 'invalid');
  });
});

describe('errors', () => {
  it('keep an upstream OpenAI error object as it is (code included)', () => {
    const body = JSON.stringify({
      error: {
        message: 'too long',
        type: 'invalid_request_error',
        code: 'context_length_exceeded',
        param: 'messages',
      },
    });
    assert.deepEqual(upstreamErrorObject(400, body), {
      message: 'too long',
      type: 'invalid_request_error',
      code: 'context_length_exceeded',
      param: 'messages',
    });
  });
  it('describe bodies that are not OpenAI errors', () => {
    assert.deepEqual(upstreamErrorObject(502, 'Bad Gateway'), {
      message: 'Bad Gateway',
      type: 'server_error',
      code: 502,
    });
    assert.deepEqual(upstreamErrorObject(500, ''), {
      message: 'The model server answered HTTP 500.',
      type: 'server_error',
      code: 500,
    });
    assert.deepEqual(upstreamErrorObject(400, '{"error":"bad"}'), {
      message: 'bad',
      type: 'invalid_request_error',
      code: 400,
    });
  });
  it('an SSE error event is one data line with {"error": …}', () => {
    const text = sseErrorEvent(RELAY_ERRORS.broken());
    assert.match(text, /^data: \{"error":\{.*\}\}\n\n$/);
    assert.equal(JSON.parse(text.slice(6)).error.code, 'stream_interrupted');
  });
});

describe('routes', () => {
  it('serves the completion routes, models, health and metrics; nothing else', () => {
    assert.deepEqual(routeOf('POST', '/v1/chat/completions'), { kind: 'completion', route: 'chat' });
    assert.deepEqual(routeOf('POST', '/v1/completions?x=1'), { kind: 'completion', route: 'completions' });
    assert.deepEqual(routeOf('GET', '/v1/models'), { kind: 'models' });
    assert.deepEqual(routeOf('HEAD', '/health'), { kind: 'health' });
    assert.deepEqual(routeOf('GET', '/metrics'), { kind: 'metrics' });
    assert.deepEqual(routeOf('GET', '/v1/chat/completions'), { kind: 'method-not-allowed', allow: 'POST' });
    for (const path of [
      '/models/apply',
      '/backend/shutdown',
      '/v1/embeddings',
      '/readyz',
      '/',
      '/constructor',
    ])
      assert.deepEqual(routeOf('POST', path), { kind: 'not-found' }, path);
  });
});
