import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startRelay } from '../../../src/appliance/relay/server.ts';
import { startRouter } from '../../../src/appliance/router/router.ts';
import { pinnedAgent } from '../../../src/appliance/router/workerLink.ts';
import { KEY_NAME_HEADER } from '../../../src/core/facts/headers.ts';
import { SPILL_QUEUE_DEFAULT } from '../../../src/core/facts/oneflow.ts';
import { type BrokenGateway, startBrokenGateway, type Tamper } from '../../support/brokenGateway.ts';
import { APPLIANCE_NODE, jsonOf, requireBundle, runBundleAsync } from '../../support/bundle.ts';
import { makeTestPki } from '../../support/certificates.ts';
import { runMain } from '../../support/cli.ts';
import { type Gateway, type SandboxFront, startGateway, startSandboxFront } from '../../support/gateway.ts';
import { startWorkerSite } from '../../support/oneflow/workerSite.ts';
import { freePort } from '../../support/ports.ts';

interface Report {
  verified: boolean;
  exitCode: number;
  results: {
    id: string;
    status: string;
    reason: string;
    cause?: string;
    fix?: string;
    data?: Record<string, unknown>;
  }[];
}

const SERVICE_SECRET = 'service-secret-0123456789abcdef0123456789';
const PIECES = ['1', ' 2', ' 3', ' 4', ' 5', ' 6', ' 7', ' 8', ' 9', ' 10'];

describe('slm-copilot check (the bundle, against the sandbox and broken gateways)', () => {
  let gateway: Gateway;
  let fingerprint: string;
  let serverPem: string;
  let serverKey: string;
  before(async () => {
    requireBundle();
    gateway = await startGateway({ standin: { chunkIntervalMs: 20, pieces: PIECES } });
    fingerprint = new X509Certificate(gateway.caPem).fingerprint256;
    const tls = join(gateway.sandbox.dir, 'var/lib/slm-copilot/tls');
    serverPem = readFileSync(join(tls, 'server.pem'), 'utf8');
    serverKey = readFileSync(join(tls, 'server.key'), 'utf8');
  });
  after(() => gateway?.close());

  const check = (url: string, extra: readonly string[], node?: string) => {
    const args = ['check', url, '--key', gateway.key, ...extra];
    return node === undefined ? runMain(args) : runBundleAsync(args, { node });
  };
  /** check with every credential against a sandbox front, trusting its CA: it passes and is verified. */
  async function checkVerified(front: SandboxFront): Promise<Report> {
    const { user, password } = front.sandbox.credentials;
    const run = await runMain([
      'check',
      front.sandbox.url,
      '--key',
      front.key,
      '--fingerprint',
      new X509Certificate(front.caPem).fingerprint256,
      '--user',
      user,
      '--password',
      password,
      '--json',
    ]);
    const report = jsonOf<Report>(run);
    assert.equal(run.status, 0, run.stdout);
    assert.equal(report.verified, true);
    return report;
  }
  const failing = (report: Report) => report.results.filter((r) => r.status === 'fail').map((r) => r.id);
  const result = (report: Report, id: string) => report.results.find((r) => r.id === id);

  async function behind(tamper: Tamper, body: (proxy: BrokenGateway) => Promise<void>): Promise<void> {
    const proxy = await startBrokenGateway({
      tamper,
      upstream: gateway.sandbox.url,
      upstreamCa: gateway.caPem,
      certPem: serverPem,
      keyPem: serverKey,
      apiKey: gateway.key,
      localai: gateway.standin.url,
    });
    try {
      await body(proxy);
    } finally {
      await proxy.close();
    }
  }

  it('passes every check against the sandbox (nginx + relay + stand-in with native tool calls)', async () => {
    const before = gateway.standin.requests.length;
    const report = await checkVerified(gateway);
    assert.deepEqual(
      report.results.map((r) => `${r.id}:${r.status}`),
      [
        'tls',
        'health',
        'auth-none',
        'auth-wrong-key',
        'auth-bearer',
        'auth-basic',
        'cors',
        'models',
        'completion',
        'streaming',
        'cline-4',
        'cline-3',
        'admin-routes',
      ].map((id) => `${id}:pass`),
    );
    assert.match(result(report, 'cline-4')?.reason ?? '', /read_file tool call/);
    const seen = gateway.standin.requests.slice(before).filter((r) => r.path === '/v1/chat/completions');
    const bodies = seen.map((r) => r.body as { tools?: unknown[]; messages: { content: unknown }[] });
    assert.ok(
      bodies.some((b) => Array.isArray(b.tools) && b.tools.length > 0),
      'a request with native tools',
    );
    assert.ok(
      bodies.some((b) => b.tools === undefined && JSON.stringify(b.messages).includes('<read_file>')),
      'a request with XML tools in text',
    );
  });

  it('against a OneFlow worker: one failure saying to connect to the front, nothing else sent', async () => {
    const port = await freePort();
    const nginx = await startWorkerSite({
      address: '127.0.0.1',
      port,
      // Not this test's address: the worker refuses it, as it refuses every client.
      frontAddress: '10.255.255.1',
      secret: SERVICE_SECRET,
      tls: { chainPem: serverPem, keyPem: serverKey, caPem: gateway.caPem },
    });
    try {
      const run = await check(`https://127.0.0.1:${port}`, ['--fingerprint', fingerprint, '--json']);
      const report = jsonOf<Report>(run);
      assert.equal(run.status, 1, run.stdout);
      assert.equal(result(report, 'tls')?.status, 'pass');
      assert.deepEqual(failing(report), ['health']);
      assert.equal(result(report, 'health')?.reason, 'this VM is a OneFlow worker; connect to the front');
      assert.match(result(report, 'health')?.fix ?? '', /front's address/);
      assert.deepEqual(
        report.results.filter((r) => r.status !== 'skip').map((r) => r.id),
        ['tls', 'health'],
      );
    } finally {
      nginx.kill('SIGTERM');
    }
  });

  it('against a OneFlow front (client site → router → worker site → relay): every check passes as on one VM', async () => {
    const relay = await startRelay({
      port: 0,
      upstreamUrl: gateway.standin.url,
      readiness: false,
      log: () => {},
    });
    const workerPort = await freePort();
    const worker = await startWorkerSite({
      address: '127.0.0.1',
      port: workerPort,
      frontAddress: '127.0.0.1',
      secret: SERVICE_SECRET,
      tls: { chainPem: serverPem, keyPem: serverKey, caPem: gateway.caPem },
      relay: { host: '127.0.0.1', port: relay.port },
    });
    const router = await startRouter({
      host: '127.0.0.1',
      port: 0,
      secret: SERVICE_SECRET,
      keyNameHeader: KEY_NAME_HEADER,
      spillQueue: SPILL_QUEUE_DEFAULT,
      bodyLimitBytes: 8 * 1024 * 1024,
      log: () => {},
    });
    router.setWorkers([
      { id: '7', baseUrl: `https://127.0.0.1:${workerPort}`, agent: pinnedAgent(gateway.caPem) },
    ]);
    const front = await startSandboxFront(`http://127.0.0.1:${router.port}`);
    try {
      const report = await checkVerified(front);
      assert.deepEqual(
        report.results.filter((r) => r.status !== 'pass').map((r) => r.id),
        [],
      );
    } finally {
      await front.sandbox.stop();
      await router.close();
      worker.kill('SIGTERM');
      await relay.close();
    }
  });

  it('prints one line per check and a summary, on the appliance runtime too (Node 24)', async () => {
    const run = await check(gateway.sandbox.url, ['--ca', gateway.sandbox.caPath], APPLIANCE_NODE);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^PASS {2}tls +verified against the CA in .*; covers 127\.0\.0\.1/m);
    assert.match(run.stdout, /^PASS {2}streaming .*first token after/m);
    assert.match(run.stdout, /^SKIP {2}auth-basic .*not asked for/m);
    assert.match(run.stdout, /^check: 12 pass, 0 fail, 1 skip; every check passed, TLS verified$/m);
  });

  it('fails the TLS check with the fix when the CA is not given (the system does not trust the appliance CA)', async () => {
    const run = await check(gateway.sandbox.url, ['--json']);
    const report = jsonOf<Report>(run);
    assert.equal(run.status, 1);
    assert.deepEqual(failing(report), ['tls']);
    assert.match(result(report, 'tls')?.fix ?? '', /--fingerprint/);
    assert.ok(report.results.slice(1).every((r) => r.status === 'skip'));
  });

  it('refuses a wrong fingerprint and sends nothing further (no key reaches the server)', async () => {
    const apiCalls = () => gateway.standin.requests.filter((r) => r.path.startsWith('/v1/')).length;
    const before = apiCalls();
    const other = new X509Certificate(makeTestPki().caPem).fingerprint256;
    const run = await check(gateway.sandbox.url, ['--fingerprint', other, '--json']);
    const report = jsonOf<Report>(run);
    assert.equal(run.status, 1);
    assert.deepEqual(failing(report), ['tls']);
    assert.match(
      result(report, 'tls')?.reason ?? '',
      new RegExp(`expected ${other}.*/ca\\.pem has ${fingerprint}`),
    );
    assert.match(result(report, 'tls')?.fix ?? '', /ca_fingerprint_sha256/);
    assert.equal(apiCalls(), before);
  });

  it('--insecure is loud and the run counts as not fully verified (exit 3)', async () => {
    const run = await check(gateway.sandbox.url, ['--insecure', '--json']);
    const report = jsonOf<Report>(run);
    assert.equal(run.status, 3);
    assert.equal(report.verified, false);
    assert.equal(result(report, 'tls')?.status, 'skip');
    assert.match(result(report, 'tls')?.reason ?? '', /NOT VERIFIED/);
    assert.match(run.stderr, /WARNING: --insecure/);
    assert.deepEqual(failing(report), []);
  });

  it('fails "streaming" behind a proxy that buffers, naming the cause and fix', async () => {
    await behind('buffer', async (proxy) => {
      const run = await check(proxy.url, ['--fingerprint', fingerprint, '--json']);
      const report = jsonOf<Report>(run);
      assert.equal(run.status, 1);
      assert.deepEqual(failing(report), ['streaming']);
      const streaming = result(report, 'streaming');
      assert.match(streaming?.reason ?? '', /buffered/);
      assert.match(streaming?.fix ?? '', /proxy_buffering off/);
    });
  });

  it('fails "auth-none" and "auth-wrong-key" when the gateway lets requests in without a valid key', async () => {
    await behind('no-auth', async (proxy) => {
      const report = jsonOf<Report>(await check(proxy.url, ['--fingerprint', fingerprint, '--json']));
      assert.deepEqual(failing(report), ['auth-none', 'auth-wrong-key']);
      assert.match(result(report, 'auth-none')?.reason ?? '', /without credentials|no credentials/);
      assert.match(result(report, 'auth-none')?.fix ?? '', /checks every key/);
    });
  });

  it('fails "admin-routes" when LocalAI\'s other routes are reachable', async () => {
    await behind('expose-admin', async (proxy) => {
      const report = jsonOf<Report>(await check(proxy.url, ['--fingerprint', fingerprint, '--json']));
      assert.deepEqual(failing(report), ['admin-routes']);
      const admin = result(report, 'admin-routes');
      assert.match(admin?.reason ?? '', /^43 of 43 LocalAI routes answer through the gateway: GET \/ → 200/);
      const exposed = (admin?.data?.exposed ?? []) as string[];
      assert.ok(exposed.includes('GET /system → 200'));
      assert.ok(exposed.includes('GET /backend/shutdown → 405'));
      assert.match(admin?.fix ?? '', /answer every other path 404/);
    });
  });

  it('fails "cors" when the CORS headers are missing', async () => {
    await behind('no-cors', async (proxy) => {
      const report = jsonOf<Report>(await check(proxy.url, ['--fingerprint', fingerprint, '--json']));
      assert.deepEqual(failing(report), ['cors']);
      assert.match(result(report, 'cors')?.reason ?? '', /no Access-Control-Allow-Origin/);
      assert.match(result(report, 'cors')?.fix ?? '', /answer OPTIONS before auth/);
    });
  });

  it('fails "cors" when real answers carry Access-Control-Allow-Origin twice (a preflight alone would pass)', async () => {
    await behind('duplicate-cors', async (proxy) => {
      const report = jsonOf<Report>(await check(proxy.url, ['--fingerprint', fingerprint, '--json']));
      assert.deepEqual(failing(report), ['cors']);
      const cors = result(report, 'cors');
      assert.match(cors?.reason ?? '', /GET \/v1\/models carries Access-Control-Allow-Origin 2 times/);
      assert.match(
        cors?.reason ?? '',
        /POST \/v1\/chat\/completions carries Access-Control-Allow-Origin 2 times/,
      );
      assert.match(cors?.cause ?? '', /both the proxy and the model server/);
      assert.match(cors?.fix ?? '', /proxy_hide_header/);
    });
  });

  it('fails "tls" for a certificate made for another name, and sends nothing further', async () => {
    const pki = makeTestPki();
    const caFile = join(pki.dir, 'ca.pem');
    writeFileSync(caFile, pki.caPem);
    const proxy = await startBrokenGateway({
      tamper: 'none',
      upstream: gateway.sandbox.url,
      upstreamCa: gateway.caPem,
      certPem: `${pki.leafPem}${pki.caPem}`,
      keyPem: pki.leafKeyPem,
    });
    try {
      const run = await check(proxy.url, ['--ca', caFile, '--json']);
      const report = jsonOf<Report>(run);
      assert.equal(run.status, 1);
      assert.deepEqual(failing(report), ['tls']);
      assert.match(
        result(report, 'tls')?.reason ?? '',
        /does not cover 127\.0\.0\.1: it names DNS:leaf\.example\.com/,
      );
      assert.match(result(report, 'tls')?.fix ?? '', /ONEAPP_COPILOT_TLS_DOMAIN/);
    } finally {
      await proxy.close();
    }
  });
});
