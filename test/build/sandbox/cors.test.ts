import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { headerValues } from '../../../src/client/net/http.ts';
import type { UPSTREAM_CORS_HEADERS } from '../../../src/core/render/nginxSnippets.ts';
import type { StandinBehaviour } from '../../../tools/standin/localaiStandin.ts';
import { requireBundle } from '../../support/bundle.ts';
import { chatBody, type Gateway, startGateway } from '../../support/gateway.ts';
import { bearer, type Response, request } from '../../support/https.ts';

const ORIGIN = 'https://ide.example.com';
const FOREIGN = 'https://elsewhere.example.net';

/** What nginx itself adds with ONEAPP_COPILOT_API_CORS_ORIGINS=* (credentials are never allowed). */
const GATEWAY_CORS: Readonly<Record<(typeof UPSTREAM_CORS_HEADERS)[number], string | null>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'present',
  'Access-Control-Expose-Headers': 'Retry-After, X-Request-Id',
  'Access-Control-Max-Age': '86400',
  'Access-Control-Allow-Credentials': null,
};

function assertGatewayCors(response: Response, what: string): void {
  for (const [name, expected] of Object.entries(GATEWAY_CORS)) {
    const values = headerValues(response.rawHeaders, name);
    if (expected === null) {
      assert.deepEqual(values, [], `${what}: ${name} must not be sent`);
      continue;
    }
    assert.equal(values.length, 1, `${what}: exactly one ${name}, got ${JSON.stringify(values)}`);
    if (expected !== 'present') assert.equal(values[0], expected, `${what}: ${name}`);
  }
}

const LONG_PROMPT = 'word '.repeat(4000);

for (const upstreamCors of [
  'echo-default',
  'reflect',
] as const satisfies readonly StandinBehaviour['cors'][]) {
  describe(`the gateway is the only source of CORS headers (real nginx; the model server sends its own: ${upstreamCors})`, () => {
    let gateway: Gateway;
    const post = (body: string) =>
      request(`${gateway.sandbox.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...bearer(gateway.key), 'Content-Type': 'application/json', Origin: ORIGIN },
        body,
        ca: gateway.caPem,
      });
    before(async () => {
      requireBundle();
      gateway = await startGateway({ standin: { cors: upstreamCors, contextSize: 2048 } });
    });
    after(() => gateway?.close());

    it('the model server really sends CORS headers (without the gateway)', async () => {
      const direct = await fetch(`${gateway.standin.url}/v1/models`, { headers: { Origin: ORIGIN } });
      assert.ok(direct.headers.get('access-control-allow-origin'));
    });

    it('200 JSON (/v1/models): exactly one of each, the configured value', async () => {
      const response = await request(`${gateway.sandbox.url}/v1/models`, {
        headers: { ...bearer(gateway.key), Origin: ORIGIN },
        ca: gateway.caPem,
      });
      assert.equal(response.status, 200);
      assertGatewayCors(response, 'GET /v1/models');
    });

    it('200 stream: exactly one of each', async () => {
      const response = await post(chatBody({ stream: true }));
      assert.equal(response.status, 200);
      assert.match(String(response.headers['content-type']), /text\/event-stream/);
      assertGatewayCors(response, 'streamed completion');
    });

    it('4xx (a context overflow) and 5xx (a failing model server): exactly one of each', async () => {
      const overflow = await post(chatBody({ messages: [{ role: 'user', content: LONG_PROMPT }] }));
      assert.equal(overflow.status, 400);
      assertGatewayCors(overflow, 'overflow 400');
      gateway.standin.behave({ failure: { kind: 'http', status: 500, message: 'backend crashed' } });
      try {
        const failed = await post(chatBody());
        assert.equal(failed.status, 500);
        assertGatewayCors(failed, 'upstream 500');
      } finally {
        gateway.standin.behave({ failure: null });
      }
    });
  });
}

describe('an origin list in front of a model server that echoes every Origin', () => {
  let gateway: Gateway;
  before(async () => {
    requireBundle();
    gateway = await startGateway({
      standin: { cors: 'reflect' },
      sandbox: { context: [`ONEAPP_COPILOT_API_CORS_ORIGINS='${ORIGIN}'`] },
    });
  });
  after(() => gateway?.close());

  const get = (origin: string) =>
    request(`${gateway.sandbox.url}/v1/models`, {
      headers: { ...bearer(gateway.key), Origin: origin },
      ca: gateway.caPem,
    });

  it('an allowed origin is echoed once; a foreign one gets no Allow-Origin although upstream allowed it', async () => {
    const allowed = await get(ORIGIN);
    assert.deepEqual(headerValues(allowed.rawHeaders, 'Access-Control-Allow-Origin'), [ORIGIN]);
    assert.deepEqual(headerValues(allowed.rawHeaders, 'Access-Control-Allow-Credentials'), []);
    const foreign = await get(FOREIGN);
    assert.equal(foreign.status, 200);
    assert.deepEqual(headerValues(foreign.rawHeaders, 'Access-Control-Allow-Origin'), []);
  });
});
