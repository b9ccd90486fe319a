/**
 * The whole appliance life through the one-apps driver emulation: `service install` (artifacts from a loopback
 * mirror), then boots (`service configure && service bootstrap`) with the real bundle against a root prefix.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeArtifacts, serveArtifacts, testLock } from '../../support/artifacts.ts';
import { BUNDLE, requireBundle } from '../../support/bundle.ts';
import { FIXTURE_HOSTS } from '../../support/hosts.ts';
import { newRoot } from '../../support/stages.ts';
import { boot, readStatus, runStage } from './driver/harness.ts';

/** `slm-copilot` on PATH: the built bundle against the root, with each stage's test-only arguments. */
function wrapper(dir: string, root: string, lock: string, mirror: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const common = `--root '${root}' --proc '${FIXTURE_HOSTS}epyc-passthrough-smt-32g'`;
  writeFileSync(
    join(bin, 'slm-copilot'),
    `#!/bin/sh
stage="$1"; shift
case "$stage" in
  install) exec '${process.execPath}' '${BUNDLE}' install ${common} --lock '${lock}' --mirror '${mirror}' "$@" ;;
  bootstrap) exec '${process.execPath}' '${BUNDLE}' bootstrap ${common} --wait 1 "$@" ;;
  *) exec '${process.execPath}' '${BUNDLE}' "$stage" ${common} "$@" ;;
esac
`,
  );
  chmodSync(join(bin, 'slm-copilot'), 0o755);
  return bin;
}

describe('appliance.sh through the one-apps driver, real bundle, root prefix', () => {
  let server: Server;
  let bin: string;
  const root = newRoot();
  const work = mkdtempSync(join(tmpdir(), 'slm-boot-'));
  const KEY = 'sk-ops-00000000000000000000000000000000001';
  before(async () => {
    requireBundle();
    const files = makeArtifacts(work);
    const served = await serveArtifacts(files);
    server = served.server;
    const lock = join(work, 'lock.json');
    writeFileSync(lock, testLock(files));
    bin = wrapper(work, root, lock, served.mirror);
  });
  after(() => server?.close());

  it('install succeeds once, under the driver (set -e, umask 0077), and is skipped the second time', async () => {
    const run = await runStage(root, 'install', { path: [bin] });
    assert.equal(run.code, 0, run.stderr + run.log);
    assert.equal(run.status, 'install_success');
    assert.match(run.log, /install: done/);
    const again = await runStage(root, 'install', { path: [bin] });
    assert.equal(again.code, 0);
    assert.equal(again.status, 'install_success');
  });

  it('the first boot configures and bootstraps; the motd says ready; the report tells how to connect', async () => {
    const run = await boot(root, { path: [bin], env: { ONEAPP_COPILOT_AUTH_KEYS: `ops:${KEY}` } });
    assert.equal(run.code, 0, run.stderr + run.log);
    assert.equal(readStatus(root), 'bootstrap_success');
    assert.match(run.motd, /All set and ready to serve/);
    const report = readFileSync(join(root, 'etc/one-appliance/config'), 'utf8');
    assert.match(report, new RegExp(`^api_key = ${KEY}$`, 'm'));
    assert.ok(!run.log.includes(KEY), 'no key in the stage logs');
  });

  it('a second boot with the same context writes nothing and restarts nothing', async () => {
    const services = readFileSync(join(root, 'services.log'), 'utf8');
    const run = await boot(root, { path: [bin], env: { ONEAPP_COPILOT_AUTH_KEYS: `ops:${KEY}` } });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.logs.configure, /configure: nothing changed/);
    const added = readFileSync(join(root, 'services.log'), 'utf8').slice(services.length);
    assert.doesNotMatch(added, /try-restart|try-reload|nginx -t/);
  });

  it('a boot with a bad context fails configure, skips bootstrap, and keeps the configuration', async () => {
    const site = readFileSync(join(root, 'etc/slm-copilot/nginx/api-keys.map'), 'utf8');
    const run = await boot(root, { path: [bin], env: { ONEAPP_COPILOT_AUTH_KEYS: 'ops:short' } });
    assert.notEqual(run.code, 0);
    assert.equal(readStatus(root), 'configure_failure');
    assert.equal(run.logs.bootstrap, '');
    assert.match(run.logs.configure, /ONEAPP_COPILOT_AUTH_KEYS: entry 1/);
    assert.equal(readFileSync(join(root, 'etc/slm-copilot/nginx/api-keys.map'), 'utf8'), site);
    assert.match(readFileSync(join(root, 'etc/one-appliance/config'), 'utf8'), /^\[Configure errors\]$/m);
    const fixed = await boot(root, { path: [bin], env: { ONEAPP_COPILOT_AUTH_KEYS: `ops:${KEY}` } });
    assert.equal(fixed.code, 0);
    assert.equal(readStatus(root), 'bootstrap_success');
  });
});
