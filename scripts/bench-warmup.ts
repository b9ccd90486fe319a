/**
 * What the relay's prefix warm-up buys after an engine start, on the real engine (llama-server, the slow generated
 * model by default: its prefill runs at tens to a few hundred tokens per second on this kind of machine, as a 24B
 * model does on a large VM), in one run:
 *   1. an agent's first request (long system prompt, 25 tools, ~5k tokens) on a freshly started engine: cold;
 *   2. the engine restarted under the same relay, which re-warms the prefix it learned; the agent's next first
 *      request (a new task): warm;
 *   3. the engine restarted again; a short real request sent while the warm-up is in its prompt, and the same
 *      request on the idle engine afterwards: what a warm-up costs live work.
 * Prints time to first token and prompt tokens recomputed for each, with the ratios. A benchmark, not a test: it
 * asserts nothing. Needs `make engine`.
 *
 *   npm run bench:warmup -- [--model slow|small] [--system-tokens N]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  agentSystem,
  describeTimings,
  firstTurn,
  restartEngine,
  shortTurn,
  streamTurn,
  type Turn,
  warmingRelay,
  warmups,
} from '../test/support/agentSessions.ts';
import { until } from '../test/support/relay.ts';
import { type RunningEngine, startEngine } from '../tools/engine/server.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'slow' },
    'system-tokens': { type: 'string', default: '4200' },
  },
});
if (values.model !== 'slow' && values.model !== 'small') {
  console.error(`--model: expected slow or small, got ${JSON.stringify(values.model)}`);
  process.exit(2);
}
const systemTokens = Number(values['system-tokens']);
if (!Number.isInteger(systemTokens) || systemTokens < 500) {
  console.error(`--system-tokens: expected a whole number of at least 500, got ${values['system-tokens']}`);
  process.exit(2);
}

const LONG_MS = 20 * 60_000;
const ENGINE = {
  size: values.model,
  maxTokens: 1,
  cacheRamMib: 1024,
  contextSize: 16_384,
  readyTimeoutMs: LONG_MS,
} as const;
const system = agentSystem(systemTokens, 'alice');
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const row = (label: string, turn: Turn) =>
  `  ${label.padEnd(34)} first token ${seconds(turn.firstTokenMs).padStart(9)}   ${describeTimings(turn.timings)}`;

let engine: RunningEngine = await startEngine(ENGINE);
const relay = await warmingRelay(engine, {
  storePath: join(mkdtempSync(join(tmpdir(), 'bench-warmup-')), 'prefixes.json'),
  keyNames: ['alice', 'bob', 'carol'],
});
const url = `http://127.0.0.1:${relay.port}`;
try {
  await until(() => relay.state() === 'ready', LONG_MS, 'the relay to see the engine ready');
  console.log(
    `bench:warmup: ${values.model} model, agent prompt of ${systemTokens} system tokens + 25 tools`,
  );

  const cold = await streamTurn(url, firstTurn('alice', system, 'Add a unit test for the parser.'));
  engine = await restartEngine(engine, ENGINE);
  await until(() => warmups(relay) === 1, LONG_MS, 'the re-warm pass');
  const warm = await streamTurn(url, firstTurn('alice', system, 'Rename the config loader.'));

  engine = await restartEngine(engine, ENGINE);
  await until(() => /prompt processing, n_tokens =/.test(engine.log()), LONG_MS, 'a warm-up prompt batch');
  const busy = await streamTurn(url, shortTurn('bob'));
  await until(() => warmups(relay) === 2, LONG_MS, 'the resumed warm-up');
  const idle = await streamTurn(url, shortTurn('carol'));

  console.log(row('first request, engine just started', cold));
  console.log(row('first request after the re-warm', warm));
  console.log(`  warm / cold first token: ${(warm.firstTokenMs / cold.firstTokenMs).toFixed(4)}`);
  console.log(row('short request during a warm-up', busy));
  console.log(row('short request, idle engine', idle));
  console.log(
    `  during a warm-up / idle first token: ${(busy.firstTokenMs / idle.firstTokenMs).toFixed(1)} ` +
      '(the warm-up is cancelled at once; llama.cpp finishes the prompt batch under way first)',
  );
} finally {
  await relay.close();
  await engine.stop();
}
