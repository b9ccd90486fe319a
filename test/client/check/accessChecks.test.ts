/** The health check on a OneFlow VM: a worker is named as such, a front without workers says so. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateHealth, isWorkerRefusal } from '../../../src/client/check/accessChecks.ts';
import type { HttpResult } from '../../../src/client/net/http.ts';
import { WORKER_REFUSAL } from '../../../src/core/facts/oneflow.ts';

const answer = (status: number, body: unknown): HttpResult => ({
  ok: true,
  status,
  headers: {},
  rawHeaders: [],
  body: JSON.stringify(body),
  headersAt: 1,
  endAt: 2,
  chunks: [],
});

describe('health on a OneFlow service', () => {
  it("a worker's refusal is recognised by its code; another 403 is not", () => {
    const worker = answer(403, { error: { ...WORKER_REFUSAL, type: 'invalid_request_error' } });
    assert.ok(isWorkerRefusal(worker));
    assert.equal(evaluateHealth(worker).reason, 'this VM is a OneFlow worker; connect to the front');
    const other = answer(403, { error: { message: 'Forbidden', code: 'forbidden' } });
    assert.ok(!isWorkerRefusal(other));
    assert.doesNotMatch(evaluateHealth(other).reason, /worker/);
  });

  it('a front with workers is ready like a single VM; with none it says so', () => {
    assert.equal(evaluateHealth(answer(200, { status: 'ready', workers: 2 })).status, 'pass');
    const none = evaluateHealth(answer(503, { status: 'down', workers: 0 }));
    assert.equal(none.status, 'fail');
    assert.match(none.reason, /this OneFlow front has no worker ready/);
    assert.match(evaluateHealth(answer(503, { status: 'down' })).reason, /model server is down/);
  });
});
