// TEST STAND-IN for LocalAI: the contract (contract.ts) run against the stand-in, and shown to catch a server that
// breaks it. Not the product, never shipped.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import {
  type ContractReport,
  formatResult,
  PROMPT_CACHE_CHECK,
  runContract,
} from '../../../tools/standin/contract.ts';
import { type StandinOptions, startLocalaiStandin } from '../../../tools/standin/localaiStandin.ts';

function failures(report: ContractReport): string {
  return report.results
    .filter((r) => r.status === 'fail')
    .map(formatResult)
    .join('\n');
}

async function contractAgainstStandin(
  options: StandinOptions,
  contract: Parameters<typeof runContract>[1],
): Promise<ContractReport> {
  const standin = await startLocalaiStandin(options);
  try {
    return await runContract(`${standin.url}/v1`, contract);
  } finally {
    await standin.close();
  }
}

const statuses = (report: ContractReport, status: string) =>
  report.results.filter((r) => r.status === status).map((r) => r.name);

describe('LocalAI contract against the stand-in', () => {
  it('passes with the defaults; what needs a key or a context size is skipped with a reason', async () => {
    const report = await contractAgainstStandin({}, {});
    assert.ok(report.ok, failures(report));
    const skipped = report.results.filter((r) => r.status === 'skip');
    assert.ok(skipped.every((r) => r.detail.length > 0));
    assert.ok(statuses(report, 'skip').some((name) => name.startsWith('auth:')));
    assert.ok(statuses(report, 'skip').some((name) => name.startsWith('errors: over-long prompt')));
  });

  it('passes with an API key and a context size: auth and overflow checks run', async () => {
    const report = await contractAgainstStandin(
      { apiKeys: ['sk-contract-0000000000000000000000000000'], contextSize: 4096 },
      { apiKey: 'sk-contract-0000000000000000000000000000', contextSize: 4096 },
    );
    assert.ok(report.ok, failures(report));
    assert.deepEqual(
      statuses(report, 'skip').filter((name) => name.startsWith('auth:') || name.includes('over-long')),
      [],
    );
  });

  for (const style of ['llama-server', 'openai'] as const) {
    it(`passes with ${style}-style overflow errors and OpenAI-style incremental tool calls`, async () => {
      const report = await contractAgainstStandin(
        {
          contextSize: 4096,
          contextOverflowStyle: style,
          toolCallStreaming: 'incremental',
          toolCallArgumentChunks: 3,
        },
        { contextSize: 4096 },
      );
      assert.ok(report.ok, failures(report));
    });
  }

  it('the prompt-cache check is opt-in, and fails a server without a host prompt cache (the stand-in has none)', async () => {
    const skipped = await contractAgainstStandin({}, {});
    assert.match(
      skipped.results.find((r) => r.name === PROMPT_CACHE_CHECK)?.detail ?? '',
      /opt-in \(--prompt-cache\)/,
    );
    // Simulated prefill: every prompt costs its full time, as on a server whose cache_ram is 0.
    const report = await contractAgainstStandin({ promptTokensPerSecond: 20_000 }, { promptCache: true });
    const result = report.results.find((r) => r.name === PROMPT_CACHE_CHECK);
    assert.equal(result?.status, 'fail', result?.detail);
    assert.match(result?.detail ?? '', /did not come back from the host prompt cache/);
  });

  it('fails a server that streams the pre-4.2.5 way (usage in every chunk, no role chunk)', async () => {
    const server: Server = createServer((req, res) => {
      if (req.url === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"object":"list","data":[{"id":"devstral-small-2","object":"model"}]}');
        return;
      }
      const usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
      const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({
          id: 'x',
          object: 'chat.completion.chunk',
          created: 1,
          model: 'devstral-small-2',
          choices: [{ index: 0, delta, finish_reason: finish }],
          usage,
        })}\n\n`;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.end(`${chunk({ content: 'Hi' }, null)}${chunk({}, 'stop')}data: [DONE]\n\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const report = await runContract(`http://127.0.0.1:${port}`, { requestTimeoutMs: 5000 });
      assert.equal(report.ok, false);
      const failed = report.results.filter((r) => r.status === 'fail');
      const stream = failed.find((r) => r.name.startsWith('chat stream: role chunk first'));
      assert.match(stream?.detail ?? '', /delta\.role/);
      assert.ok(failed.some((r) => r.name.startsWith('chat stream: include_usage')));
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
