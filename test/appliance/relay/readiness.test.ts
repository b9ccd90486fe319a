/**
 * Acceptance: readiness follows the model server: down while nothing listens, loading from its start until the
 * relay's one-token warm-up succeeds, ready after, down when it goes away, and the same again after a restart.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { probeReadyz } from '../../../src/appliance/relay/readinessMonitor.ts';
import { type RunningRelay, startRelay } from '../../../src/appliance/relay/server.ts';
import { type LocalaiStandin, startLocalaiStandin } from '../../../tools/standin/localaiStandin.ts';
import { INTERNAL_KEY, send, until } from '../../support/relay.ts';

async function health(relay: RunningRelay): Promise<{ status: number; body: unknown }> {
  const answer = await send(`http://127.0.0.1:${relay.port}`, { path: '/health' });
  return { status: answer.status, body: JSON.parse(answer.text) };
}

const warmUps = (standin: LocalaiStandin) =>
  standin.requests.filter((request) => request.method === 'POST' && request.path === '/v1/chat/completions');

describe('readiness', () => {
  it('down → loading → ready with the stand-in stopped, started, warm-up answered; again after a restart', async () => {
    const probe = await startLocalaiStandin();
    const port = probe.port;
    await probe.close();
    const logs: string[] = [];
    const relay = await startRelay({
      port: 0,
      upstreamUrl: `http://127.0.0.1:${port}`,
      upstreamKey: INTERNAL_KEY,
      readiness: { pollIntervalMs: 100 },
      log: (line) => logs.push(line),
    });
    let standin: LocalaiStandin | null = null;
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(relay.state(), 'down');
      assert.deepEqual(await health(relay), { status: 503, body: { status: 'down' } });

      // LocalAI starts and preloads the model: /readyz 503, so no warm-up yet.
      standin = await startLocalaiStandin({
        port,
        ready: false,
        apiKeys: [INTERNAL_KEY],
        firstByteDelayMs: 800,
      });
      await until(() => relay.state() === 'loading', 2000, 'loading');
      assert.deepEqual(await health(relay), { status: 503, body: { status: 'loading' } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(warmUps(standin).length, 0, 'no warm-up while /readyz says 503');

      // Preload done: the relay's warm-up runs (800 ms to its token) and only its success makes the model ready.
      standin.behave({ ready: true });
      const current = standin;
      await until(() => warmUps(current).length === 1, 2000, 'the warm-up request');
      assert.equal(relay.state(), 'loading', 'still loading while the warm-up runs');
      await until(() => relay.state() === 'ready', 3000, 'ready');
      assert.deepEqual(await health(relay), { status: 200, body: { status: 'ready' } });
      const warmUp = warmUps(current)[0];
      assert.deepEqual(warmUp?.body, {
        model: 'devstral-small-2',
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 1,
        stream: false,
      });
      assert.equal(warmUp?.headers.authorization, `Bearer ${INTERNAL_KEY}`);
      assert.match(relay.metrics(), /slm_copilot_model_state\{state="ready"\} 1/);

      // LocalAI stops: down. It comes back: loading until a new warm-up succeeds, then ready.
      await standin.close();
      standin = null;
      await until(() => relay.state() === 'down', 2000, 'down after the stop');
      standin = await startLocalaiStandin({ port, apiKeys: [INTERNAL_KEY], firstByteDelayMs: 300 });
      const restarted = standin;
      await until(() => relay.state() === 'ready', 3000, 'ready after the restart');
      assert.equal(warmUps(restarted).length, 1, 'one new warm-up after the restart');
      const transitions = logs
        .filter((line) => line.includes('model server'))
        .map((line) => line.split('server ')[1]);
      assert.deepEqual(transitions, [
        'down → loading',
        'loading → ready',
        'ready → down',
        'down → loading',
        'loading → ready',
      ]);
    } finally {
      await relay.close();
      await standin?.close();
    }
  });

  it('a completion that cannot connect marks the model down at once, without waiting for the next probe', async () => {
    const standin = await startLocalaiStandin();
    const relay = await startRelay({
      port: 0,
      upstreamUrl: standin.url,
      readiness: { pollIntervalMs: 60_000 },
      log: () => {},
    });
    try {
      await until(() => relay.state() === 'ready', 2000, 'ready after the first probe and the warm-up');
      await standin.close();
      const answer = await send(`http://127.0.0.1:${relay.port}`, {
        path: '/v1/chat/completions',
        body: { model: 'devstral-small-2', messages: [{ role: 'user', content: 'hi' }] },
      });
      assert.equal(answer.status, 503);
      assert.equal(relay.state(), 'down');
    } finally {
      await relay.close();
      await standin.close();
    }
  });

  it("an upstream without /readyz is asked /health: llama-server's 503 while loading is loading, 200 ready", async () => {
    let health = 503;
    const asked: string[] = [];
    const server = createServer((req, res) => {
      asked.push(req.url ?? '');
      res.writeHead(req.url === '/health' ? health : 404).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      assert.equal(await probeReadyz(url, 1000), 'loading');
      health = 200;
      assert.equal(await probeReadyz(url, 1000), 'ready');
      assert.deepEqual(asked, ['/readyz', '/health', '/readyz', '/health']);
    } finally {
      server.close();
    }
  });
});
