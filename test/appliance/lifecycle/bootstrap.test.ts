import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Pebble, serveWebroot, startPebble } from '../../support/pebble.ts';
import { freePort } from '../../support/ports.ts';
import { newRoot, runStageHere } from '../../support/stages.ts';

const read = (root: string, path: string) => readFileSync(join(root, path), 'utf8');

describe('bootstrap against a root prefix', () => {
  it('enables and starts the services, reports the model as not ready when nothing answers, and does not fail', async () => {
    const root = newRoot();
    assert.equal((await runStageHere(root, 'configure', [])).status, 0);
    const run = await runStageHere(root, 'bootstrap', [], ['--wait', '1']);
    assert.equal(run.status, 0, run.stderr);
    const log = read(root, 'services.log');
    for (const unit of [
      'local-ai.service',
      'slm-copilot-relay.service',
      'nginx.service',
      'slm-copilot-renew.timer',
    ]) {
      assert.match(log, new RegExp(`^systemctl enable ${unit}\\nsystemctl start ${unit}$`, 'm'));
    }
    const report = read(root, 'etc/one-appliance/config');
    assert.match(report, /^local-ai\.service = active$/m);
    assert.match(report, /^model = down$/m);
    assert.match(report, /^onegate = skipped$/m);
    assert.match(run.stderr, /model down/);
  });

  it('publishes the endpoint and CA fingerprint to OneGate when the VM has a token', async () => {
    const { createServer } = await import('node:http');
    const received: { headers: Record<string, unknown>; body: string; method: string; url: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body, method: req.method ?? '', url: req.url ?? '' });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const root = newRoot();
      await runStageHere(root, 'configure', []);
      const run = await runStageHere(root, 'bootstrap', [], ['--wait', '0'], {
        ONEGATE_ENDPOINT: `http://127.0.0.1:${port}`,
        TOKENTXT: 'vm-token',
        VMID: '42',
      });
      assert.equal(run.status, 0, run.stderr);
      assert.equal(received.length, 1);
      assert.equal(received[0]?.method, 'PUT');
      assert.equal(received[0]?.url, '/vm');
      assert.equal(received[0]?.headers['x-onegate-token'], 'vm-token');
      assert.equal(received[0]?.headers['x-onegate-vmid'], '42');
      const fingerprint = new X509Certificate(read(root, 'var/lib/slm-copilot/tls/ca-public.pem'))
        .fingerprint256;
      assert.match(received[0]?.body ?? '', new RegExp(`ONEAPP_COPILOT_CA_FINGERPRINT=${fingerprint}`));
      assert.match(received[0]?.body ?? '', /ONEAPP_COPILOT_ENDPOINT=https:\/\/.+\/v1/);
      assert.match(read(root, 'etc/one-appliance/config'), /^onegate = published$/m);
    } finally {
      server.close();
    }
  });
});

describe("Let's Encrypt with real certbot against pebble on loopback", () => {
  let pebble: Pebble;
  let httpPort: number;
  before(async () => {
    httpPort = await freePort();
    pebble = await startPebble(httpPort);
  });
  after(() => pebble?.stop());

  it('issues, installs the certificate for nginx, reloads nginx and reports it; the next configure keeps it', async () => {
    const root = newRoot();
    const context = [
      "ONEAPP_COPILOT_TLS_DOMAIN='copilot.test'",
      "ONEAPP_COPILOT_TLS_EMAIL='ops@copilot.test'",
    ];
    assert.equal((await runStageHere(root, 'configure', context)).status, 0);
    const webroot = await serveWebroot(join(root, 'var/lib/slm-copilot/acme'), httpPort);
    try {
      const logBefore = read(root, 'services.log');
      const run = await runStageHere(
        root,
        'bootstrap',
        context,
        ['--wait', '0', '--acme-server', pebble.directoryUrl],
        {
          REQUESTS_CA_BUNDLE: pebble.listenerCa,
        },
      );
      assert.equal(run.status, 0, run.stderr);
      const served = new X509Certificate(read(root, 'var/lib/slm-copilot/tls/server.pem'));
      assert.match(served.issuer, /Pebble/);
      assert.match(served.subjectAltName ?? '', /DNS:copilot\.test/);
      assert.match(
        read(root, 'services.log').slice(logBefore.length),
        /nginx -t\nsystemctl try-reload-or-restart nginx\.service/,
      );
      const report = read(root, 'etc/one-appliance/config');
      assert.match(report, /^mode = letsencrypt$/m);
      assert.match(report, /^letsencrypt = active for copilot\.test$/m);
      const again = await runStageHere(root, 'configure', context);
      assert.equal(again.status, 0);
      assert.match(
        new X509Certificate(read(root, 'var/lib/slm-copilot/tls/server.pem')).issuer,
        /Pebble/,
        'configure keeps the issued certificate',
      );
    } finally {
      webroot.close();
    }
  });

  it('an unreachable ACME server falls back to the appliance CA, with the reason in the report', async () => {
    const root = newRoot();
    const context = ["ONEAPP_COPILOT_TLS_DOMAIN='copilot.test'"];
    assert.equal((await runStageHere(root, 'configure', context)).status, 0);
    const run = await runStageHere(
      root,
      'bootstrap',
      context,
      ['--wait', '0', '--acme-server', 'https://127.0.0.1:9/dir'],
      { REQUESTS_CA_BUNDLE: pebble.listenerCa },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /Let's Encrypt failed, the appliance CA stays in use/);
    const report = read(root, 'etc/one-appliance/config');
    assert.match(report, /^mode = appliance-ca$/m);
    assert.match(report, /^letsencrypt = failed, appliance CA in use \(retried daily\): certbot failed: .+/m);
    assert.match(
      new X509Certificate(read(root, 'var/lib/slm-copilot/tls/server.pem')).issuer,
      /SLM-Copilot appliance CA/,
    );
  });
});
