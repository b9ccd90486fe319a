import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireBundle } from '../../support/bundle.ts';
import { makeTestPki } from '../../support/certificates.ts';
import { runMain } from '../../support/cli.ts';
import { openaiChat } from '../../support/clients.ts';
import { type Gateway, startGateway } from '../../support/gateway.ts';

describe('slm-copilot cline (the bundle, against the sandbox)', () => {
  let gateway: Gateway;
  let fingerprint: string;
  let dir: string;
  before(async () => {
    requireBundle();
    gateway = await startGateway();
    fingerprint = new X509Certificate(gateway.caPem).fingerprint256;
    dir = mkdtempSync(join(tmpdir(), 'slm-cline-'));
  });
  after(() => gateway?.close());

  it('refuses a CA whose fingerprint does not match, and saves nothing', async () => {
    const out = join(dir, 'refused.pem');
    const other = new X509Certificate(makeTestPki().caPem).fingerprint256;
    const run = await runMain(['cline', gateway.sandbox.url, '--fingerprint', other, '--out', out]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`REFUSED: .* has the fingerprint ${fingerprint}, not ${other}`));
    assert.match(run.stderr, /fix: +compare with ca_fingerprint_sha256/);
    assert.equal(existsSync(out), false);
  });

  it('without a fingerprint and nobody to ask, says to pass one and saves nothing', async () => {
    const out = join(dir, 'unasked.pem');
    const run = await runMain(['cline', gateway.sandbox.url, '--out', out]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /pass --fingerprint/);
    assert.equal(existsSync(out), false);
  });

  it('with the matching fingerprint saves the CA, prints the settings, and the openai SDK then works with only NODE_EXTRA_CA_CERTS', async () => {
    const out = join(dir, 'ca.pem');
    const plain = fingerprint.replace(/:/g, '').toLowerCase();
    const run = await runMain([
      'cline',
      `${gateway.sandbox.url}/v1`,
      '--fingerprint',
      plain,
      '--key',
      gateway.key,
      '--out',
      out,
    ]);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.equal(readFileSync(out, 'utf8'), gateway.caPem);
    assert.match(run.stdout, /^ {2}API Provider +OpenAI Compatible$/m);
    assert.match(run.stdout, new RegExp(`^ {2}Base URL +${gateway.sandbox.url}/v1$`, 'm'));
    assert.match(run.stdout, new RegExp(`^ {2}API Key +${gateway.key}$`, 'm'));
    assert.match(run.stdout, /^ {2}Model ID +devstral-small-2$/m);
    assert.match(
      run.stdout,
      /^ {4}Context Window Size +context_window_size from the \[Cline\] section of the report/m,
    );
    assert.match(run.stdout, /^ {4}Supports Images +off/m);
    assert.match(run.stdout, new RegExp(`export NODE_EXTRA_CA_CERTS="${out}"`));
    assert.match(run.stdout, /launchctl setenv NODE_EXTRA_CA_CERTS/);
    assert.match(run.stdout, /setx NODE_EXTRA_CA_CERTS/);
    assert.match(run.stdout, /update-ca-certificates/);
    assert.match(
      run.stdout,
      /^Verified: a Node\.js process trusting only NODE_EXTRA_CA_CERTS=.* \(200, lists devstral-small-2\)\.$/m,
    );

    const baseUrl = `${gateway.sandbox.url}/v1`;
    const chat = await openaiChat({ BASE_URL: baseUrl, API_KEY: gateway.key, CA_FILE: out });
    assert.equal(chat.ok, true, chat.message);
    assert.equal(chat.content, 'The stand-in says hello.');
    const tools = await openaiChat({ BASE_URL: baseUrl, API_KEY: gateway.key, CA_FILE: out, TOOLS: '1' });
    assert.equal(tools.toolCalls?.[0]?.name, 'read_file');
    // The control: the same SDK call trusting another CA fails, so the saved file is what made it work.
    const strangerCa = join(dir, 'stranger.pem');
    writeFileSync(strangerCa, makeTestPki().caPem);
    const refused = await openaiChat({ BASE_URL: baseUrl, API_KEY: gateway.key, CA_FILE: strangerCa });
    assert.equal(refused.ok, false);
  });
});
