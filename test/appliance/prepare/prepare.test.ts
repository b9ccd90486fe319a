import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadContextSettings, readContext } from '../../../src/appliance/prepare/context.ts';
import { prepare, previewPlan } from '../../../src/appliance/prepare/prepare.ts';
import { APPLIANCE_TARGET } from '../../../src/core/facts/target.ts';
import { fixtureHost } from '../../support/hosts.ts';

describe('the one prepare flow', () => {
  it('writes nothing (no secrets, no CA) when the sizing does not fit', () => {
    const root = mkdtempSync(join(tmpdir(), 'slm-prepare-'));
    const result = prepare({
      root,
      contextValues: new Map(),
      readHost: () => fixtureHost('xeon-small-8g'),
      target: { ...APPLIANCE_TARGET, root },
      now: new Date(),
      beforeWrite: () => assert.fail('nothing may be written for a VM the model does not fit'),
    });
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.problems.some((problem) => problem.variable === 'MEMORY'));
    assert.ok(!existsSync(join(root, 'var/lib/slm-copilot/secrets.json')));
    assert.ok(!existsSync(join(root, 'var/lib/slm-copilot/tls')));
  });

  it('does not read the host when the context is refused', () => {
    const result = prepare({
      root: mkdtempSync(join(tmpdir(), 'slm-prepare-')),
      contextValues: new Map([['ONEAPP_COPILOT_AUTH_KEYS', 'short']]),
      readHost: () => assert.fail('the host is read only for a valid context'),
      target: APPLIANCE_TARGET,
      now: new Date(),
    });
    assert.equal(result.ok, false);
  });

  it('previewPlan sizes the same plan read-only, with placeholder secrets', () => {
    const result = previewPlan({
      contextValues: new Map(),
      readHost: () => fixtureHost('epyc-passthrough-smt-32g'),
      now: new Date(),
    });
    assert.ok(result.ok);
    assert.ok(result.plan.files.length > 0);
  });
});

describe('the one context loader', () => {
  it('merges the environment and the context file; the file wins; other variables are kept aside', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'slm-context-')), 'one_env');
    writeFileSync(file, "ONEAPP_COPILOT_API_TIMEOUT='900'\nONEGATE_ENDPOINT='http://onegate'\n");
    const context = readContext(
      { ONEAPP_COPILOT_API_TIMEOUT: '1200', ONEAPP_COPILOT_API_QUEUE_LIMIT: '4', HOME: '/root' },
      file,
    );
    assert.equal(context.values.get('ONEAPP_COPILOT_API_TIMEOUT'), '900');
    assert.equal(context.values.get('ONEAPP_COPILOT_API_QUEUE_LIMIT'), '4');
    assert.equal(context.values.has('HOME'), false);
    assert.equal(context.fileValues.get('ONEGATE_ENDPOINT'), 'http://onegate');
    const loaded = loadContextSettings(context, new Date());
    assert.ok(loaded.ok && loaded.settings.apiTimeout === 900);
  });

  it('goes on without a file that cannot be read when asked to', () => {
    const context = readContext({ ONEAPP_COPILOT_API_TIMEOUT: '1200' }, '/nonexistent/one_env', () => null);
    assert.equal(context.values.get('ONEAPP_COPILOT_API_TIMEOUT'), '1200');
  });
});
