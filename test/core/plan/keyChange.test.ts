/**
 * A key change (ONEAPP_COPILOT_AUTH_KEYS) must never restart the relay: it would cut every stream in flight. The
 * relay's warmer learns the key names from a file of its own that no service restarts or reloads on; relay.json
 * only holds that file's path.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LAYOUT } from '../../../src/core/facts/layout.ts';
import { UNITS } from '../../../src/core/facts/units.ts';
import { computePlan, type Plan } from '../../../src/core/plan/plan.ts';
import { RELAY_CONFIG_PATH, RELAY_KEY_NAMES_PATH } from '../../../src/core/render/relayConfig.ts';
import { RELAY_USER } from '../../../src/core/render/relayUnit.ts';
import { fixtureHost } from '../../support/hosts.ts';
import { settingsFrom, TEST_SECRETS } from '../../support/settings.ts';

const planWith = (apiKeys: { name: string; key: string }[]): Plan => {
  const planned = computePlan({
    settings: settingsFrom({}),
    host: fixtureHost('epyc-passthrough-smt-32g'),
    secrets: { ...TEST_SECRETS, apiKeys },
    version: '0.0.0-test',
    tls: null,
  });
  assert.ok(planned.ok);
  return planned.plan;
};

const ALICE = { name: 'alice', key: 'sk-alice-0123456789abcdef0123456789abcdef' };
const BOB = { name: 'bob', key: 'sk-bob-00000000000000000000000000000000000' };

describe('a key change plans no relay restart', () => {
  it('the key names file is planned once, 0640 root:<relay user>, and is in no service restart or reload list', () => {
    const plan = planWith([ALICE]);
    const names = plan.files.filter((file) => file.path === RELAY_KEY_NAMES_PATH);
    assert.equal(names.length, 1);
    assert.deepEqual(
      { mode: names[0]?.mode.toString(8), owner: names[0]?.owner, group: names[0]?.group },
      { mode: '640', owner: 'root', group: RELAY_USER },
    );
    assert.deepEqual(JSON.parse(names[0]?.content ?? ''), {
      version: 1,
      keyNames: ['alice', 'user:copilot'],
    });
    for (const service of plan.services) {
      assert.ok(!service.restartOnChange.includes(RELAY_KEY_NAMES_PATH), service.unit);
      assert.ok(!service.reloadOnChange.includes(RELAY_KEY_NAMES_PATH), service.unit);
    }
    const relay = plan.services.find((service) => service.unit === UNITS.relay);
    assert.ok(relay?.restartOnChange.includes(RELAY_CONFIG_PATH), 'relay.json still restarts the relay');
  });

  it('changing only the keys changes nginx’s key map, the names file and the report; only nginx reloads', () => {
    const before = planWith([ALICE]);
    const after = planWith([BOB]);
    const content = (plan: Plan) => new Map(plan.files.map((file) => [file.path, file.content]));
    const was = content(before);
    const changed = after.files
      .filter((file) => was.get(file.path) !== file.content)
      .map((file) => file.path);
    assert.deepEqual(changed.sort(), [LAYOUT.report, LAYOUT.nginxApiKeys, RELAY_KEY_NAMES_PATH].sort());
    const touched = (paths: readonly string[]) => paths.some((path) => changed.includes(path));
    const actions = after.services.flatMap((service) =>
      touched(service.restartOnChange)
        ? [`restart ${service.unit}`]
        : touched(service.reloadOnChange)
          ? [`reload ${service.unit}`]
          : [],
    );
    assert.deepEqual(actions, [`reload ${UNITS.nginx}`]);
    assert.equal(
      content(after).get(RELAY_CONFIG_PATH),
      was.get(RELAY_CONFIG_PATH),
      'relay.json is unchanged',
    );
  });
});
