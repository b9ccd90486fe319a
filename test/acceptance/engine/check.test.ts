/**
 * Suite a (issue 11): `slm-copilot check` (the built bundle) passes every check against the sandbox — real nginx
 * and relay — in front of llama.cpp's llama-server on the small generated model, run as LocalAI runs it. The model
 * id comes from llama-server's `--alias devstral-small-2`. Answers are noise; tokens, timings and caching are real.
 * Needs `make engine` and `make build`.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CHECKS } from '../../../src/client/check/runCheck.ts';
import { jsonOf, requireBundle, runBundleAsync } from '../../support/bundle.ts';
import { type EngineGateway, engineMetrics, startEngineGateway } from '../../support/engineGateway.ts';

interface Report {
  verified: boolean;
  results: { id: string; status: string; reason: string }[];
}

describe('slm-copilot check against the sandbox in front of llama-server', () => {
  let gateway: EngineGateway;
  before(async () => {
    requireBundle();
    gateway = await startEngineGateway({ engine: { size: 'small', maxTokens: 64 } });
  });
  after(() => gateway?.close());

  it('passes every check, with the requests answered by the engine', async () => {
    const before = await engineMetrics(gateway.engine);
    const { user, password } = gateway.sandbox.credentials;
    const fingerprint = new X509Certificate(gateway.caPem).fingerprint256;
    const run = await runBundleAsync(
      ['check', gateway.sandbox.url, '--key', gateway.key, '--fingerprint', fingerprint, '--json'].concat([
        '--user',
        user,
        '--password',
        password,
      ]),
      { timeoutMs: 300_000 },
    );
    const report = jsonOf<Report>(run);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.equal(report.verified, true);
    const failed = report.results.filter((r) => r.status !== 'pass');
    assert.deepEqual(failed, [], JSON.stringify(failed, null, 2));
    assert.deepEqual(
      report.results.map((r) => r.id),
      CHECKS.map(([id]) => id),
    );
    // The answers came from llama-server, not from somewhere else on the way.
    const after = await engineMetrics(gateway.engine);
    assert.ok(
      (after.tokens_predicted_total ?? 0) > (before.tokens_predicted_total ?? 0),
      'the engine generated the answers',
    );
  });

  it("prints the relay's log lines once prefixed ('relay: …', never 'relay: relay: …')", () => {
    const output = gateway.sandbox.output();
    assert.match(output, /^relay: key=\S+ route=chat stream=true status=200 outcome=ok /m);
    assert.doesNotMatch(output, /relay: relay:/);
  });
});
