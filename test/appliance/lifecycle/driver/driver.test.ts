/**
 * The one-apps driver emulation behaves as one-apps documents the real driver, checked with small appliance files
 * written by each test, so the appliance tests can trust it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  BOOT_HOOK,
  boot,
  bundleWrapper,
  DRIVER,
  DRIVER_COMMON,
  driverPaths,
  fakeSlmCopilot,
  prepareRoot,
  runStage,
  type Stage,
} from './harness.ts';

const scratch = mkdtempSync(join(tmpdir(), 'one-apps-driver-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
/** A fresh root with an appliance made of the given bash text. */
function rootWith(appliance: string): string {
  counter += 1;
  const root = join(scratch, `root-${counter}`);
  const file = join(scratch, `appliance-${counter}.sh`);
  writeFileSync(file, appliance);
  prepareRoot(root, file);
  return root;
}

/** An appliance whose stages print a marker and, with `trace`, append their name to <root>/trace. */
const tracing = (reconfigurable: boolean, extra = '') => `
ONE_SERVICE_RECONFIGURABLE=${reconfigurable ? 'true' : ''}
trace() { echo "$1" >>"\${ONE_SERVICE_DIR}/../../trace"; echo "ran $1"; }
service_install() { trace install; }
service_configure() { trace configure; }
service_bootstrap() { trace bootstrap; }
${extra}
`;

const trace = (root: string) =>
  existsSync(join(root, 'trace')) ? readFileSync(join(root, 'trace'), 'utf8').trim().split('\n') : [];

describe('driver emulation: the status state machine', () => {
  // stage, status before, reconfigurable → ran?, exit code, status after
  const table: [Stage, string, boolean, 'run' | 'skip' | 'abort', string][] = [
    ['install', '', false, 'run', 'install_success'],
    ['install', 'install_success', true, 'skip', 'install_success'],
    ['install', 'install_started', true, 'abort', 'install_failure'],
    ['install', 'install_failure', true, 'abort', 'install_failure'],
    ['install', 'configure_success', true, 'abort', 'configure_success'],
    ['configure', '', true, 'abort', ''],
    ['configure', 'install_success', false, 'run', 'configure_success'],
    ['configure', 'configure_success', true, 'run', 'configure_success'],
    ['configure', 'configure_success', false, 'skip', 'configure_success'],
    ['configure', 'configure_started', true, 'run', 'configure_success'],
    ['configure', 'configure_started', false, 'abort', 'configure_failure'],
    ['configure', 'configure_failure', true, 'run', 'configure_success'],
    ['configure', 'configure_failure', false, 'abort', 'configure_failure'],
    ['configure', 'bootstrap_success', true, 'run', 'configure_success'],
    ['configure', 'bootstrap_success', false, 'abort', 'bootstrap_success'],
    ['configure', 'bootstrap_failure', true, 'run', 'configure_success'],
    ['configure', 'bootstrap_failure', false, 'abort', 'bootstrap_failure'],
    ['configure', 'garbage', true, 'abort', 'garbage'],
    ['bootstrap', '', true, 'abort', ''],
    ['bootstrap', 'install_success', true, 'abort', 'install_success'],
    ['bootstrap', 'configure_success', false, 'run', 'bootstrap_success'],
    ['bootstrap', 'configure_failure', true, 'abort', 'configure_failure'],
    ['bootstrap', 'bootstrap_success', true, 'run', 'bootstrap_success'],
    ['bootstrap', 'bootstrap_success', false, 'skip', 'bootstrap_success'],
    ['bootstrap', 'bootstrap_failure', true, 'run', 'bootstrap_success'],
    ['bootstrap', 'bootstrap_failure', false, 'abort', 'bootstrap_failure'],
    ['bootstrap', 'bootstrap_started', false, 'abort', 'bootstrap_failure'],
  ];
  for (const [stage, before, reconfigurable, outcome, afterwards] of table) {
    it(`${stage} after '${before}'${reconfigurable ? ' (reconfigurable)' : ''}: ${outcome}, then '${afterwards}'`, async () => {
      const root = rootWith(tracing(reconfigurable));
      if (before !== '') writeFileSync(driverPaths(root).status, `${before}\n`);
      const run = await runStage(root, stage);
      assert.equal(run.code, outcome === 'abort' ? 1 : 0, run.stderr);
      assert.deepEqual(trace(root), outcome === 'run' ? [stage] : []);
      assert.equal(run.status ?? '', afterwards);
      if (outcome !== 'run') assert.equal(run.log, '', 'a stage that does not run writes no log');
      if (outcome === 'abort') assert.match(run.stderr, /ERROR \[!!\]/);
      if (outcome === 'skip') assert.match(run.stderr, /WARNING \[!\].*skip/);
    });
  }
});

describe('driver emulation: running a stage', () => {
  it('runs the stage under set -e: the first failing command ends it with its own status', async () => {
    const root = rootWith(`
service_install() { echo before; (exit 7); echo after; }
`);
    const run = await runStage(root, 'install');
    assert.equal(run.code, 7);
    assert.equal(run.status, 'install_failure');
    assert.equal(run.log, 'before\n');
  });

  it('msg error returns 1, so a bare `msg error` ends the stage', async () => {
    const root = rootWith(`
service_install() { msg error 'it broke'; echo after; }
`);
    const run = await runStage(root, 'install');
    assert.equal(run.code, 1);
    assert.equal(run.status, 'install_failure');
    assert.match(run.log, /^\[.+\] => ERROR \[!!\]: it broke\n$/);
  });

  it('runs the stage under umask 0077 whatever the caller had', async () => {
    const root = rootWith(`
service_install() { umask; : >"\${ONE_SERVICE_DIR}/made-by-install"; }
`);
    const run = await runStage(root, 'install');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.log, '0077\n');
    assert.equal(statSync(join(driverPaths(root).serviceDir, 'made-by-install')).mode & 0o777, 0o600);
    assert.equal(statSync(driverPaths(root).logDir).mode & 0o777, 0o700, 'the log directory is 0700');
  });

  it("tees the stage's stdout and stderr to <stage>.log (appending) and to its own stdout", async () => {
    const root = rootWith(`
ONE_SERVICE_RECONFIGURABLE=yes
service_install() { :; }
service_configure() { echo to-stdout; echo to-stderr >&2; msg info informed; msg warning warned; }
`);
    await runStage(root, 'install');
    const first = await runStage(root, 'configure');
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.log,
      /^to-stdout\nto-stderr\n\[.+\] => INFO: informed\n\[.+\] => WARNING \[!\]: warned\n$/,
    );
    assert.equal(first.stdout, first.log);
    const second = await runStage(root, 'configure');
    assert.match(second.log, /^to-stdout\nto-stderr\n/);
    const whole = readFileSync(join(driverPaths(root).logDir, 'configure.log'), 'utf8');
    assert.equal(whole.split('to-stdout').length - 1, 2, 'the log is appended to, not replaced');
  });

  it('writes <stage>_started and the in-progress motd while the stage runs', async () => {
    const root = rootWith(`
service_install() { cat "\${ONE_SERVICE_STATUS}" "\${ONE_SERVICE_MOTD}"; }
service_configure() { cat "\${ONE_SERVICE_MOTD}"; }
`);
    const install = await runStage(root, 'install');
    assert.match(install.log, /^install_started\n/);
    assert.match(install.log, /1\/3 Installation step is in progress\.\.\.[\s\S]*PLEASE WAIT/);
    assert.match(install.motd, /OpenNebula Service Appliance[\s\S]*1\/3 Installation step was successfull\./);
    const configure = await runStage(root, 'configure');
    assert.match(configure.log, /2\/3 Configuration step is in progress/);
    assert.match(configure.motd, /2\/3 Configuration step was successfull\./);
  });

  it('motd: bootstrap success is "All set and ready to serve 8)", a failure says APPLIANCE ERROR', async () => {
    const root = rootWith(tracing(true));
    await runStage(root, 'install');
    await runStage(root, 'configure');
    const done = await runStage(root, 'bootstrap');
    assert.match(done.motd, /All set and ready to serve 8\)/);
    const failing = rootWith('service_install() { false; }');
    const failed = await runStage(failing, 'install');
    assert.match(
      failed.motd,
      /1\/3 Installation step failed\.[\s\S]*APPLIANCE ERROR[\s\S]*Read documentation and try to redeploy!/,
    );
  });

  it('calls service_cleanup after every stage, successful or not, and removes the pidfile and the pipe', async () => {
    const root = rootWith(`
service_install() { :; }
service_configure() { false; }
service_cleanup() { echo cleaned >>"\${ONE_SERVICE_DIR}/cleanups"; }
`);
    await runStage(root, 'install');
    await runStage(root, 'configure');
    const paths = driverPaths(root);
    assert.equal(readFileSync(join(paths.serviceDir, 'cleanups'), 'utf8'), 'cleaned\ncleaned\n');
    assert.equal(existsSync(paths.pidFile), false);
    assert.equal(existsSync(join(paths.logDir, 'one_service_log.pipe')), false);
  });

  it('turns a lingering <stage>_started into <stage>_failure when the run is interrupted', async () => {
    const root = rootWith(`
service_install() { echo starting; kill -TERM $$; echo not reached; }
`);
    const run = await runStage(root, 'install');
    assert.equal(run.code, 143);
    assert.equal(run.status, 'install_failure');
    assert.equal(run.log, 'starting\n');
  });

  it('exits 0 with a warning while another run is alive (pidfile), and 1 while the lock is held', async () => {
    const root = rootWith(tracing(true));
    const paths = driverPaths(root);
    writeFileSync(paths.pidFile, `${process.pid}\n`);
    const busy = await runStage(root, 'install');
    assert.equal(busy.code, 0);
    assert.match(busy.stderr, /running already - PID: \d+/);
    assert.equal(busy.status, null);

    writeFileSync(paths.pidFile, '999999999\n');
    // -o: flock itself holds the lock, not the sleep it runs; killing its process group ends both.
    const holder = spawn('flock', ['-x', '-o', paths.lockFile, 'sleep', '30'], {
      stdio: 'ignore',
      detached: true,
    });
    try {
      await waitFor(() => spawnSync('flock', ['-n', paths.lockFile, 'true']).status === 1);
      const locked = await runStage(root, 'install');
      assert.equal(locked.code, 1);
      assert.deepEqual(trace(root), []);
    } finally {
      if (holder.pid !== undefined) process.kill(-holder.pid, 'SIGTERM');
      await new Promise((resolve) => holder.once('close', resolve));
    }
    const free = await runStage(root, 'install');
    assert.equal(free.code, 0, 'a stale pidfile does not block a run');
    assert.deepEqual(trace(root), ['install']);
  });

  it('passes the context through and keeps ONE_SERVICE_* out of the programs it runs', async () => {
    const fake = fakeSlmCopilot(join(scratch, 'fake-env'));
    const root = rootWith('service_install() { slm-copilot install; }');
    const run = await runStage(root, 'install', {
      path: [fake.binDir],
      env: { ONEAPP_COPILOT_AUTH_USER: 'dev', ONE_SERVICE_LOGDIR: join(root, 'var/log/one-appliance') },
    });
    assert.equal(run.code, 0, run.stderr);
    const [call] = fake.calls();
    assert.deepEqual(call?.env, { ONEAPP_COPILOT_AUTH_USER: 'dev' });
    assert.equal(call?.umask, '0077');
  });

  it('install <version> overrides the appliance version in the metadata (create_one_service_metadata)', async () => {
    const root = rootWith(`
ONE_SERVICE_NAME='Example'
ONE_SERVICE_VERSION=1.0
ONE_SERVICE_BUILD=42
ONE_SERVICE_SHORT_DESCRIPTION='Short one'
ONE_SERVICE_DESCRIPTION='Line one
line two'
service_install() { create_one_service_metadata; }
`);
    const run = await runStage(root, 'install', { args: ['2.5'] });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      readFileSync(driverPaths(root).metadata, 'utf8'),
      '---\nname: "Example"\nversion: "2.5"\nbuild: 42\nshort_description: "Short one"\ndescription: |\n  Line one\n  line two\n',
    );
  });

  it('help: service_help when defined, else default_service_help with USER_INPUTS marked *', async () => {
    const params = `ONE_SERVICE_PARAMS=(
  'ONEAPP_A' 'configure' 'Offered' 'O|text'
  'ONEAPP_B' 'bootstrap' 'Internal' ''
)`;
    const plain = await runStage(rootWith(params), 'help');
    assert.equal(plain.code, 0);
    assert.match(plain.stdout, /configure\n.*\n {2}\* ONEAPP_A {18}- Offered\n/);
    assert.match(plain.stdout, /bootstrap\n.*\n {4}ONEAPP_B {18}- Internal\n/);
    const custom = await runStage(rootWith(`${params}\nservice_help() { echo custom help; }`), 'help');
    assert.equal(custom.stdout, 'custom help\n');
  });

  it('bad usage exits 2 and runs nothing', async () => {
    for (const args of [['bogus'], ['configure', 'now'], ['install', '1', '2'], ['help', 'me']]) {
      const root = rootWith(tracing(true));
      const [first, ...rest] = args as [Stage, ...string[]];
      const run = await runStage(root, first, { args: rest });
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, /BAD USAGE/);
      assert.deepEqual(trace(root), []);
    }
  });

  it('refuses to run without ONE_SERVICE_ROOT (it never touches the real /etc)', () => {
    const result = spawnSync(DRIVER, ['install'], {
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
    });
    assert.equal(result.status, 64);
    assert.match(result.stderr, /ONE_SERVICE_ROOT is not set/);
  });
});

describe('driver emulation: the boot hook (net-90-service-appliance)', () => {
  it('runs configure then bootstrap, on every boot when reconfigurable', async () => {
    const root = rootWith(tracing(true));
    await runStage(root, 'install');
    const first = await boot(root);
    assert.equal(first.code, 0, first.stderr);
    const second = await boot(root);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.status, 'bootstrap_success');
    assert.deepEqual(trace(root), ['install', 'configure', 'bootstrap', 'configure', 'bootstrap']);
    assert.equal(second.logs.configure, 'ran configure\n');
    assert.equal(second.log, 'ran configure\nran bootstrap\n');
  });

  it('a non-reconfigurable appliance runs once; later boots fail at configure', async () => {
    const root = rootWith(tracing(false));
    await runStage(root, 'install');
    assert.equal((await boot(root)).code, 0);
    const again = await boot(root);
    assert.equal(again.code, 1);
    assert.equal(again.status, 'bootstrap_success');
    assert.deepEqual(trace(root), ['install', 'configure', 'bootstrap']);
  });

  it('does not bootstrap when configure fails, and exits with its status', async () => {
    const root = rootWith(tracing(true, 'service_configure() { return 3; }'));
    await runStage(root, 'install');
    const run = await boot(root);
    assert.equal(run.code, 3);
    assert.equal(run.status, 'configure_failure');
    assert.deepEqual(trace(root), ['install']);
    assert.equal(run.logs.bootstrap, '');
  });

  it('fails loudly when the driver is missing', () => {
    const result = spawnSync(BOOT_HOOK, [], {
      env: { PATH: process.env.PATH ?? '', ONE_SERVICE_DRIVER: join(scratch, 'no-such-driver') },
      encoding: 'utf8',
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /no-such-driver is missing or not executable/);
  });
});

describe('driver emulation: helpers', () => {
  const bash = (script: string) =>
    spawnSync('bash', ['-c', `. ${JSON.stringify(DRIVER_COMMON)}; ${script}`], { encoding: 'utf8' });

  it('msg: info → stdout 0; debug, warning → stderr 0; error → stderr 1; unknown → stderr 2', () => {
    const result = bash(
      'for t in info debug warning error other; do msg "$t" "a $t"; echo "rc $t $?"; done 2>/dev/null',
    );
    assert.match(
      result.stdout,
      /^\[.+\] => INFO: a info\nrc info 0\nrc debug 0\nrc warning 0\nrc error 1\nrc other 2\n$/,
    );
    const errors = bash('msg debug d; msg warning w; msg error e; msg other o; true');
    assert.match(
      errors.stderr,
      /=> DEBUG: d\n.*=> WARNING \[!\]: w\n.*=> ERROR \[!!\]: e\n.*=> UNKNOWN \[\?!\]: o\n$/,
    );
  });

  it('is_true takes a variable name: 1, true, yes, y in any case', () => {
    const result = bash(
      'for v in 1 true TRUE Yes y Y 0 false no "" yess; do V="$v"; if is_true V; then echo -n T; else echo -n F; fi; done; is_true; echo " $?"',
    );
    assert.equal(result.stdout, 'TTTTTTFFFFF 1\n');
  });
});

describe('harness: the bundle wrapper', () => {
  it('runs node BUNDLE "$@" --root ROOT --proc DIR', () => {
    const bundle = join(scratch, 'print-args.mjs');
    writeFileSync(bundle, 'console.log(JSON.stringify(process.argv.slice(2)));\n');
    const binDir = bundleWrapper(join(scratch, 'wrapper'), {
      root: "/tmp/a root/with 'quotes'",
      proc: '/fixtures/host',
      extraArgs: ['--mirror', 'http://127.0.0.1:1/$x'],
      bundle,
    });
    const result = spawnSync(join(binDir, 'slm-copilot'), ['configure', '--verbose'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), [
      'configure',
      '--verbose',
      '--root',
      "/tmp/a root/with 'quotes'",
      '--proc',
      '/fixtures/host',
      '--mirror',
      'http://127.0.0.1:1/$x',
    ]);
  });
});

describe('driver emulation: shellcheck', () => {
  it('service, boot and common.sh pass shellcheck -x', () => {
    const result = spawnSync('shellcheck', ['-x', DRIVER, BOOT_HOOK, DRIVER_COMMON], { encoding: 'utf8' });
    assert.ifError(result.error);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
