import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LOCALAI_ADMIN_ROUTES } from '../../../tools/standin/localaiStandin.ts';
import { requireBundle } from '../../support/bundle.ts';
import { type Gateway, startGateway } from '../../support/gateway.ts';
import { bearer, request } from '../../support/https.ts';

describe('gateway allow-list (real nginx, LocalAI stand-in)', () => {
  let gateway: Gateway;
  before(async () => {
    requireBundle();
    gateway = await startGateway();
  });
  after(() => gateway?.close());

  it('every LocalAI admin, UI and other route → 404 JSON even with a valid key; the stand-in never sees one', async () => {
    const seenBefore = gateway.standin.requests.length;
    const extra = [
      '/chat/completions',
      '/models',
      '/v1/embeddings',
      '/readyz',
      '/healthz',
      '/v1/chat/completions/../../system',
      '/V1/models',
      '/v1/models/',
    ];
    const routes = [
      ...LOCALAI_ADMIN_ROUTES.map((route) => ({ method: route.method, path: route.path })),
      ...extra.map((path) => ({ method: 'GET', path })),
    ];
    assert.ok(routes.length > 30);
    for (const route of routes) {
      const response = await request(`${gateway.sandbox.url}${route.path}`, {
        method: route.method,
        headers: { ...bearer(gateway.key), 'Content-Type': 'application/json' },
        ...(route.method === 'POST' ? { body: '{}' } : {}),
        ca: gateway.caPem,
      });
      assert.equal(response.status, 404, `${route.method} ${route.path}`);
      assert.match(String(response.headers['content-type']), /^application\/json/, route.path);
      assert.equal(JSON.parse(response.body).error.code, 'not_found');
      assert.equal(response.headers['x-standin-route'], undefined);
    }
    assert.deepEqual(
      gateway.standin.requests.slice(seenBefore).map((r) => r.path),
      [],
    );
  });

  it('/ca.pem is public and is the appliance CA: pathlen 0, the leaf is issued by it', async () => {
    const response = await request(`${gateway.sandbox.url}/ca.pem`, { ca: gateway.caPem });
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /application\/x-pem-file/);
    const ca = new X509Certificate(response.body);
    assert.equal(ca.ca, true);
    const constraints = execFileSync('openssl', ['x509', '-noout', '-ext', 'basicConstraints'], {
      input: response.body,
    }).toString();
    assert.match(constraints, /critical\s+CA:TRUE, pathlen:0/);
    const served = readFileSync(join(gateway.sandbox.dir, 'var/lib/slm-copilot/tls/server.pem'), 'utf8');
    const leaf = new X509Certificate(served);
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
    assert.match(leaf.subjectAltName ?? '', /IP Address:192\.0\.2\.10/);
  });

  it("/health is public and reports the relay's view of the model (ready after its warm-up)", async () => {
    let response = await request(`${gateway.sandbox.url}/health`, { ca: gateway.caPem });
    for (let attempt = 0; attempt < 100 && response.status !== 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      response = await request(`${gateway.sandbox.url}/health`, { ca: gateway.caPem });
    }
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.body), { status: 'ready' });
    assert.ok(response.headers['access-control-allow-origin']);
  });

  it('nothing listens on port 80 without a domain (the API is HTTPS only)', async () => {
    const { request: httpRequest } = await import('node:http');
    const outcome = await new Promise<string>((resolve) => {
      httpRequest(`http://127.0.0.1:${gateway.sandbox.httpPort}/v1/models`, (res) => {
        res.resume();
        resolve(`answered ${res.statusCode}`);
      })
        .on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
        .end();
    });
    assert.equal(outcome, 'ECONNREFUSED');
  });

  it('/slm-copilot.mjs serves the client tools without auth; the report has its sha256', async () => {
    const response = await request(`${gateway.sandbox.url}/slm-copilot.mjs`, { ca: gateway.caPem });
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /javascript/);
    const bundle = readFileSync(new URL('../../../dist/slm-copilot.mjs', import.meta.url), 'utf8');
    assert.equal(response.body, bundle);
    const digest = createHash('sha256').update(bundle).digest('hex');
    assert.match(
      readFileSync(join(gateway.sandbox.dir, 'etc/one-appliance/config'), 'utf8'),
      new RegExp(`^sha256 = ${digest}$`, 'm'),
    );
  });

  it('the report in the sandbox carries the CA fingerprint of /ca.pem', () => {
    const report = readFileSync(join(gateway.sandbox.dir, 'etc/one-appliance/config'), 'utf8');
    const fingerprint = new X509Certificate(gateway.caPem).fingerprint256;
    assert.match(report, new RegExp(`^ca_fingerprint_sha256 = ${fingerprint}$`, 'm'));
  });
});

describe("gateway with a Let's Encrypt domain", () => {
  let gateway: Gateway;
  before(async () => {
    gateway = await startGateway({
      sandbox: { context: ["ONEAPP_COPILOT_TLS_DOMAIN='copilot.example.com'"] },
    });
  });
  after(() => gateway?.close());

  it('port 80 serves the ACME webroot and the certificate covers the domain until one is issued', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const webroot = join(gateway.sandbox.dir, 'var/lib/slm-copilot/acme/.well-known/acme-challenge');
    mkdirSync(webroot, { recursive: true });
    writeFileSync(join(webroot, 'token123'), 'token123.thumbprint');
    const { request: httpRequest } = await import('node:http');
    const body = await new Promise<string>((resolve, reject) => {
      httpRequest(
        `http://127.0.0.1:${gateway.sandbox.httpPort}/.well-known/acme-challenge/token123`,
        (res) => {
          let text = '';
          res.on('data', (chunk) => {
            text += chunk;
          });
          res.on('end', () => resolve(`${res.statusCode} ${text}`));
        },
      )
        .on('error', reject)
        .end();
    });
    assert.equal(body, '200 token123.thumbprint');
    const leaf = new X509Certificate(
      readFileSync(join(gateway.sandbox.dir, 'var/lib/slm-copilot/tls/server.pem'), 'utf8'),
    );
    assert.match(leaf.subjectAltName ?? '', /DNS:copilot\.example\.com/);
  });

  it('port 80 redirects everything else to HTTPS', async () => {
    const { request: httpRequest } = await import('node:http');
    const status = await new Promise<{ code: number; location: string }>((resolve, reject) => {
      httpRequest(`http://127.0.0.1:${gateway.sandbox.httpPort}/v1/models`, (res) => {
        res.resume();
        resolve({ code: res.statusCode ?? 0, location: String(res.headers.location) });
      })
        .on('error', reject)
        .end();
    });
    assert.equal(status.code, 301);
    assert.equal(status.location, `https://127.0.0.1:${gateway.sandbox.port}/v1/models`);
  });
});
