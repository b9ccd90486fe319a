import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type LocalaiStandin, startLocalaiStandin } from '../../../tools/standin/localaiStandin.ts';
import { requireBundle } from '../../support/bundle.ts';
import { basic, bearer, request } from '../../support/https.ts';
import { newSandboxDir, type SandboxStart, startSandbox } from '../../support/sandbox.ts';

const KEY_ALICE = 'sk-alice-0123456789abcdef0123456789abcdef';
const KEY_BOB = 'sk-bob-00000000000000000000000000000000000';

describe('gateway state across restarts (same sandbox directory)', () => {
  let standin: LocalaiStandin;
  const dir = newSandboxDir();
  const tls = (name: string) => readFileSync(join(dir, 'var/lib/slm-copilot/tls', name), 'utf8');
  before(async () => {
    requireBundle();
    standin = await startLocalaiStandin();
  });
  after(() => standin?.close());

  async function boot(options: Omit<SandboxStart, 'upstream' | 'dir'> = {}) {
    const sandbox = await startSandbox({ ...options, dir, upstream: standin.url });
    const files = {
      ca: tls('ca.pem'),
      caKey: tls('ca.key'),
      leaf: tls('server.pem'),
      key: tls('server.key'),
    };
    return { sandbox, files };
  }

  it('keeps the CA, the generated key and password; a new IP re-issues only the leaf', async () => {
    const first = await boot({ addresses: ['192.0.2.10'] });
    assert.equal(await first.sandbox.stop(), 0, 'SIGTERM stops nginx and the sandbox exits 0');
    const second = await boot({ addresses: ['192.0.2.10'] });
    assert.deepEqual(second.sandbox.credentials, first.sandbox.credentials);
    assert.deepEqual(second.files, first.files, 'same SANs: nothing re-issued');
    const ok = await request(`${second.sandbox.url}/v1/models`, {
      headers: bearer(Object.values(first.sandbox.credentials.keys)[0] as string),
      ca: first.files.ca,
    });
    assert.equal(ok.status, 200);
    await second.sandbox.stop();

    const moved = await boot({ addresses: ['192.0.2.99'] });
    assert.equal(moved.files.ca, first.files.ca);
    assert.equal(moved.files.caKey, first.files.caKey);
    assert.notEqual(moved.files.leaf, first.files.leaf);
    const leaf = new X509Certificate(moved.files.leaf);
    assert.match(leaf.subjectAltName ?? '', /IP Address:192\.0\.2\.99/);
    assert.doesNotMatch(leaf.subjectAltName ?? '', /192\.0\.2\.10\b/);
    const { user, password } = first.sandbox.credentials;
    const trusted = await request(`${moved.sandbox.url}/v1/models`, {
      headers: basic(user, password),
      ca: first.files.ca,
    });
    assert.equal(trusted.status, 200, 'a client that trusted the CA before still connects');
    await moved.sandbox.stop();
  });

  it('context keys replace the generated one; a key removed from the context is revoked', async () => {
    const generated = JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8')).keys.default as string;
    const both = await boot({ context: [`ONEAPP_COPILOT_AUTH_KEYS='alice:${KEY_ALICE},bob:${KEY_BOB}'`] });
    const ca = both.files.ca;
    const status = async (key: string) =>
      (await request(`${both.sandbox.url}/v1/models`, { headers: bearer(key), ca })).status;
    assert.equal(await status(KEY_ALICE), 200);
    assert.equal(await status(KEY_BOB), 200);
    assert.equal(await status(generated), 401, 'the generated key is replaced by the context keys');
    await both.sandbox.stop();

    const aliceOnly = await boot({ context: [`ONEAPP_COPILOT_AUTH_KEYS='alice:${KEY_ALICE}'`] });
    const statusNow = async (key: string) =>
      (await request(`${aliceOnly.sandbox.url}/v1/models`, { headers: bearer(key), ca })).status;
    assert.equal(await statusNow(KEY_ALICE), 200);
    assert.equal(await statusNow(KEY_BOB), 401);
    assert.ok(!readFileSync(join(dir, 'etc/slm-copilot/nginx/api-keys.map'), 'utf8').includes(KEY_BOB));
    assert.ok(!readFileSync(join(dir, 'etc/one-appliance/config'), 'utf8').includes(KEY_BOB));
    await aliceOnly.sandbox.stop();
  });

  it('an invalid context refuses to start, names the variable, and leaves the configuration as it was', async () => {
    const site = readFileSync(join(dir, 'etc/slm-copilot/nginx/api-keys.map'), 'utf8');
    await assert.rejects(
      startSandbox({ dir, upstream: standin.url, context: ["ONEAPP_COPILOT_AUTH_KEYS='x:short'"] }),
      /ONEAPP_COPILOT_AUTH_KEYS: entry 1 \("x":<hidden, 5 characters>\) is too short/,
    );
    assert.equal(readFileSync(join(dir, 'etc/slm-copilot/nginx/api-keys.map'), 'utf8'), site);
  });

  it('secret files are private to their readers', async () => {
    const { statSync } = await import('node:fs');
    const mode = (path: string) => (statSync(join(dir, path)).mode & 0o777).toString(8);
    assert.equal(mode('etc/slm-copilot/nginx/api-keys.map'), '600');
    assert.equal(mode('etc/slm-copilot/nginx/htpasswd'), '640');
    assert.equal(mode('var/lib/slm-copilot/tls/server.key'), '600');
    assert.equal(mode('var/lib/slm-copilot/tls/ca.key'), '600');
    assert.equal(mode('var/lib/slm-copilot/secrets.json'), '600');
    assert.equal(mode('credentials.json'), '600');
  });
});
