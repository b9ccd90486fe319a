import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseIdFile } from '../../../src/appliance/apply/owners.ts';
import { MODEL } from '../../../src/core/facts/model.ts';
import { makeArtifacts, serveArtifacts, testLock } from '../../support/artifacts.ts';
import { requireBundle } from '../../support/bundle.ts';
import { newRoot, runStageAsync } from '../../support/stages.ts';

describe('install against a root prefix, artifacts from a loopback mirror', () => {
  let server: Server;
  let mirror: string;
  let files: Map<string, Buffer>;
  const work = mkdtempSync(join(tmpdir(), 'slm-install-'));
  before(async () => {
    requireBundle();
    files = makeArtifacts(work);
    ({ server, mirror } = await serveArtifacts(files));
  });
  after(() => server?.close());

  it('installs the runtime, the program, LocalAI and the model with owners and modes, and records what it does not run', async () => {
    const root = newRoot();
    mkdirSync(join(root, 'etc/nginx/sites-enabled'), { recursive: true });
    writeFileSync(join(root, 'etc/nginx/sites-enabled/default'), 'server {}\n');
    const lockPath = join(work, 'good.lock.json');
    writeFileSync(lockPath, testLock(files));
    const run = await runStageAsync(root, 'install', [], ['--lock', lockPath, '--mirror', mirror]);
    assert.equal(run.status, 0, run.stderr + run.stdout);
    const mode = (path: string) => (statSync(join(root, path)).mode & 0o777).toString(8);
    assert.equal(execFileSync(join(root, 'opt/slm-copilot/node/bin/node')).toString().trim(), 'v24.21.0');
    assert.equal(
      readFileSync(join(root, 'opt/slm-copilot/slm-copilot.mjs'), 'utf8'),
      readFileSync(new URL('../../../dist/slm-copilot.mjs', import.meta.url), 'utf8'),
    );
    assert.match(
      readFileSync(join(root, 'usr/local/bin/slm-copilot'), 'utf8'),
      /exec \/opt\/slm-copilot\/node\/bin\/node \/opt\/slm-copilot\/slm-copilot\.mjs "\$@"/,
    );
    assert.equal(mode('usr/local/bin/slm-copilot'), '755');
    // The relay runs node as its own user: the directories tar made under umask 0077 must be open.
    assert.equal(mode('opt/slm-copilot/node'), '755');
    assert.equal(mode('opt/slm-copilot/node/bin'), '755');
    assert.equal(mode('usr/local/bin/local-ai'), '755');
    const modelPath = `var/lib/local-ai/models/${MODEL.file}`;
    assert.deepEqual(readFileSync(join(root, modelPath)), files.get('model'));
    assert.equal(mode(modelPath), '640');
    const localaiGid = parseIdFile(readFileSync(join(root, 'etc/group'), 'utf8')).get('local-ai');
    assert.equal(statSync(join(root, modelPath)).gid, localaiGid);
    assert.equal(mode('var/lib/local-ai/configuration'), '750');
    const log = readFileSync(join(root, 'services.log'), 'utf8');
    assert.match(
      log,
      /^apt-get install -y --no-install-recommends nginx certbot openssl logrotate curl ca-certificates$/m,
    );
    assert.match(
      log,
      /local-ai backends install --backends-path \S+\/var\/lib\/local-ai\/backends .*ocifile:\/\/\S+ cpu-llama-cpp llama-cpp$/m,
    );
    assert.match(log, /^systemctl disable nginx\.service$/m);
    assert.match(log, /^systemctl mask motd-news\.timer$/m);
    assert.doesNotMatch(
      log,
      /systemctl (enable|start)/,
      'nothing is enabled before configure rendered its files',
    );
    assert.equal(existsSync(join(root, 'etc/nginx/sites-enabled/default')), false);
    assert.equal(existsSync(join(root, 'var/cache/slm-copilot')), false, 'the download cache is removed');
  });

  it('refuses an artifact whose bytes do not match its pin, showing both hashes, and installs nothing of it', async () => {
    const root = newRoot();
    const lockPath = join(work, 'tampered.lock.json');
    writeFileSync(lockPath, testLock(files, 'localai'));
    const run = await runStageAsync(root, 'install', [], ['--lock', lockPath, '--mirror', mirror]);
    assert.notEqual(run.status, 0);
    const expected = JSON.parse(readFileSync(lockPath, 'utf8')).artifacts.find(
      (e: { name: string }) => e.name === 'localai',
    ).sha256;
    const actual = createHash('sha256')
      .update(files.get('localai') as Buffer)
      .digest('hex');
    assert.ok(run.stderr.includes(expected), run.stderr);
    assert.ok(run.stderr.includes(actual), run.stderr);
    assert.equal(existsSync(join(root, 'usr/local/bin/local-ai')), false);
  });

  it('refuses the repository lock here, naming the unpinned artifacts and `make lock`', async () => {
    const root = newRoot();
    const run = await runStageAsync(
      root,
      'install',
      [],
      ['--lock', new URL('../../../artifacts.lock.json', import.meta.url).pathname, '--mirror', mirror],
    );
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /localai/);
    assert.match(run.stderr, /make lock/);
  });
});
