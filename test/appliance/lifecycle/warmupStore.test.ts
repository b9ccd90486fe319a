/**
 * The relay's learned prompt prefixes across boots (issue 13, 4e): configure never touches the store, whatever the
 * context change; a change that restarts LocalAI restarts the relay too (the warm-up budget follows the context),
 * which reads the store again and re-warms it once the model is ready. The relay's own handling (0 deletes, a
 * corrupt or foreign-owned store is discarded) is tested in test/appliance/relay.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { WARMUP_STORE_PATH } from '../../../src/core/facts/relay.ts';
import { newRoot, runStageHere } from '../../support/stages.ts';

const STORE = WARMUP_STORE_PATH.slice(1);
const servicesLog = (root: string) => readFileSync(join(root, 'services.log'), 'utf8');

describe('the warm-up store across configure', () => {
  it('survives configure: a context change that restarts LocalAI and the relay, a relay setting', async () => {
    const root = newRoot();
    assert.equal((await runStageHere(root, 'configure', [])).status, 0);
    const store = join(root, STORE);
    mkdirSync(dirname(store), { recursive: true });
    const content = '{"version":1,"entries":[]}\n';
    writeFileSync(store, content, { mode: 0o600 });
    const logBefore = servicesLog(root);

    const run = await runStageHere(root, 'configure', ["ONEAPP_COPILOT_MODEL_CONTEXT='16384'"]);
    assert.equal(run.status, 0, run.stderr);
    const added = servicesLog(root).slice(logBefore.length);
    assert.match(added, /^systemctl try-restart local-ai\.service$/m, added);
    // The warm-up budget follows the context size: the relay restarts too, reads the store and re-warms it once
    // the new model is ready.
    assert.match(added, /^systemctl try-restart slm-copilot-relay\.service$/m, added);
    assert.equal(readFileSync(store, 'utf8'), content);

    assert.equal((await runStageHere(root, 'configure', ["ONEAPP_COPILOT_API_WARMUP='3'"])).status, 0);
    assert.equal(
      readFileSync(store, 'utf8'),
      content,
      'a relay setting restarts the relay; configure leaves the store',
    );
  });
});
