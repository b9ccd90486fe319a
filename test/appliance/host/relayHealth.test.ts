import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { readinessOf, readRelayHealth } from '../../../src/appliance/host/relayHealth.ts';

describe("the relay's /health reader", () => {
  it('returns the answer as it came, any status; the readiness is its body\'s "status"', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(503, { 'Content-Type': 'application/json' }).end('{"status":"loading"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const health = await readRelayHealth(`http://127.0.0.1:${port}/health`, 2000);
      assert.deepEqual(health, { status: 503, body: '{"status":"loading"}' });
      assert.equal(readinessOf(health), 'loading');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    const refused = await readRelayHealth(`http://127.0.0.1:${port}/health`, 2000);
    assert.deepEqual(refused, { error: 'ECONNREFUSED' });
    assert.equal(readinessOf(refused), 'down');
  });

  it('no answer in time is TIMEOUT; a body without a known status is down', async () => {
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      assert.deepEqual(await readRelayHealth(`http://127.0.0.1:${port}/health`, 100), { error: 'TIMEOUT' });
    } finally {
      server.closeAllConnections();
      server.close();
    }
    assert.equal(readinessOf({ status: 200, body: '{"status":"ready"}' }), 'ready');
    assert.equal(readinessOf({ status: 200, body: '{"status":"warming"}' }), 'down');
    assert.equal(readinessOf({ status: 200, body: 'not json' }), 'down');
  });
});
