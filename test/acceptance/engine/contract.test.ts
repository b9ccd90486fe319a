/**
 * Suite i (issue 11): the stand-in's contract (tools/standin/contract.ts, `npm run contract`) run against llama.cpp's
 * own llama-server on the small generated model. The outcome is pinned check by check: where llama-server answers
 * differently from LocalAI v4.9.0, the difference is recorded in tools/standin/CONTRACT.md ("llama-server's own
 * answers") and expected here, so a new difference — or one that disappears — fails this suite until the record
 * is updated. Answers are noise (random weights): the tool-call and `finish_reason: "stop"` checks fail for the
 * model, not for a shape. Needs `make engine`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MODEL_ID, type RunningEngine, startEngine } from '../../../tools/engine/server.ts';
import { type ContractReport, runContract } from '../../../tools/standin/contract.ts';

const CONTEXT = 4096;

/** Check name (its start) → what llama-server gives; each `fail` is a recorded difference (CONTRACT.md). */
const EXPECTED: ReadonlyArray<readonly [string, 'pass' | 'fail' | 'skip', string]> = [
  ['models: GET /v1/models', 'pass', ''],
  ['models: GET /models', 'pass', ''],
  ['health:', 'fail', 'no /healthz or /readyz: /health, 503 while loading'],
  ['chat stream: role chunk first', 'fail', 'no Cache-Control / X-Correlation-ID headers'],
  ['chat stream: include_usage', 'pass', ''],
  ['chat: non-streaming', 'pass', ''],
  ['chat stream + tools', 'fail', 'random model: text before [TOOL_CALLS] until the cap'],
  ['chat + tools, not streaming', 'fail', 'random model: text before [TOOL_CALLS] until the cap'],
  ['completions stream', 'fail', 'random model: finish_reason "length" at the cap'],
  ['completions: non-streaming', 'pass', ''],
  ['errors: unknown model', 'fail', 'llama-server serves its one model whatever the request names'],
  ['errors: malformed JSON', 'fail', '500 server_error with the JSON parser text'],
  ['errors: unknown route', 'pass', ''],
  ['errors: over-long prompt, not streaming', 'pass', ''],
  ['errors: over-long prompt, streaming', 'pass', ''],
  ['auth: no key', 'skip', ''],
  ['auth: the key', 'skip', ''],
  ['timing:', 'skip', ''],
  ['errors: backend failure', 'skip', ''],
  ['cancellation:', 'skip', ''],
  // Opt-in (--prompt-cache); warmup.test.ts runs it on llama-server with the slow model.
  ['prompt cache:', 'skip', ''],
];

describe("the stand-in's contract against llama-server", () => {
  let engine: RunningEngine;
  let report: ContractReport;
  before(async () => {
    engine = await startEngine({ size: 'small', contextSize: CONTEXT, readyTimeoutMs: 60_000 });
    report = await runContract(engine.url, {
      model: MODEL_ID,
      contextSize: CONTEXT,
      requestTimeoutMs: 120_000,
    });
  });
  after(() => engine?.stop());

  it('gives the recorded outcome for every check (CONTRACT.md, "llama-server\'s own answers")', () => {
    const seen = report.results.map((r) => {
      const expected = EXPECTED.find(([prefix]) => r.name.startsWith(prefix));
      return { name: r.name, status: r.status, expected: expected?.[1] ?? 'unlisted', detail: r.detail };
    });
    const unexpected = seen.filter((s) => s.status !== s.expected);
    assert.deepEqual(unexpected, [], JSON.stringify(unexpected, null, 2));
    assert.equal(seen.length, EXPECTED.length, seen.map((s) => s.name).join('\n'));
  });

  it('the differences are the recorded ones', () => {
    const detail = (prefix: string) => report.results.find((r) => r.name.startsWith(prefix))?.detail ?? '';
    assert.match(detail('health:'), /\/healthz HTTP 404/);
    assert.match(detail('errors: unknown model'), /HTTP 200, expected 404/);
    assert.match(detail('errors: malformed JSON'), /HTTP 500, expected 400: .*parse error/);
    assert.match(
      detail('errors: over-long prompt, not streaming'),
      /HTTP 400: request \(\d+ tokens\) exceeds the available context size \(4096 tokens\)/,
    );
  });
});
