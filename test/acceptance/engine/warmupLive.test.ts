/**
 * Issue 13, warm-ups meeting live work on the real engine (llama-server):
 * - 4b (the slow model, so a warm-up's prefill lasts seconds): a real request arriving during a warm-up; llama-server's
 *   log shows the warm-up's task cancelled before the real task starts; the resumed warm-up takes what the cancelled
 *   one had processed (`cache_n` > 0); the real request's time to first token is printed as a ratio to an idle engine.
 * - 4d (the small model): a live five-turn conversation interleaved with a pass that fills the warm-up budget (the
 *   host cache minus room for one conversation): every turn from the second finds the previous turn in the cache.
 * Needs `make engine`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunningRelay } from '../../../src/appliance/relay/server.ts';
import { type RunningEngine, startEngine } from '../../../tools/engine/server.ts';
import {
  AGENT_TOOLS,
  agentSystem,
  describeTimings,
  firstTurn,
  type Message,
  relayMetric,
  relayUrl,
  restartEngine,
  shortTurn,
  storeIn,
  streamTurn,
  type Turn,
  warmingRelay,
  warmups,
} from '../../support/agentSessions.ts';
import { until } from '../../support/relay.ts';

const passActive = (relay: RunningRelay) => relayMetric(relay, 'slm_copilot_warmup_pass_active') === 1;

interface TaskEvent {
  readonly task: number;
  readonly event: 'launch' | 'cancel' | 'timing';
  /** For 'timing': the prompt tokens the task computed. */
  readonly tokens?: number;
}

/** llama-server's log lines about tasks: started on the slot, cancelled, prompt done (with tokens computed). */
function taskEvents(log: string): TaskEvent[] {
  return log.split('\n').flatMap((line): TaskEvent[] => {
    const launch = /launch_slot_: .*task (\d+) \| processing task/.exec(line);
    if (launch !== null) return [{ task: Number(launch[1]), event: 'launch' }];
    const cancel = /cancel task, id_task = (\d+)/.exec(line);
    if (cancel !== null) return [{ task: Number(cancel[1]), event: 'cancel' }];
    const timing = /task (\d+) \| prompt eval time = +[\d.]+ ms \/ +(\d+) tokens/.exec(line);
    if (timing !== null) return [{ task: Number(timing[1]), event: 'timing', tokens: Number(timing[2]) }];
    return [];
  });
}

describe('warm-ups and live work on llama-server', () => {
  test('a real request during a warm-up cancels it first; the resumed warm-up reuses what was processed', async () => {
    const ENGINE = { size: 'slow' as const, maxTokens: 1, cacheRamMib: 512, contextSize: 8192 };
    const lines: string[] = [];
    let engine: RunningEngine = await startEngine(ENGINE);
    const relay = await warmingRelay(engine, {
      storePath: storeIn('warmup-b'),
      keyNames: ['alice', 'bob', 'carol'],
      log: (line) => lines.push(line),
    });
    try {
      await until(() => relay.state() === 'ready', 60_000, 'ready');
      await streamTurn(relayUrl(relay), firstTurn('alice', agentSystem(600, 'alice'), 'Add a test.'));

      engine = await restartEngine(engine, ENGINE);
      // The warm-up is under way once llama-server reports its first prompt batch.
      await until(() => /prompt processing, n_tokens =/.test(engine.log()), 120_000, 'a warm-up batch');
      const busy = await streamTurn(relayUrl(relay), shortTurn('bob'));
      await until(() => warmups(relay) === 1, 120_000, 'the resumed warm-up');
      await until(() => !passActive(relay), 10_000, 'the end of the pass');
      const idle = await streamTurn(relayUrl(relay), shortTurn('carol'));

      const events = taskEvents(engine.log());
      // Task order on the restarted engine: the relay's readiness probe, the warm-up, bob, the resumed warm-up, carol.
      const cancelled = events.find((e) => e.event === 'cancel');
      assert.ok(cancelled !== undefined, `no cancelled task in llama-server's log:\n${engine.log()}`);
      const cancelAt = events.indexOf(cancelled);
      const launches = events.filter((e) => e.event === 'launch').map((e) => e.task);
      const warmupTask = cancelled.task;
      const realTask = launches[launches.indexOf(warmupTask) + 1];
      const resumedTask = launches[launches.indexOf(warmupTask) + 2];
      assert.ok(realTask !== undefined && resumedTask !== undefined, JSON.stringify(events));
      const realLaunchAt = events.findIndex((e) => e.event === 'launch' && e.task === realTask);
      assert.ok(
        cancelAt < realLaunchAt,
        `the warm-up (task ${warmupTask}) is cancelled before task ${realTask}`,
      );
      assert.equal(
        events.find((e) => e.event === 'timing' && e.task === warmupTask),
        undefined,
        'the cancelled warm-up never finished its prompt',
      );

      const resumedComputed = events.find((e) => e.event === 'timing' && e.task === resumedTask)?.tokens;
      const warmupPrompt = Number(
        /warm-up \S+ key=alice done: prompt_tokens=(\d+)/.exec(lines.join('\n'))?.[1],
      );
      assert.ok(resumedComputed !== undefined && warmupPrompt > 0, lines.join('\n'));
      const resumedCached = warmupPrompt - resumedComputed;
      console.log(
        `real request during a warm-up: first token after ${busy.firstTokenMs.toFixed(0)} ms, idle engine ` +
          `${idle.firstTokenMs.toFixed(0)} ms (ratio ${(busy.firstTokenMs / idle.firstTokenMs).toFixed(2)}); ` +
          `resumed warm-up: cache_n ${resumedCached} of ${warmupPrompt} prompt tokens`,
      );
      assert.ok(resumedCached > 0, `the resumed warm-up recomputed all ${warmupPrompt} tokens`);
      assert.equal(warmups(relay, 'cancelled'), 1);
    } finally {
      await relay.close();
      await engine.stop();
    }
  });

  test('a five-turn conversation beside a pass that fills the budget keeps every turn in the cache', async () => {
    // Small model: 1 KiB of KV per token, so 32 MiB of host cache holds 32,768 tokens; one conversation of up to
    // the context (16,384) stays free, so the warm-ups may take 16,384 tokens: two of the four ~6k-token prefixes.
    const ENGINE = { size: 'small' as const, maxTokens: 16, cacheRamMib: 32, contextSize: 16_384 };
    const BUDGET = 32 * 1024 - 16_384;
    const agents = ['ann', 'ben', 'cid', 'dan'];
    let engine: RunningEngine = await startEngine(ENGINE);
    const relay = await warmingRelay(engine, {
      storePath: storeIn('warmup-d'),
      keyNames: [...agents, 'carol'],
      budgetTokens: BUDGET,
      idleMs: 200,
    });
    try {
      await until(() => relay.state() === 'ready', 30_000, 'ready');
      for (const name of agents)
        await streamTurn(relayUrl(relay), firstTurn(name, agentSystem(4200, name), 'Fix the build.'));
      const kept = relay.warmer?.stored.length ?? 0;
      assert.ok(
        kept >= 2 && kept < agents.length,
        `the budget keeps some of the prefixes, not all (${kept})`,
      );

      engine = await restartEngine(engine, ENGINE);
      await until(() => relay.state() === 'ready' && passActive(relay), 30_000, 'a pass after the restart');
      const messages: Message[] = [{ role: 'system', content: agentSystem(4200, 'carol') }];
      const turns: Turn[] = [];
      for (let n = 1; n <= 5; n += 1) {
        const before = warmups(relay);
        messages.push({ role: 'user', content: `Step ${n}: continue with the next file.` });
        const turn = await streamTurn(relayUrl(relay), {
          key: 'carol',
          messages,
          tools: AGENT_TOOLS,
          maxTokens: 16,
        });
        turns.push(turn);
        messages.push({ role: 'assistant', content: turn.text });
        // Let a warm-up take the model between two turns while the pass has any left.
        if (n < 5) await until(() => warmups(relay) > before || !passActive(relay), 30_000, 'a warm-up');
      }
      const warmed = warmups(relay);
      console.log(
        `conversation beside a pass of ${warmed} warm-up(s): ${turns.map((t) => describeTimings(t.timings)).join('; ')}`,
      );
      assert.ok(warmed >= 2, `warm-ups ran between the turns (${warmed})`);
      assert.equal(warmups(relay, 'error'), 0, 'no warm-up failed');
      assert.ok(!passActive(relay), 'the pass ended: the budget is spent');
      for (let n = 1; n < turns.length; n += 1) {
        const previous = turns[n - 1]?.timings;
        const current = turns[n]?.timings;
        assert.ok(previous !== undefined && current !== undefined);
        const previousPrompt = previous.prompt_n + previous.cache_n;
        assert.ok(
          current.cache_n >= previousPrompt - 8,
          `turn ${n + 1}: cache_n ${current.cache_n} < turn ${n}'s ${previousPrompt} prompt tokens - 8`,
        );
      }
    } finally {
      await relay.close();
      await engine.stop();
    }
  });
});
