import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireBundle } from '../../support/bundle.ts';
import { curl, openaiChat } from '../../support/clients.ts';
import { chatBody, type Gateway, startGateway } from '../../support/gateway.ts';
import { basic, bearer, request } from '../../support/https.ts';

const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-methods',
  'access-control-allow-headers',
];

function assertJsonError(
  response: { status: number; headers: Record<string, unknown>; body: string },
  status: number,
) {
  assert.equal(response.status, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const parsed = JSON.parse(response.body);
  assert.equal(typeof parsed.error.message, 'string');
  assert.equal(typeof parsed.error.code, 'string');
  for (const header of CORS_HEADERS) assert.ok(response.headers[header], `${header} on the ${status}`);
}

describe('gateway auth, TLS and CORS (real nginx, LocalAI stand-in)', () => {
  let gateway: Gateway;
  let caFile: string;
  before(async () => {
    requireBundle();
    gateway = await startGateway();
    caFile = join(gateway.sandbox.dir, 'trusted-ca.pem');
    writeFileSync(caFile, gateway.caPem);
  });
  after(() => gateway?.close());

  it('the openai SDK streams a chat completion with a Bearer key, trusting only the CA from /ca.pem', async () => {
    const result = await openaiChat({
      BASE_URL: `${gateway.sandbox.url}/v1`,
      API_KEY: gateway.key,
      CA_FILE: caFile,
    });
    assert.equal(result.ok, true, result.message);
    assert.equal(result.content, 'The stand-in says hello.');
    assert.ok((result.chunks ?? 0) >= 5);
    assert.ok(result.usage && result.usage.prompt_tokens > 0);
  });

  it('the openai SDK without the CA refuses the certificate (nothing is silently insecure)', async () => {
    const result = await openaiChat({
      BASE_URL: `${gateway.sandbox.url}/v1`,
      API_KEY: gateway.key,
      CA_FILE: '/dev/null',
    });
    assert.equal(result.ok, false);
    assert.match(result.message ?? '', /Connection error|certificate/i);
  });

  it('curl streams with Basic auth, verifying against the CA', async () => {
    const { user, password } = gateway.sandbox.credentials;
    const run = await curl([
      '--cacert',
      caFile,
      '-N',
      '-u',
      `${user}:${password}`,
      '-H',
      'Content-Type: application/json',
      '--data',
      chatBody({ stream: true }),
      `${gateway.sandbox.url}/v1/chat/completions`,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^data: \{.*"chat\.completion\.chunk"/m);
    assert.match(run.stdout, /data: \[DONE\]/);
  });

  it('no credentials, a wrong key, a wrong password → 401 JSON with WWW-Authenticate and CORS headers', async () => {
    const url = `${gateway.sandbox.url}/v1/chat/completions`;
    const { user } = gateway.sandbox.credentials;
    const seenBefore = gateway.standin.requests.length;
    for (const headers of [
      {},
      bearer(`sk-${'0'.repeat(40)}`),
      basic(user, 'wrong-password-123'),
      bearer(gateway.key.slice(0, -1)),
    ]) {
      const response = await request(url, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: chatBody(),
        ca: gateway.caPem,
      });
      assertJsonError(response, 401);
      assert.match(String(response.headers['www-authenticate']), /Bearer realm="SLM-Copilot"/);
    }
    assert.equal(gateway.standin.requests.length, seenBefore, 'no refused request reached the upstream');
  });

  it('CORS preflight → 204 without credentials, with the allowed headers spelled out', async () => {
    const response = await request(`${gateway.sandbox.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://ide.example.com',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
      ca: gateway.caPem,
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers['access-control-allow-origin'], '*');
    assert.match(
      String(response.headers['access-control-allow-headers']),
      /\bAuthorization\b.*\bContent-Type\b/,
    );
    assert.match(String(response.headers['access-control-allow-methods']), /POST/);
  });

  it('usage is counted under the key name nginx sets; a forged name, the Authorization header and cookies go no further', async () => {
    const before = gateway.standin.requests.length;
    const post = (headers: Record<string, string>) =>
      request(`${gateway.sandbox.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          ...headers,
          'X-SLM-Key-Name': 'forged-admin',
          Cookie: 'token=x',
          'Content-Type': 'application/json',
        },
        body: chatBody(),
        ca: gateway.caPem,
      });
    const { user, password } = gateway.sandbox.credentials;
    assert.equal((await post(bearer(gateway.key))).status, 200);
    assert.equal((await post(basic(user, password))).status, 200);
    const seen = gateway.standin.requests.slice(before).filter((r) => r.path === '/v1/chat/completions');
    assert.equal(seen.length, 2);
    for (const request of seen) {
      assert.equal(request.headers['x-slm-key-name'], undefined);
      assert.equal(request.headers.authorization, undefined);
      assert.equal(request.headers.cookie, undefined);
    }
    const metrics = (
      await request(`${gateway.sandbox.url}/metrics`, { headers: bearer(gateway.key), ca: gateway.caPem })
    ).body;
    assert.match(metrics, /_requests_total\{key="default"\} [1-9]/);
    assert.match(metrics, new RegExp(`_requests_total\\{key="user:${user}"\\} [1-9]`));
    assert.doesNotMatch(metrics, /forged-admin/);
    assert.ok(!metrics.includes(gateway.key) && !metrics.includes(password));
  });

  it('/metrics needs an API key: Basic auth alone gets 401', async () => {
    const { user, password } = gateway.sandbox.credentials;
    assertJsonError(
      await request(`${gateway.sandbox.url}/metrics`, { headers: basic(user, password), ca: gateway.caPem }),
      401,
    );
    assertJsonError(await request(`${gateway.sandbox.url}/metrics`, { ca: gateway.caPem }), 401);
    const withKey = await request(`${gateway.sandbox.url}/metrics`, {
      headers: bearer(gateway.key),
      ca: gateway.caPem,
    });
    assert.notEqual(withKey.status, 401);
  });

  it('the access log names the key, never the key itself', async () => {
    const { readFileSync } = await import('node:fs');
    const log = readFileSync(join(gateway.sandbox.dir, 'var/log/nginx/slm-copilot.access.log'), 'utf8');
    assert.match(log, / default \[/);
    assert.ok(!log.includes(gateway.key));
    assert.ok(!log.includes(gateway.sandbox.credentials.password));
  });
});

describe('gateway with an origin list', () => {
  let gateway: Gateway;
  before(async () => {
    gateway = await startGateway({
      sandbox: { context: ["ONEAPP_COPILOT_API_CORS_ORIGINS='https://ide.example.com'"] },
    });
  });
  after(() => gateway?.close());

  it('echoes an allowed origin, with Vary: Origin, and gives others no Allow-Origin', async () => {
    const allowed = await request(`${gateway.sandbox.url}/v1/models`, {
      headers: { ...bearer(gateway.key), Origin: 'https://ide.example.com' },
      ca: gateway.caPem,
    });
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://ide.example.com');
    assert.match(String(allowed.headers.vary), /Origin/);
    const other = await request(`${gateway.sandbox.url}/v1/models`, {
      headers: { ...bearer(gateway.key), Origin: 'https://evil.example.net' },
      ca: gateway.caPem,
    });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });
});
