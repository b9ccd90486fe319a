import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { jsonOf, requireBundle } from '../../support/bundle.ts';
import { runMain } from '../../support/cli.ts';
import { type Gateway, startGateway } from '../../support/gateway.ts';

interface Rates {
  prefillTokensPerSecond: number | null;
  decodeTokensPerSecond: number | null;
}
interface BenchReport {
  exitCode: number;
  sizes: (Rates & { label: string; source: string; promptTokens: number; secondTurn: { verdict: string } })[];
  diagnoses: { id: string; status: string; message: string; fix?: string }[];
  measurements: ({ size: number; turn: number; ok: boolean; client: Rates; server: Rates } & Rates)[];
  warmup: { state: string; limit?: number; stored?: number };
}

const PREFILL = 10_000;
const DECODE = 20;
const within = (actual: number | null, expected: number, tolerance: number, what: string) => {
  assert.ok(actual !== null, `${what}: no value`);
  assert.ok(
    Math.abs(actual - expected) / expected <= tolerance,
    `${what}: ${actual} is not within ${tolerance * 100}% of ${expected}`,
  );
};
const within10 = (actual: number | null, expected: number, what: string) =>
  within(actual, expected, 0.1, what);

describe('slm-copilot bench (the bundle, against the stand-in with set prefill and decode speeds)', () => {
  let gateway: Gateway;
  let fingerprint: string;
  before(async () => {
    requireBundle();
    gateway = await startGateway({
      standin: {
        promptTokensPerSecond: PREFILL,
        decodeTokensPerSecond: DECODE,
        pieces: Array.from({ length: 32 }, (_, i) => ` w${i}`),
      },
    });
    fingerprint = new X509Certificate(gateway.caPem).fingerprint256;
  });
  after(() => gateway?.close());

  it('reports prefill and decode speeds within 10% at ~1k, 4k and 16k tokens, and a prompt cache that is not reused', async () => {
    const run = await runMain([
      'bench',
      gateway.sandbox.url,
      '--key',
      gateway.key,
      '--fingerprint',
      fingerprint,
      '--max-tokens',
      '12',
      '--json',
    ]);
    const report = jsonOf<BenchReport>(run);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(
      report.sizes.map((s) => s.label),
      ['~1k', '~4k', '~16k'],
    );
    for (const size of report.sizes) {
      assert.equal(size.source, 'server');
      within10(size.prefillTokensPerSecond, PREFILL, `${size.label} prefill`);
      within10(size.decodeTokensPerSecond, DECODE, `${size.label} decode`);
    }
    // The client's own clock agrees (arrival times through nginx and the relay). The stand-in's per-token timers
    // fire late on a loaded machine, so the decode rate it really delivered is a little lower: a median, 20%.
    const largest = report.measurements.filter((m) => m.size === 16_384 && m.turn === 1);
    within(largest[0]?.client.prefillTokensPerSecond ?? null, PREFILL, 0.1, '16k client prefill');
    const decodes = report.measurements.map((m) => m.client.decodeTokensPerSecond ?? 0).sort((a, b) => a - b);
    within(decodes[Math.floor(decodes.length / 2)] ?? null, DECODE, 0.2, 'median client decode');
    assert.ok(report.sizes[2] && report.sizes[2].promptTokens > 12_000, 'the 16k prompt is about 16k tokens');
    const cache = report.diagnoses.find((d) => d.id === 'prompt-cache');
    assert.equal(
      cache?.status,
      'warn',
      'the stand-in has no prompt cache: the second turn is processed in full',
    );
    assert.match(cache?.fix ?? '', /prompt_cache_all/);
    assert.equal(report.diagnoses.find((d) => d.id === 'host-passthrough')?.status, 'pass');
    // The sandbox runs the relay as the appliance renders it: warm-up on, ONEAPP_COPILOT_API_WARMUP's default.
    assert.equal(report.warmup.state, 'on');
    assert.equal(report.warmup.limit, 8);
  });

  it('prints a table and the diagnoses, and no progress bar when stderr is not a terminal', async () => {
    const run = await runMain([
      'bench',
      gateway.sandbox.url,
      '--key',
      gateway.key,
      '--ca',
      gateway.sandbox.caPath,
      '--sizes',
      '1k',
      '--max-tokens',
      '8',
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(
      run.stdout,
      /^prompt +turn +prompt tokens +first token +prefill tok\/s +decode tok\/s +cache reuse$/m,
    );
    assert.match(run.stdout, /^~1k +1 +\d+ +\d+\.\d\d s +[\d,]+ +\d+\.\d$/m);
    assert.match(run.stdout, /^WARN {2}.*prompt cache looks disabled/m);
    assert.match(run.stdout, /^Warm-up: on, keeps up to 8 prompt prefixes \(\d+ stored\)/m);
    assert.equal(run.stderr, '');
  });

  it('refuses to send anything to a server it cannot verify', async () => {
    const before = gateway.standin.requests.filter((r) => r.path.startsWith('/v1/')).length;
    const run = await runMain(['bench', gateway.sandbox.url, '--key', gateway.key]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /FAIL {2}tls/);
    assert.equal(gateway.standin.requests.filter((r) => r.path.startsWith('/v1/')).length, before);
  });
});
