import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LAYOUT } from '../../../src/core/facts/layout.ts';
import { computePlan } from '../../../src/core/plan/plan.ts';
import { RELAY_CONFIG_PATH, RELAY_KEY_NAMES_PATH } from '../../../src/core/render/relayConfig.ts';
import { warmupBudget } from '../../../src/core/sizing/warmupBudget.ts';
import { fixtureHost } from '../../support/hosts.ts';
import { settingsFrom, TEST_SECRETS } from '../../support/settings.ts';

describe('warm-up budget', () => {
  it('8 GiB of cache_ram holds 52428 Devstral tokens (160 KiB each); one 32k conversation is kept free', () => {
    assert.deepEqual(warmupBudget(8192, 32_768), {
      cacheTokens: 52_428,
      liveReserveTokens: 32_768,
      budgetTokens: 19_660,
    });
    assert.equal(warmupBudget(8192, 16_384).budgetTokens, 52_428 - 16_384);
  });
  it('a cache no larger than one conversation leaves nothing to warm (never negative)', () => {
    assert.equal(warmupBudget(4096, 32_768).budgetTokens, 0);
    assert.equal(warmupBudget(0, 8_192).budgetTokens, 0);
  });
  it('the plan passes the setting, the budget and the key names file to the relay; the names (never the keys) are in that file', () => {
    const host = fixtureHost('epyc-passthrough-smt-32g');
    const planned = computePlan({
      settings: settingsFrom({ ONEAPP_COPILOT_API_WARMUP: '3' }),
      host,
      secrets: TEST_SECRETS,
      version: '0.0.0-test',
      tls: null,
    });
    assert.ok(planned.ok);
    const file = planned.plan.files.find((entry) => entry.path === RELAY_CONFIG_PATH);
    const relay = JSON.parse(file?.content ?? '{}');
    const { sizing } = planned.plan;
    assert.ok(sizing !== null);
    assert.deepEqual(relay.warmup, {
      prefixes: 3,
      budgetTokens: warmupBudget(sizing.promptCacheMib, sizing.contextSize).budgetTokens,
      storePath: '/var/lib/slm-copilot-relay/prefixes.json',
      keyNamesPath: RELAY_KEY_NAMES_PATH,
    });
    for (const { name } of TEST_SECRETS.apiKeys) assert.ok(!file?.content.includes(`"${name}"`), name);
    const names = planned.plan.files.find((entry) => entry.path === RELAY_KEY_NAMES_PATH);
    assert.deepEqual(JSON.parse(names?.content ?? '{}'), {
      version: 1,
      keyNames: [...TEST_SECRETS.apiKeys.map((entry) => entry.name), 'user:copilot'].sort(),
    });
    for (const { key } of TEST_SECRETS.apiKeys) {
      assert.ok(!file?.content.includes(key));
      assert.ok(!names?.content.includes(key));
    }
  });
  it('the report says whether warm-up is on, its budget, where prompts are stored and who can read them', () => {
    const host = fixtureHost('epyc-passthrough-smt-32g');
    const report = (value: string) => {
      const planned = computePlan({
        settings: settingsFrom({ ONEAPP_COPILOT_API_WARMUP: value }),
        host,
        secrets: TEST_SECRETS,
        version: '0.0.0-test',
        tls: null,
      });
      assert.ok(planned.ok);
      return planned.plan.files.find((entry) => entry.path === LAYOUT.report)?.content ?? '';
    };
    const on = report('5');
    assert.match(on, /\[Warm-up\]\nstate = on: up to 5 prompt prefixes/);
    assert.match(on, /store = \/var\/lib\/slm-copilot-relay\/prefixes\.json/);
    assert.match(
      on,
      /privacy = .*workspace paths and custom instructions.*readable by root and the relay.*snapshots/,
    );
    const off = report('0');
    assert.match(off, /\[Warm-up\]\nstate = off \(ONEAPP_COPILOT_API_WARMUP=0\): no prompt prefix is stored/);
    assert.doesNotMatch(off, /privacy =/);
  });
  it('the setting accepts 0 to 64', () => {
    assert.equal(settingsFrom({ ONEAPP_COPILOT_API_WARMUP: '0' }).apiWarmup, 0);
    assert.equal(settingsFrom({}).apiWarmup, 8);
    assert.throws(() => settingsFrom({ ONEAPP_COPILOT_API_WARMUP: '65' }));
  });
});
