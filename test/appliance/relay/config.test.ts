import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  RELAY_DEFAULTS,
  relayOptionsFromFile,
  resolveRelayConfig,
} from '../../../src/appliance/relay/config.ts';
import { runRelayFromConfigFile } from '../../../src/appliance/relay/main.ts';
import { relayConfigFile, renderRelayConfig } from '../../../src/core/render/relayConfig.ts';
import { RELAY_UNIT_PATH, renderRelayUnit } from '../../../src/core/render/relayUnit.ts';
import { startLocalaiStandin } from '../../../tools/standin/localaiStandin.ts';
import { assertGolden } from '../../support/golden.ts';
import { INTERNAL_KEY, send } from '../../support/relay.ts';
import { settingsFrom } from '../../support/settings.ts';

describe('relay configuration', () => {
  it('defaults: 127.0.0.1:8081, grace 20 s, keep-alive 15 s, timeout 30 min, queue 16, keep-alive longer than nginx', () => {
    const config = resolveRelayConfig({ upstreamUrl: 'http://127.0.0.1:8080/' });
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8081);
    assert.equal(config.upstreamUrl, 'http://127.0.0.1:8080');
    assert.equal(config.upstreamKey, null);
    assert.equal(config.keyNameHeader, 'X-SLM-Key-Name');
    assert.equal(config.graceMs, 20_000);
    assert.equal(config.keepAliveIntervalMs, 15_000);
    assert.equal(config.timeoutMs, 1_800_000);
    assert.equal(config.queueLimit, 16);
    assert.ok(config.serverKeepAliveMs > 60_000, 'longer than nginx keepalive_timeout 60s');
    assert.deepEqual(config.readiness, RELAY_DEFAULTS.readiness);
  });
  it('refuses what cannot work, naming every problem', () => {
    assert.throws(() => resolveRelayConfig({ upstreamUrl: 'https://x' }), /must be an http:\/\/ URL/);
    assert.throws(
      () =>
        resolveRelayConfig({
          upstreamUrl: 'http://x',
          graceMs: -1,
          keepAliveIntervalMs: 0,
          upstreamKey: 'a b',
        }),
      /graceMs must be an integer ≥ 0.*keepAliveIntervalMs must be an integer ≥ 1.*printable ASCII/,
    );
  });
  it('the rendered file follows the settings (seconds → milliseconds) and reads back into the same options', () => {
    const settings = settingsFrom({
      ONEAPP_COPILOT_API_STREAM_GRACE: '1',
      ONEAPP_COPILOT_API_KEEPALIVE_INTERVAL: '2',
      ONEAPP_COPILOT_API_QUEUE_LIMIT: '3',
      ONEAPP_COPILOT_API_TIMEOUT: '600',
    });
    const file = relayConfigFile({ settings, upstreamKeyFile: '/etc/slm-copilot/localai.key' });
    const options = relayOptionsFromFile(JSON.parse(JSON.stringify(file)), (path) => {
      assert.equal(path, '/etc/slm-copilot/localai.key');
      return `${INTERNAL_KEY}\n`;
    });
    const config = resolveRelayConfig(options);
    assert.equal(config.graceMs, 1000);
    assert.equal(config.keepAliveIntervalMs, 2000);
    assert.equal(config.queueLimit, 3);
    assert.equal(config.timeoutMs, 600_000);
    assert.equal(config.upstreamKey, INTERNAL_KEY);
    assert.equal(config.upstreamUrl, 'http://127.0.0.1:8080');
    assert.equal(config.port, 8081);
  });
  it('rejects a file without an upstream, or with wrongly typed numbers', () => {
    assert.throws(() => relayOptionsFromFile({}, () => ''), /no upstream.url/);
    assert.throws(
      () => relayOptionsFromFile({ upstream: { url: 'http://x' }, graceMs: '20' }, () => ''),
      /graceMs must be a number/,
    );
  });
  it('relay.json and the systemd unit match their golden files', () => {
    assertGolden(
      new URL('./golden/relay.json', import.meta.url),
      renderRelayConfig(
        relayConfigFile({ settings: settingsFrom(), upstreamKeyFile: '/etc/slm-copilot/localai-api.key' }),
      ),
    );
    assertGolden(new URL('./golden/slm-copilot-relay.service', import.meta.url), renderRelayUnit());
  });
  it('the unit runs the relay as its own user, restarts on failure, and leaves the JIT alone', () => {
    const unit = renderRelayUnit();
    assert.equal(RELAY_UNIT_PATH, '/etc/systemd/system/slm-copilot-relay.service');
    assert.match(unit, /^User=slm-copilot$/m);
    assert.match(
      unit,
      /^ExecStart=\/usr\/local\/bin\/slm-copilot relay --config \/etc\/slm-copilot\/relay.json$/m,
    );
    assert.match(unit, /^Restart=on-failure$/m);
    assert.match(unit, /^ProtectSystem=strict$/m);
    assert.match(unit, /^StateDirectory=slm-copilot-relay$/m);
    assert.doesNotMatch(unit, /MemoryDenyWriteExecute/);
    assert.doesNotMatch(unit, /ReadWritePaths/);
  });
  it('runRelayFromConfigFile starts a relay from a file (inline key for sandboxes)', async () => {
    const standin = await startLocalaiStandin({ apiKeys: [INTERNAL_KEY] });
    const dir = mkdtempSync(join(tmpdir(), 'slm-relay-'));
    const path = join(dir, 'relay.json');
    writeFileSync(
      path,
      JSON.stringify({
        listen: { host: '127.0.0.1', port: 0 },
        upstream: { url: standin.url, apiKeyFile: null, apiKey: INTERNAL_KEY },
        readiness: false,
      }),
    );
    const relay = await runRelayFromConfigFile(path, { handleSignals: false });
    try {
      const answer = await send(`http://127.0.0.1:${relay.port}`, { path: '/v1/models' });
      assert.equal(answer.status, 200);
      assert.equal(standin.requests[0]?.headers.authorization, `Bearer ${INTERNAL_KEY}`);
    } finally {
      await relay.close();
      await standin.close();
    }
  });
});
