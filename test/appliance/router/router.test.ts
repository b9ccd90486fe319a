/**
 * The router's worker list changing under a stream: a worker that leaves (scale-in: no longer RUNNING in OneGate)
 * keeps the connection it is streaming on until that stream ends; only then is its connection pool closed.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { startRouter } from '../../../src/appliance/router/router.ts';
import { pinnedAgent } from '../../../src/appliance/router/workerLink.ts';
import { KEY_NAME_HEADER } from '../../../src/core/facts/headers.ts';
import { SPILL_QUEUE_DEFAULT } from '../../../src/core/facts/oneflow.ts';
import { makeTestPki } from '../../support/certificates.ts';

const CHUNKS = 8;

describe('router', () => {
  it('a worker that leaves the list mid-stream finishes that stream; its pool closes after', async () => {
    const pki = makeTestPki();
    // A worker that streams one SSE chunk every 100 ms.
    const worker = createServer({ cert: pki.leafPem, key: pki.leafKeyPem }, (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let sent = 0;
      const timer = setInterval(() => {
        sent += 1;
        res.write(`data: {"n":${sent}}\n\n`);
        if (sent === CHUNKS) {
          clearInterval(timer);
          res.end('data: [DONE]\n\n');
        }
      }, 100);
      res.on('close', () => clearInterval(timer));
    });
    worker.listen(0, '127.0.0.1');
    await once(worker, 'listening');
    const agent = pinnedAgent(pki.caPem);
    const router = await startRouter({
      host: '127.0.0.1',
      port: 0,
      secret: 'service-secret-0123456789abcdef0123456789',
      keyNameHeader: KEY_NAME_HEADER,
      spillQueue: SPILL_QUEUE_DEFAULT,
      bodyLimitBytes: 1024 * 1024,
      log: () => {},
    });
    try {
      router.setWorkers([
        { id: '7', baseUrl: `https://127.0.0.1:${(worker.address() as AddressInfo).port}`, agent },
      ]);
      const res = await fetch(`http://127.0.0.1:${router.port}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [KEY_NAME_HEADER]: 'alice' },
        body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
      });
      assert.equal(res.status, 200);
      assert.ok(res.body !== null);
      const reader = res.body.getReader();
      let text = new TextDecoder().decode((await reader.read()).value);
      // The worker leaves while its stream runs.
      router.setWorkers([]);
      assert.equal(router.inFlight('7'), 1);
      for (let part = await reader.read(); !part.done; part = await reader.read())
        text += new TextDecoder().decode(part.value);
      assert.equal(text.match(/^data: \{"n":\d+\}$/gm)?.length, CHUNKS, text);
      assert.match(text, /data: \[DONE\]/);
      assert.equal(router.inFlight('7'), 0);
      assert.equal(
        Object.keys(agent.freeSockets).length,
        0,
        'the retired pool is closed once the stream ended',
      );
    } finally {
      await router.close();
      worker.close();
      worker.closeAllConnections();
    }
  });
});
