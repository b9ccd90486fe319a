/**
 * The re-warm pass against the LocalAI stand-in (which records every request and every client disconnect): the
 * relay learns prefixes per key name; after an engine restart it replays, most recent first, only those no real
 * request used since; a real request arriving during a warm-up closes it and goes first; the pass resumes with the
 * cancelled prefix; warm-ups never count in a key's usage; /metrics shows hashes and counts, never content.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { relayOptionsFromFile, resolveRelayConfig } from '../../../src/appliance/relay/config.ts';
import { type RunningRelay, startRelay } from '../../../src/appliance/relay/server.ts';
import { relayConfigFile, renderRelayKeyNames } from '../../../src/core/render/relayConfig.ts';
import {
  type LocalaiStandin,
  type RecordedRequest,
  startLocalaiStandin,
} from '../../../tools/standin/localaiStandin.ts';
import { INTERNAL_KEY, MODEL, send, until } from '../../support/relay.ts';
import { settingsFrom } from '../../support/settings.ts';

const IDLE_MS = 400;
const TOOLS = [{ type: 'function', function: { name: 'read_file', parameters: { type: 'object' } } }];
const systemPrompt = (name: string) => `You are agent ${name}. Workspace: /home/${name}/private-project.`;

const chat = (prefix: string, turn = 'Fix the bug.') => ({
  model: MODEL,
  messages: [
    { role: 'system', content: systemPrompt(prefix) },
    { role: 'user', content: turn },
  ],
  tools: TOOLS,
  max_tokens: 3,
  stream: true,
});

async function real(relay: RunningRelay, key: string, prefix: string, turn?: string) {
  const answer = await send(`http://127.0.0.1:${relay.port}`, {
    path: '/v1/chat/completions',
    body: chat(prefix, turn),
    headers: { 'x-slm-key-name': key },
  });
  assert.equal(answer.status, 200);
  return answer;
}

const systemOf = (request: RecordedRequest) =>
  ((request.body as { messages?: { content?: string }[] }).messages?.[0]?.content ?? '') as string;
const isWarmup = (request: RecordedRequest) => {
  const body = request.body as { max_tokens?: number; stream?: boolean; messages?: { content?: string }[] };
  return body.max_tokens === 1 && body.stream === true && body.messages?.at(-1)?.content === 'Hi';
};
const warmupsOf = (standin: LocalaiStandin) => standin.requests.filter(isWarmup);
const completions = (standin: LocalaiStandin) =>
  standin.requests.filter((request) => request.path === '/v1/chat/completions');

/** Writes the key names file as configure does (names only). */
const writeKeyNames = (path: string, names: readonly string[]) =>
  writeFileSync(path, renderRelayKeyNames(names));

interface Harness {
  relay: RunningRelay;
  standin: LocalaiStandin;
  storePath: string;
  keyNamesPath: string;
  logs: string[];
  /** Stops the stand-in and starts a new one on the same port (an engine restart). */
  restart(options?: Parameters<typeof startLocalaiStandin>[0]): Promise<LocalaiStandin>;
  close(): Promise<void>;
}

async function harness(keyNames = ['alice', 'bob', 'carol']): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-warmup-'));
  const storePath = join(dir, 'prefixes.json');
  const keyNamesPath = join(dir, 'relay-key-names.json');
  writeKeyNames(keyNamesPath, keyNames);
  let standin = await startLocalaiStandin({ apiKeys: [INTERNAL_KEY], slots: 1 });
  const port = standin.port;
  const logs: string[] = [];
  const relay = await startRelay({
    port: 0,
    upstreamUrl: standin.url,
    upstreamKey: INTERNAL_KEY,
    readiness: { pollIntervalMs: 50 },
    warmup: { prefixes: 8, budgetTokens: 100_000, storePath, keyNamesPath, idleMs: IDLE_MS, saveDelayMs: 0 },
    log: (line) => logs.push(line),
  });
  await until(() => relay.state() === 'ready', 3000, 'ready');
  const h: Harness = {
    relay,
    get standin() {
      return standin;
    },
    storePath,
    keyNamesPath,
    logs,
    restart: async (options = {}) => {
      await standin.close();
      await until(() => relay.state() === 'down', 3000, 'down after the stop');
      standin = await startLocalaiStandin({ port, apiKeys: [INTERNAL_KEY], slots: 1, ...options });
      return standin;
    },
    close: async () => {
      await relay.close();
      await standin.close();
    },
  };
  return h;
}

const requestsOfKey = (metrics: string, key: string) =>
  Number(metrics.match(new RegExp(`slm_copilot_requests_total\\{key="${key}"\\} (\\d+)`))?.[1] ?? 0);

describe('prefix warm-up', () => {
  it('the rendered warmup section reads back with the defaults (5 s idle, 30-day expiry); absent means off', () => {
    const settings = settingsFrom({});
    const file = relayConfigFile({
      settings,
      upstreamKeyFile: null,
      warmup: { prefixes: 8, budgetTokens: 19_660 },
    });
    const config = resolveRelayConfig(relayOptionsFromFile(JSON.parse(JSON.stringify(file)), () => ''));
    assert.deepEqual(config.warmup, {
      prefixes: 8,
      budgetTokens: 19_660,
      storePath: '/var/lib/slm-copilot-relay/prefixes.json',
      keyNamesPath: '/etc/slm-copilot/relay-key-names.json',
      idleMs: 5_000,
      expiryMs: 30 * 24 * 3600 * 1000,
      userTurn: 'Hi',
      saveDelayMs: 1_000,
    });
    const without = relayConfigFile({ settings, upstreamKeyFile: null });
    assert.equal(resolveRelayConfig(relayOptionsFromFile(without, () => '')).warmup, null);
  });

  it('learns prefixes per key into a 0600 store; /metrics and the log show hashes, keys and tokens, never content', async () => {
    const h = await harness();
    try {
      await real(h.relay, 'alice', 'A');
      await real(h.relay, 'alice', 'A', 'A later turn.');
      await real(h.relay, 'bob', 'B');
      assert.deepEqual(
        h.relay.warmer?.stored.map((entry) => entry.key),
        ['bob', 'alice'],
      );
      await until(() => existsSync(h.storePath), 2000, 'the store');
      assert.equal(statSync(h.storePath).mode & 0o777, 0o600);
      assert.match(readFileSync(h.storePath, 'utf8'), /private-project/);
      const metrics = h.relay.metrics();
      assert.match(metrics, /slm_copilot_warmup_prefix_tokens\{hash="[0-9a-f]{16}",key="alice"\} \d+/);
      assert.match(
        metrics,
        /slm_copilot_warmup_prefix_last_use_timestamp_seconds\{hash="[0-9a-f]{16}",key="bob"\} \d+/,
      );
      for (const text of [metrics, ...h.logs]) assert.ok(!text.includes('private-project'), text);
    } finally {
      await h.close();
    }
  });

  it('after a restart: most recent first, only prefixes unused since the start, no usage counted, once', async () => {
    const h = await harness();
    try {
      await real(h.relay, 'alice', 'A');
      await real(h.relay, 'bob', 'B');
      await real(h.relay, 'carol', 'C');
      const before = h.relay.metrics();
      assert.equal(warmupsOf(h.standin).length, 0, 'no pass before an engine start with prefixes');

      const standin = await h.restart();
      await until(() => h.relay.state() === 'ready', 3000, 'ready after the restart');
      // Bob comes back first: his prefix is warm by his own request and is not replayed.
      await real(h.relay, 'bob', 'B', 'Bob is back.');
      await until(() => warmupsOf(standin).length === 2, 5000, 'two warm-ups');
      await until(() => /slm_copilot_warmup_pass_active 0/.test(h.relay.metrics()), 2000, 'the pass to end');
      const warmups = warmupsOf(standin);
      assert.deepEqual(warmups.map(systemOf), [systemPrompt('C'), systemPrompt('A')]);
      for (const warmup of warmups) {
        assert.deepEqual(
          (warmup.body as { tools?: unknown }).tools,
          TOOLS,
          'the tools are part of the prefix',
        );
        assert.equal(warmup.headers['x-slm-key-name'], undefined);
        assert.equal(warmup.closedEarlyAt, undefined);
      }
      const bobsAt = completions(standin).find(
        (request) => systemOf(request) === systemPrompt('B') && !isWarmup(request),
      );
      assert.ok(
        bobsAt !== undefined && (warmups[0]?.receivedAt ?? 0) >= bobsAt.receivedAt + IDLE_MS - 50,
        'the pass waited for an idle model',
      );

      const after = h.relay.metrics();
      assert.equal(
        requestsOfKey(after, 'alice'),
        requestsOfKey(before, 'alice'),
        'warm-ups never count in usage',
      );
      assert.equal(requestsOfKey(after, 'carol'), requestsOfKey(before, 'carol'));
      assert.equal(requestsOfKey(after, 'bob'), requestsOfKey(before, 'bob') + 1);
      assert.match(after, /slm_copilot_warmup_requests_total\{outcome="ok"\} 2/);
      // The relay's own start was the first engine start (an empty pass); the restart is the second.
      assert.match(after, /slm_copilot_warmup_passes_total 2/);
      assert.match(after, /slm_copilot_warmup_pass_prefixes\{state="warmed"\} 2/);
      assert.match(after, /slm_copilot_warmup_pass_prefixes\{state="used"\} 1/);
      assert.match(after, /slm_copilot_warmup_prompt_tokens_total [1-9]\d*/);

      // Once per start: more idle time brings no second pass.
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 2));
      assert.equal(warmupsOf(standin).length, 2);
    } finally {
      await h.close();
    }
  });

  it('a real request during a warm-up cancels it (its connection closes) and goes first; the pass resumes with it', async () => {
    const h = await harness();
    try {
      await real(h.relay, 'alice', 'A');
      await real(h.relay, 'bob', 'B');
      const standin = await h.restart({ firstByteDelayMs: 1500 });
      await until(() => warmupsOf(standin).length === 1, 5000, 'the first warm-up');
      const cancelled = warmupsOf(standin)[0] as RecordedRequest;
      assert.equal(systemOf(cancelled), systemPrompt('B'));
      standin.behave({ firstByteDelayMs: 0 });
      const answer = await real(h.relay, 'carol', 'C');
      assert.ok(answer.complete);
      const carols = completions(standin).find((request) => systemOf(request) === systemPrompt('C'));
      assert.ok(cancelled.closedEarlyAt !== undefined, 'the warm-up was cancelled');
      assert.ok(
        carols !== undefined && (carols.slotAt ?? 0) >= cancelled.closedEarlyAt,
        'before the real task ran',
      );

      await until(() => warmupsOf(standin).length === 3, 5000, 'the resumed pass');
      await until(() => /slm_copilot_warmup_pass_active 0/.test(h.relay.metrics()), 2000, 'the pass to end');
      const warmups = warmupsOf(standin);
      assert.deepEqual(warmups.map(systemOf), [systemPrompt('B'), systemPrompt('B'), systemPrompt('A')]);
      assert.ok(
        (warmups[1]?.receivedAt ?? 0) >= (carols.finishedAt ?? 0) + IDLE_MS - 50,
        'resumed once idle',
      );
      assert.equal(warmups[1]?.closedEarlyAt, undefined);
      const metrics = h.relay.metrics();
      assert.match(metrics, /slm_copilot_warmup_requests_total\{outcome="cancelled"\} 1/);
      assert.match(metrics, /slm_copilot_warmup_requests_total\{outcome="ok"\} 2/);
      assert.equal(requestsOfKey(metrics, 'bob'), 1, "the warm-ups of bob's prefix are not bob's usage");
    } finally {
      await h.close();
    }
  });

  it('a key removed from AUTH_KEYS loses its entries at the next start; 0 prefixes deletes the store', async () => {
    const first = await harness();
    const { storePath, keyNamesPath } = first;
    try {
      await real(first.relay, 'alice', 'A');
      await real(first.relay, 'bob', 'B');
    } finally {
      await first.close();
    }
    writeKeyNames(keyNamesPath, ['alice']);
    const standin = await startLocalaiStandin({ apiKeys: [INTERNAL_KEY] });
    const start = (prefixes: number) =>
      startRelay({
        port: 0,
        upstreamUrl: standin.url,
        upstreamKey: INTERNAL_KEY,
        readiness: false,
        warmup: { prefixes, budgetTokens: 100_000, storePath, keyNamesPath, saveDelayMs: 0 },
        log: () => {},
      });
    try {
      const relay = await start(8);
      assert.deepEqual(
        relay.warmer?.stored.map((entry) => entry.key),
        ['alice'],
      );
      await relay.close();
      assert.doesNotMatch(readFileSync(storePath, 'utf8'), /"bob"/);
      const off = await start(0);
      assert.equal(off.warmer, null);
      assert.equal(existsSync(storePath), false);
      await off.close();
    } finally {
      await standin.close();
    }
  });

  it('the key names file changes between two passes: the removed key loses its prefixes at the next pass, no relay restart', async () => {
    const h = await harness();
    try {
      const relay = h.relay;
      await real(relay, 'alice', 'A');
      await real(relay, 'bob', 'B');
      await real(relay, 'carol', 'C');
      await until(() => /"bob"/.test(readFileSync(h.storePath, 'utf8')), 2000, "bob's prefix stored");
      // configure rewrites only the names file (and nginx's); the relay process and its configuration stay.
      writeKeyNames(h.keyNamesPath, ['alice', 'carol']);
      const standin = await h.restart();
      await until(() => h.relay.state() === 'ready', 3000, 'ready after the engine restart');
      await until(() => warmupsOf(standin).length === 2, 5000, 'two warm-ups');
      assert.equal(h.relay, relay, 'the same relay: not restarted');
      assert.deepEqual(
        warmupsOf(standin).map(systemOf),
        [systemPrompt('C'), systemPrompt('A')],
        'bob is not re-warmed',
      );
      assert.deepEqual(
        relay.warmer?.stored.map((entry) => entry.key),
        ['carol', 'alice'],
      );
      await until(
        () => !/"bob"/.test(readFileSync(h.storePath, 'utf8')),
        2000,
        "bob's prefix gone from the store",
      );
      assert.doesNotMatch(relay.metrics(), /slm_copilot_warmup_prefix_tokens\{[^}]*key="bob"/);
      assert.ok(h.logs.includes('relay: warm-up: 1 stored prefix(es) of removed key(s) deleted'));
      // A key added since is learned at once and kept when the store is saved (the file lists it by then).
      writeKeyNames(h.keyNamesPath, ['alice', 'carol', 'dave']);
      await real(relay, 'dave', 'D');
      await until(() => /"dave"/.test(readFileSync(h.storePath, 'utf8')), 2000, "dave's prefix stored");
    } finally {
      await h.close();
    }
  });

  it('a missing or invalid key names file is logged once, without content, and keeps every stored prefix', async () => {
    const h = await harness(['alice', 'bob']);
    try {
      await real(h.relay, 'alice', 'A');
      await real(h.relay, 'bob', 'B');
      rmSync(h.keyNamesPath);
      let standin = await h.restart();
      await until(() => warmupsOf(standin).length === 2, 5000, 'both re-warmed with the file missing');
      await real(h.relay, 'alice', 'A', 'a save with the file still missing');
      writeFileSync(h.keyNamesPath, '{"keyNames": "bob-secret-name"');
      standin = await h.restart();
      await until(() => warmupsOf(standin).length === 2, 5000, 'both re-warmed with the file invalid');
      assert.deepEqual(
        h.relay.warmer?.stored.map((entry) => entry.key).sort(),
        ['alice', 'bob'],
        'nothing deleted while the names are unknown',
      );
      const problems = h.logs.filter((line) => line.includes('key names file'));
      assert.deepEqual(problems, [
        `relay: warm-up key names file ${h.keyNamesPath} cannot be read (ENOENT); stored prefixes are kept`,
      ]);
      for (const line of h.logs) assert.ok(!line.includes('bob-secret-name'), line);
      // Readable again: the next pass prunes by it.
      writeKeyNames(h.keyNamesPath, ['alice']);
      await h.restart();
      await until(
        () => h.relay.warmer?.stored.every((entry) => entry.key === 'alice') === true,
        5000,
        'bob pruned once the file is back',
      );
      assert.ok(h.logs.includes(`relay: warm-up key names file ${h.keyNamesPath} readable again`));
    } finally {
      await h.close();
    }
  });
});
