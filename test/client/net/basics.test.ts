import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { explainFailure } from '../../../src/client/check/serverErrors.ts';
import { contextWindowFrom, trustLines } from '../../../src/client/cline/clineSettings.ts';
import type { CertificateFacts } from '../../../src/client/net/tlsProbe.ts';
import { matchPinned } from '../../../src/client/net/trust.ts';
import { parseTarget } from '../../../src/client/net/url.ts';
import { progressLine, progressText } from '../../../src/client/output/progress.ts';
import { normaliseFingerprint } from '../../../src/core/lib/fingerprint.ts';

const FP = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';

describe('client basics', () => {
  it('parses the URL with or without /v1 and refuses credentials in it', () => {
    const parsed = parseTarget('https://192.0.2.10/v1/');
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.target, {
      origin: 'https://192.0.2.10',
      host: '192.0.2.10',
      port: 443,
      secure: true,
      baseUrl: 'https://192.0.2.10/v1',
    });
    const v6 = parseTarget('[2001:db8::10]:8443');
    assert.ok(v6.ok);
    assert.equal(v6.target.host, '2001:db8::10');
    assert.equal(v6.target.baseUrl, 'https://[2001:db8::10]:8443/v1');
    const withUser = parseTarget('https://copilot:pw@192.0.2.10');
    assert.ok(!withUser.ok && /credentials/.test(withUser.message));
    assert.ok(!parseTarget('https://192.0.2.10/v2').ok);
  });

  it('normalises fingerprints as people paste them', () => {
    for (const text of [
      FP,
      FP.toLowerCase(),
      FP.replace(/:/g, ''),
      `sha256 Fingerprint=${FP}`,
      ` SHA256:${FP} `,
    ]) {
      assert.equal(normaliseFingerprint(text), FP, text);
    }
    assert.equal(normaliseFingerprint('AB:CD'), null);
  });

  it('pins only a CA: a matching server certificate is refused with the reason', () => {
    const cert = (fingerprint256: string, isCa: boolean) => ({ fingerprint256, isCa }) as CertificateFacts;
    assert.equal(matchPinned(FP, [cert('00', false), cert(FP, true)]).kind, 'ca');
    assert.equal(matchPinned(FP, [cert(FP, false)]).kind, 'leaf');
    assert.equal(matchPinned(FP, [cert('00', true)]).kind, 'none');
  });

  it('explains failures by their message', () => {
    assert.match(
      explainFailure(200, 'request (40000 tokens) exceeds the available context size (32768 tokens)').fix ??
        '',
      /ONEAPP_COPILOT_MODEL_CONTEXT/,
    );
    assert.match(
      explainFailure(null, 'rpc error: code = Unavailable desc = error reading from server: EOF').cause ?? '',
      /backend crashed/,
    );
    assert.match(explainFailure(null, 'no complete answer within 600 s').cause ?? '', /AVX2/);
    assert.match(explainFailure(429, 'queue full').fix ?? '', /QUEUE_LIMIT/);
  });

  it('shows a progress bar only on a terminal', () => {
    assert.equal(progressText('~4k turn 1', 12_500, 3, 6), '[##########··········] 3/6 ~4k turn 1 · 12 s');
    const pipe = Object.assign(new PassThrough(), { isTTY: false });
    let piped = '';
    pipe.on('data', (chunk: Buffer) => {
      piped += chunk.toString();
    });
    const silent = progressLine(pipe);
    silent.update('x', 1, 2);
    silent.clear();
    assert.equal(piped, '');
    const tty = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    let shown = '';
    tty.on('data', (chunk: Buffer) => {
      shown += chunk.toString();
    });
    const bar = progressLine(tty);
    bar.update('~1k turn 2', 1, 2);
    bar.clear();
    const clearLine = '\r\u001b[K';
    assert.equal(shown, `${clearLine}[##########··········] 1/2 ~1k turn 2 · 0 s${clearLine}`);
  });

  it('puts this platform first in the trust instructions, with the saved path', () => {
    const mac = trustLines('/Users/dev/.slm-copilot/vm-ca.pem', 'darwin');
    assert.equal(mac[1], 'macOS:');
    assert.ok(
      mac.some((line) =>
        line.includes('launchctl setenv NODE_EXTRA_CA_CERTS "/Users/dev/.slm-copilot/vm-ca.pem"'),
      ),
    );
    assert.ok(mac.some((line) => line.includes('setx NODE_EXTRA_CA_CERTS "<path to the saved ca.pem>"')));
    const windows = trustLines('C:\\Users\\dev\\ca.pem', 'win32');
    assert.equal(windows[1], 'Windows (PowerShell):');
    assert.ok(windows.some((line) => line.includes('Import-Certificate -FilePath "C:\\Users\\dev\\ca.pem"')));
  });

  it('reads a context window where a server states one', () => {
    const models = JSON.stringify({
      data: [{ id: 'devstral-small-2', object: 'model', context_length: 32768 }],
    });
    assert.equal(contextWindowFrom('devstral-small-2', models, null), 32768);
    assert.equal(
      contextWindowFrom('devstral-small-2', '{"data":[{"id":"devstral-small-2"}]}', '{"status":"ready"}'),
      null,
    );
    assert.equal(
      contextWindowFrom('devstral-small-2', null, '{"status":"ready","context_size":16384}'),
      16384,
    );
  });
});
