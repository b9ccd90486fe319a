import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import pkg from '../../package.json' with { type: 'json' };
import { RUNTIMES, requireBundle, runBundle } from '../support/bundle.ts';
import { runMain } from '../support/cli.ts';
import { FIXTURE_HOSTS } from '../support/hosts.ts';

const work = mkdtempSync(join(tmpdir(), 'slm-cli-'));
function contextFile(lines: string[]): string {
  const path = join(work, `context-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

before(requireBundle);

describe('slm-copilot plan --json', () => {
  for (const fixture of [
    'epyc-passthrough-smt-32g',
    'qemu-generic-16c-32g',
    'xeon-small-8g',
    'epyc-passthrough-2s-128g',
  ]) {
    it(`${fixture}: same result on Node 20 and on the appliance's Node 24`, async () => {
      const outputs = RUNTIMES.map(({ node }) =>
        runBundle(node, ['plan', '--json', '--proc', `${FIXTURE_HOSTS}${fixture}`]),
      );
      const [dev, appliance] = outputs;
      assert.equal(dev?.stderr, '');
      assert.equal(dev?.status, appliance?.status);
      assert.deepEqual(JSON.parse(dev?.stdout ?? ''), JSON.parse(appliance?.stdout ?? ''));
    });
  }

  it('32 GB SMT host: ok, the documented fields, exit 0', async () => {
    const run = await runMain(['plan', '--json', '--proc', `${FIXTURE_HOSTS}epyc-passthrough-smt-32g`]);
    assert.equal(run.status, 0);
    const result = JSON.parse(run.stdout);
    assert.equal(result.ok, true);
    assert.deepEqual(result.errors, []);
    assert.equal(result.plan.threads, 8);
    assert.equal(result.plan.contextSize, 32768);
    assert.equal(result.plan.kvCacheBytes, 5 * 1024 ** 3);
    assert.equal(typeof result.plan.memoryBytes, 'number');
    assert.ok(result.plan.memoryBytes <= result.plan.hostMemoryBytes);
    assert.ok(
      result.plan.files.some(
        (file: { path: string; mode: string }) =>
          file.path === '/etc/one-appliance/config' && file.mode === '0600',
      ),
    );
  });

  it('8 GB host: ok false, the MEMORY error, exit 2', async () => {
    const run = await runMain(['plan', '--json', '--proc', `${FIXTURE_HOSTS}xeon-small-8g`]);
    assert.equal(run.status, 2);
    const result = JSON.parse(run.stdout);
    assert.equal(result.ok, false);
    assert.equal(result.plan, null);
    assert.deepEqual(
      result.errors.map((error: { variable: string }) => error.variable),
      ['MEMORY'],
    );
  });

  it('a bad context file: every bad variable named, no secret shown, exit 2; the file wins over the environment', async () => {
    const file = contextFile([
      "ONEAPP_COPILOT_AUTH_KEYS='alice:hunter2hunter2'",
      'export ONEAPP_COPILOT_AUTH_PASSWORD="sh0rt"',
      "ONEAPP_COPILOT_MODEL_THREADS='zero'",
    ]);
    const run = await runMain(
      ['plan', '--json', '--context', file, '--proc', `${FIXTURE_HOSTS}epyc-passthrough-smt-32g`],
      {
        ONEAPP_COPILOT_MODEL_THREADS: '4',
        ONEAPP_COPILOT_API_TIMEOUT: '1',
      },
    );
    assert.equal(run.status, 2);
    const result = JSON.parse(run.stdout);
    assert.deepEqual(result.errors.map((error: { variable: string }) => error.variable).sort(), [
      'ONEAPP_COPILOT_API_TIMEOUT',
      'ONEAPP_COPILOT_AUTH_KEYS',
      'ONEAPP_COPILOT_AUTH_PASSWORD',
      'ONEAPP_COPILOT_MODEL_THREADS',
    ]);
    assert.ok(!run.stdout.includes('hunter2') && !run.stdout.includes('sh0rt'));
  });

  it('text output: sentences naming the variable, no colour when not on a terminal', async () => {
    const file = contextFile(["ONEAPP_COPILOT_TLS_DOMAIN='192.0.2.1'"]);
    const run = await runMain([
      'plan',
      '--context',
      file,
      '--proc',
      `${FIXTURE_HOSTS}epyc-passthrough-smt-32g`,
    ]);
    assert.equal(run.status, 2);
    assert.match(
      run.stdout,
      /^ {2}ONEAPP_COPILOT_TLS_DOMAIN: "192\.0\.2\.1" is an IP address; Let's Encrypt needs a DNS name/m,
    );
    assert.ok(!run.stdout.includes('\u001b['));
    const good = await runMain(['plan', '--proc', `${FIXTURE_HOSTS}qemu-generic-16c-32g`]);
    assert.equal(good.status, 0);
    assert.match(good.stdout, /Memory budget/);
    assert.match(good.stdout, /hides AVX2/);
  });
});

describe('slm-copilot usage', () => {
  it('--version prints the package version', async () => {
    const run = await runMain(['--version']);
    assert.equal(run.status, 0);
    assert.equal(run.stdout.trim(), pkg.version);
  });
  it('--help lists the plan command; plan --help lists its options', async () => {
    const run = await runMain(['--help']);
    assert.equal(run.status, 0);
    assert.match(run.stdout, /plan \[options\]/);
    const planHelp = await runMain(['plan', '--help']);
    assert.match(planHelp.stdout, /--context <file>/);
    assert.match(planHelp.stdout, /--proc <dir>/);
  });
  it('an unknown command or option exits 2 with a message', async () => {
    const run = await runMain(['plna']);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /unknown command 'plna'/);
    assert.equal((await runMain(['plan', '--bogus'])).status, 2);
  });
  it('a missing proc directory or context file exits 1 with the path', async () => {
    const run = await runMain(['plan', '--proc', '/nonexistent']);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /cannot read \/nonexistent\/cpuinfo/);
    const missing = await runMain(['plan', '--context', '/nonexistent/one_env']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /\/nonexistent\/one_env/);
  });
});
