import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { APPLIANCE_NODE, requireBundle } from '../../support/bundle.ts';
import { openaiChat } from '../../support/clients.ts';
import { chatBody, type Gateway, startGateway } from '../../support/gateway.ts';
import { bearer, request } from '../../support/https.ts';

describe("the full stack (nginx → relay → stand-in) with the bundle on the appliance's Node 24.21.0", () => {
  let gateway: Gateway;
  before(async () => {
    requireBundle();
    gateway = await startGateway({
      standin: { firstByteDelayMs: 3000 },
      sandbox: {
        node: APPLIANCE_NODE,
        context: ["ONEAPP_COPILOT_API_STREAM_GRACE='1'", "ONEAPP_COPILOT_API_KEEPALIVE_INTERVAL='1'"],
      },
    });
  });
  after(() => gateway?.close());

  it('a late first token: SSE headers after the grace period, keep-alive comments, then the events', async () => {
    const response = await request(`${gateway.sandbox.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...bearer(gateway.key), 'Content-Type': 'application/json' },
      body: chatBody({ stream: true }),
      ca: gateway.caPem,
    });
    assert.equal(response.status, 200);
    assert.ok(
      response.headersAt > 700 && response.headersAt < 2500,
      `headers after ${Math.round(response.headersAt)} ms`,
    );
    const comments = response.body.match(/^: keep-alive$/gm) ?? [];
    assert.ok(comments.length >= 1, response.body.slice(0, 200));
    assert.match(response.body, /"content":"The"/);
    assert.match(response.body, /data: \[DONE\]\n\n$/);
  });

  it('the openai SDK reads the answer through it', async () => {
    const caFile = join(gateway.sandbox.dir, 'trusted-ca.pem');
    writeFileSync(caFile, gateway.caPem);
    const result = await openaiChat({
      BASE_URL: `${gateway.sandbox.url}/v1`,
      API_KEY: gateway.key,
      CA_FILE: caFile,
      TOOLS: '1',
    });
    assert.equal(result.ok, true, result.message);
    assert.equal(result.toolCalls?.[0]?.name, 'read_file');
    assert.doesNotThrow(() => JSON.parse(result.toolCalls?.[0]?.arguments ?? ''));
  });
});
