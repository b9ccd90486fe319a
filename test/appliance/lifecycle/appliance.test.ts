/**
 * appliances/slm-copilot/appliance.sh, the real file, through the one-apps driver emulation (test/appliance/lifecycle/driver)
 * in a scratch root, with a fake `slm-copilot` first on PATH: the shim calls the control plane once per stage,
 * propagates its exit status under the driver's set -e, and the status file, motd and logs follow.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { VERSION } from '../../../src/core/facts/version.ts';
import { DECLARATION_LIST } from '../../../src/core/settings/declarations.ts';
import {
  APPLIANCE,
  boot,
  DRIVER_COMMON,
  driverPaths,
  type FakeSlmCopilot,
  fakeSlmCopilot,
  runStage,
} from './driver/harness.ts';

const scratch = mkdtempSync(join(tmpdir(), 'slm-copilot-appliance-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
/** A fresh root and a fake slm-copilot exiting as told. */
function setup(exit: Partial<Record<string, number>> = {}): {
  root: string;
  fake: FakeSlmCopilot;
  dir: string;
} {
  counter += 1;
  const dir = join(scratch, `case-${counter}`);
  return { root: join(dir, 'root'), fake: fakeSlmCopilot(join(dir, 'fake'), { exit }), dir };
}

const argsOf = (fake: FakeSlmCopilot) => fake.calls().map((call) => call.args.join(' '));

describe('appliance.sh through the one-apps driver', () => {
  it('install → configure → bootstrap: one slm-copilot call per stage, status and motd follow', async () => {
    const { root, fake } = setup();
    const path = [fake.binDir];

    const install = await runStage(root, 'install', { path });
    assert.equal(install.code, 0, install.stderr);
    assert.equal(install.status, 'install_success');
    assert.match(install.motd, /1\/3 Installation step was successfull/);

    const configure = await runStage(root, 'configure', { path });
    assert.equal(configure.code, 0, configure.stderr);
    assert.equal(configure.status, 'configure_success');

    const bootstrap = await runStage(root, 'bootstrap', { path });
    assert.equal(bootstrap.code, 0, bootstrap.stderr);
    assert.equal(bootstrap.status, 'bootstrap_success');
    assert.match(bootstrap.motd, /All set and ready to serve 8\)/);

    assert.deepEqual(argsOf(fake), ['install', 'configure', 'bootstrap']);
  });

  it('install writes the one-apps metadata with the package version', async () => {
    const { root, fake } = setup();
    await runStage(root, 'install', { path: [fake.binDir] });
    const metadata = readFileSync(driverPaths(root).metadata, 'utf8');
    assert.match(metadata, /^---\nname: "Service SLM-Copilot - sovereign CPU coding assistant"\n/);
    assert.match(metadata, new RegExp(`\nversion: "${VERSION.replace(/\./g, '\\.')}"\nbuild: \\d+\n`));
    assert.match(metadata, /\ndescription: \|\n {2}SLM-Copilot serves/);
  });

  it('is reconfigurable: every boot runs configure and bootstrap again, after success or failure', async () => {
    const { root, fake, dir } = setup();
    await runStage(root, 'install', { path: [fake.binDir] });
    for (let n = 0; n < 2; n += 1) {
      const run = await boot(root, { path: [fake.binDir] });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.status, 'bootstrap_success');
    }
    const configureAgain = await runStage(root, 'configure', { path: [fake.binDir] });
    assert.equal(configureAgain.code, 0, 'configure re-runs after bootstrap_success');
    assert.equal(configureAgain.status, 'configure_success');

    // A failed configure does not lock the appliance: the next boot with a good context recovers.
    fakeSlmCopilot(join(dir, 'fake'), { exit: { configure: 2 } });
    assert.equal((await boot(root, { path: [fake.binDir] })).status, 'configure_failure');
    fakeSlmCopilot(join(dir, 'fake'));
    const recovered = await boot(root, { path: [fake.binDir] });
    assert.equal(recovered.code, 0, recovered.stderr);
    assert.equal(recovered.status, 'bootstrap_success');

    assert.deepEqual(argsOf(fake), [
      'install',
      'configure',
      'bootstrap',
      'configure',
      'bootstrap',
      'configure',
      'configure',
      'configure',
      'bootstrap',
    ]);
  });

  it('a failing slm-copilot configure fails the stage with its exit status; the boot hook skips bootstrap', async () => {
    const { root, fake } = setup({ configure: 2 });
    await runStage(root, 'install', { path: [fake.binDir] });
    const run = await boot(root, { path: [fake.binDir] });
    assert.equal(run.code, 2);
    assert.equal(run.status, 'configure_failure');
    assert.match(run.motd, /2\/3 Configuration step failed/);
    assert.deepEqual(argsOf(fake), ['install', 'configure']);
    assert.equal(run.logs.bootstrap, '');
    assert.match(run.logs.configure, /ERROR \[!!\]: slm-copilot configure failed with exit status 2/);
  });

  it('a failing install or bootstrap fails that stage with its exit status', async () => {
    const failingInstall = setup({ install: 1 });
    const install = await runStage(failingInstall.root, 'install', { path: [failingInstall.fake.binDir] });
    assert.equal(install.code, 1);
    assert.equal(install.status, 'install_failure');
    assert.equal(
      existsSync(driverPaths(failingInstall.root).metadata),
      false,
      'no metadata after a failed install',
    );

    const failingBootstrap = setup({ bootstrap: 4 });
    await runStage(failingBootstrap.root, 'install', { path: [failingBootstrap.fake.binDir] });
    const run = await boot(failingBootstrap.root, { path: [failingBootstrap.fake.binDir] });
    assert.equal(run.code, 4);
    assert.equal(run.status, 'bootstrap_failure');
    assert.match(run.motd, /3\/3 Bootstrap step failed/);
  });

  it('without slm-copilot, the stage fails loudly (127) saying what is missing', async (t) => {
    if (existsSync('/usr/local/bin/slm-copilot')) {
      t.skip('/usr/local/bin/slm-copilot exists on this machine: the appliance would use it');
      return;
    }
    const { root } = setup();
    const run = await runStage(root, 'install', { systemPath: '/usr/bin:/bin' });
    assert.equal(run.code, 127);
    assert.equal(run.status, 'install_failure');
    assert.match(
      run.log,
      /ERROR \[!!\]: slm-copilot not found \(not on PATH=\/usr\/bin:\/bin, no \/usr\/local\/bin\/slm-copilot\)/,
    );
    assert.match(run.log, /the install stage cannot run/);
  });

  it('runs slm-copilot under umask 0077 with the context in its environment and no driver variables', async () => {
    const { root, fake } = setup();
    const env = { ONEAPP_COPILOT_AUTH_USER: 'dev', ONEAPP_COPILOT_MODEL_CONTEXT: '16384' };
    await runStage(root, 'install', { path: [fake.binDir], env });
    await boot(root, { path: [fake.binDir], env });
    const calls = fake.calls();
    assert.equal(calls.length, 3);
    for (const call of calls) {
      assert.equal(call.umask, '0077', `${call.args.join(' ')} runs under the driver's umask`);
      assert.deepEqual(call.env, env, 'the context reaches slm-copilot; ONE_SERVICE_* stay shell variables');
    }
  });

  it("logs each stage's output (slm-copilot's stdout and stderr) in <stage>.log", async () => {
    const { root, fake } = setup();
    await runStage(root, 'install', { path: [fake.binDir] });
    const run = await boot(root, { path: [fake.binDir] });
    assert.match(run.logs.configure, /INFO: SLM-Copilot \S+: running \S+\/slm-copilot configure\n/);
    assert.match(
      run.logs.configure,
      /fake slm-copilot configure: stdout\nfake slm-copilot configure: stderr\n/,
    );
    assert.match(run.logs.configure, /INFO: slm-copilot configure done\n$/);
    assert.match(
      run.logs.bootstrap,
      /fake slm-copilot bootstrap: stdout\nfake slm-copilot bootstrap: stderr\n/,
    );
    const installLog = readFileSync(join(driverPaths(root).logDir, 'install.log'), 'utf8');
    assert.match(installLog, /fake slm-copilot install: stdout\n/);
  });

  it('help lists every ONEAPP_COPILOT_* variable under its stage, each offered as a USER_INPUT', async () => {
    const { root } = setup();
    const run = await runStage(root, 'help');
    assert.equal(run.code, 0, run.stderr);
    const sections = run.stdout.split(/\n(?= service )/);
    for (const declaration of DECLARATION_LIST) {
      const section = sections.find((text) => text.startsWith(` service ${declaration.stage}\n`));
      assert.ok(
        section?.includes(`  * ${declaration.name}`),
        `${declaration.name} under ${declaration.stage}`,
      );
    }
    assert.match(run.stdout, /Every variable is optional/);
  });
});

describe('appliance.sh as a file', () => {
  const bash = (script: string) => spawnSync('bash', ['-c', script], { encoding: 'utf8' });

  it('sets no shell options and no umask of its own when sourced, and defines the one-apps interface', () => {
    const result = bash(
      `umask 0022; . ${JSON.stringify(APPLIANCE)}; echo "flags=$-"; umask; ` +
        'for f in service_install service_configure service_bootstrap service_help service_cleanup; do declare -F "$f"; done; ' +
        `echo "$ONE_SERVICE_RECONFIGURABLE $ONE_SERVICE_VERSION \${#ONE_SERVICE_PARAMS[@]}"`,
    );
    assert.equal(result.status, 0, result.stderr);
    const [flags, umask, ...rest] = result.stdout.trim().split('\n');
    assert.doesNotMatch(flags ?? '', /e/, 'no set -e: the driver owns shell options');
    assert.equal(umask, '0022');
    assert.deepEqual(rest, [
      'service_install',
      'service_configure',
      'service_bootstrap',
      'service_help',
      'service_cleanup',
      `true ${VERSION} ${4 * DECLARATION_LIST.length}`,
    ]);
  });

  it("keeps slm-copilot's exit status even where set -e is off (a stage called in a condition)", () => {
    const fake = fakeSlmCopilot(join(scratch, 'fake-condition'), { exit: { configure: 2 } });
    const result = spawnSync(
      'bash',
      [
        '-c',
        `. ${JSON.stringify(DRIVER_COMMON)}; . ${JSON.stringify(APPLIANCE)}; ` +
          'if service_configure; then echo ok; else echo "failed $?"; fi; service_bootstrap; echo "bootstrap $?"',
      ],
      { encoding: 'utf8', env: { PATH: `${fake.binDir}:/usr/bin:/bin` } },
    );
    assert.match(result.stdout, /failed 2\n/);
    assert.match(result.stdout, /bootstrap 0\n$/);
  });

  it('service_cleanup succeeds and prints nothing', () => {
    const result = bash(`. ${JSON.stringify(APPLIANCE)}; service_cleanup`);
    assert.equal(result.status, 0);
    assert.equal(result.stdout + result.stderr, '');
  });

  it('help works without the driver helpers too', () => {
    const result = bash(`. ${JSON.stringify(APPLIANCE)}; service_help`);
    assert.equal(result.status, 0, result.stderr);
    for (const declaration of DECLARATION_LIST)
      assert.match(result.stdout, new RegExp(`  ${declaration.name} `));
  });

  it('passes shellcheck', () => {
    const result = spawnSync('shellcheck', ['-x', APPLIANCE], { encoding: 'utf8' });
    assert.ifError(result.error);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });
});
