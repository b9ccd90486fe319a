/**
 * The safety net of the restructure (issue 10): what the built bundle prints must not change when modules move.
 * Golden captures of every command's --help, one usage error per command (stderr and exit code), `plan --json` for
 * each host fixture, and the services.log of configure/bootstrap boots. UPDATE_GOLDEN=1 rewrites them.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { requireBundle, runBundle } from '../support/bundle.ts';
import { assertGolden } from '../support/golden.ts';
import { FIXTURE_HOSTS } from '../support/hosts.ts';
import { newRoot, runStage } from '../support/stages.ts';

const golden = (name: string) => new URL(`./golden/captures/${name}`, import.meta.url);

/** The bundle with a bare environment (no ONEAPP_* or SLM_* from the developer's shell). */
const run = (args: readonly string[]) => runBundle(process.execPath, [...args], { COLUMNS: '80' });

const COMMANDS = [
  [],
  ['plan'],
  ['sandbox'],
  ['install'],
  ['configure'],
  ['bootstrap'],
  ['renew'],
  ['relay'],
  ['lock'],
  ['image'],
  ['image', 'preflight'],
  ['image', 'fetch'],
  ['image', 'manifest'],
  ['marketplace'],
  ['check'],
  ['bench'],
  ['cline'],
  ['doctor'],
] as const;

const nameOf = (command: readonly string[]) => (command.length ? command.join('-') : 'slm-copilot');

describe('captures of the built bundle (unchanged by the restructure)', () => {
  before(requireBundle);

  it('every command prints the same --help', () => {
    for (const command of COMMANDS) {
      const result = run([...command, '--help']);
      assert.equal(result.status, 0, `${nameOf(command)} --help: ${result.stderr}`);
      assertGolden(golden(`help/${nameOf(command)}.txt`), result.stdout);
    }
  });

  it('every command reports the same usage error with the same exit code', () => {
    for (const command of COMMANDS) {
      const result = run([...command, '--no-such-option']);
      assertGolden(
        golden(`usage/${nameOf(command)}.txt`),
        `exit ${result.status}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`,
      );
    }
  });

  it('plan --json is the same for every host fixture', () => {
    for (const host of readdirSync(FIXTURE_HOSTS).sort()) {
      const result = run(['plan', '--proc', join(FIXTURE_HOSTS, host), '--json']);
      const parsed = JSON.parse(result.stdout) as { plan: { endpoint?: unknown } | null };
      // The endpoint comes from this machine's addresses, not from the fixture.
      if (parsed.plan?.endpoint) parsed.plan.endpoint = '<this machine>';
      assertGolden(
        golden(`plan/${host}.json`),
        `exit ${result.status}\n${JSON.stringify(parsed, null, 2)}\n`,
      );
    }
  });

  it('the boots perform the same service actions (services.log)', () => {
    const root = newRoot();
    const KEY_A = 'sk-alice-0123456789abcdef0123456789abcdef';
    const KEY_B = 'sk-bob-00000000000000000000000000000000000';
    const steps: string[] = [];
    const step = (name: string, stage: string, context: string[], extra: string[] = []) => {
      const result = runStage(root, stage, context, extra);
      assert.equal(result.status, 0, `${name}: ${result.stderr}`);
      steps.push(`# ${name}`);
    };
    const log = () => readFileSync(join(root, 'services.log'), 'utf8').split(root).join('<root>');
    let seen = '';
    const record = () => {
      const now = log();
      steps.push(now.slice(seen.length).trimEnd());
      seen = now;
    };
    step('first boot: configure', 'configure', [`ONEAPP_COPILOT_AUTH_KEYS='alice:${KEY_A}'`]);
    record();
    step(
      'first boot: bootstrap',
      'bootstrap',
      [`ONEAPP_COPILOT_AUTH_KEYS='alice:${KEY_A}'`],
      ['--wait', '1'],
    );
    record();
    step('second boot, same context: configure', 'configure', [`ONEAPP_COPILOT_AUTH_KEYS='alice:${KEY_A}'`]);
    record();
    step('third boot, new key: configure', 'configure', [`ONEAPP_COPILOT_AUTH_KEYS='bob:${KEY_B}'`]);
    record();
    step('third boot, new context size: configure', 'configure', [
      `ONEAPP_COPILOT_AUTH_KEYS='bob:${KEY_B}'`,
      `ONEAPP_COPILOT_MODEL_CONTEXT='16384'`,
    ]);
    record();
    step('renew', 'renew', [`ONEAPP_COPILOT_AUTH_KEYS='bob:${KEY_B}'`]);
    record();
    assertGolden(golden('services-log.txt'), `${steps.join('\n')}\n`);
  });
});
