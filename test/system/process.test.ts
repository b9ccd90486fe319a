import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Failure } from '../../src/core/lib/failure.ts';
import { ranOk, run, runSync, succeeded, whyFailed } from '../../src/system/process.ts';

describe('the process runner', () => {
  it('runSync: status, output and input; never throws', () => {
    const ran = runSync('sh', ['-c', 'read line; echo "got $line"; echo oops >&2; exit 3'], { input: 'x\n' });
    assert.equal(ran.status, 3);
    assert.equal(ran.stdout, 'got x\n');
    assert.equal(ran.stderr, 'oops\n');
    assert.equal(ran.interrupted, null);
    assert.equal(ranOk(ran), false);
    assert.equal(ran.command, 'sh -c read line; echo "got $line"; echo oops >&2; exit 3');
  });

  it('succeeded: the output, or one Failure "<command> failed: <why>"', () => {
    assert.equal(succeeded(runSync('echo', ['hi'])), 'hi\n');
    assert.throws(
      () => succeeded(runSync('sh', ['-c', 'echo "bad thing" >&2; exit 1'])),
      (error: unknown) =>
        error instanceof Failure &&
        error.kind === 'failed' &&
        /^sh -c .* failed: bad thing$/.test(error.message),
    );
    assert.equal(whyFailed(runSync('sh', ['-c', 'exit 4'])), 'exit status 4');
  });

  it('a program that is not installed, one that runs out of time, one that is stopped', async () => {
    const missing = runSync('slm-copilot-no-such-program', []);
    assert.equal(missing.interrupted, 'not-found');
    assert.equal(whyFailed(missing), 'slm-copilot-no-such-program is not installed (not found)');
    assert.equal((await run('slm-copilot-no-such-program', [])).interrupted, 'not-found');
    assert.equal(runSync('sleep', ['5'], { timeoutMs: 100 }).interrupted, 'timeout');
    const slow = await run('sleep', ['5'], { timeoutMs: 100 });
    assert.equal(slow.interrupted, 'timeout');
    assert.equal(whyFailed(slow), 'it did not finish in time');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    assert.equal((await run('sleep', ['5'], { signal: controller.signal })).interrupted, 'aborted');
  });

  it('run: output captured or dropped, the environment as given, standard error bounded', async () => {
    const ran = await run('sh', ['-c', 'echo "$GREETING"; head -c 10000 /dev/zero | tr "\\0" e >&2'], {
      env: { GREETING: 'hello', PATH: process.env.PATH ?? '' },
    });
    assert.equal(ran.stdout, 'hello\n');
    assert.equal(ran.stderr.length, 4096);
    assert.equal((await run('echo', ['x'], { stdout: 'ignore' })).stdout, '');
  });
});
