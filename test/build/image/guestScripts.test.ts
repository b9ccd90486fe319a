/**
 * The provisioner scripts that can run outside the build VM, with their paths pointed into a temporary directory:
 * staging the artifacts from the host's HTTP server (20-artifacts.sh), the build-time control plane
 * (50-control-plane.sh) and the real install stage run through its launcher against a root prefix, and the seed.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { VERSION } from '../../../src/core/facts/version.ts';
import { makeArtifacts, testLock } from '../../support/artifacts.ts';
import { BUNDLE, requireBundle } from '../../support/bundle.ts';
import { type Loopback, serveFiles } from '../../support/loopback.ts';
import { newRoot } from '../../support/stages.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const GUEST = join(ROOT, 'packer/guest');
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function cleanEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...extra };
}

/** Runs a script without blocking this process: the loopback server answering it lives here. */
function run(script: string, env: Record<string, string>): Promise<{ status: number | null; out: string }> {
  const child = spawn('bash', [script], { env: cleanEnv(env) });
  let out = '';
  child.stdout.on('data', (data: Buffer) => {
    out += data.toString();
  });
  child.stderr.on('data', (data: Buffer) => {
    out += data.toString();
  });
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, out })));
}

describe('20-artifacts.sh: staging from the build host', () => {
  const work = mkdtempSync(join(tmpdir(), 'slm-guest-'));
  const upload = join(work, 'upload');
  const files = {
    'one-context_7.2.1-0.deb': Buffer.from('deb bytes\n'.repeat(2000)),
    'model.gguf': Buffer.from('model bytes\n'.repeat(5000)),
  };
  let server: Loopback;
  before(async () => {
    mkdirSync(upload);
    copyFileSync(join(GUEST, 'common.sh'), join(upload, 'common.sh'));
    writeFileSync(
      join(upload, 'guest-artifacts.txt'),
      `one-context one-context_7.2.1-0.deb ${sha256(files['one-context_7.2.1-0.deb'])}\n` +
        `model model.gguf ${sha256(files['model.gguf'])}\n`,
    );
  });
  after(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const env = (cache: string, address: string) => ({
    SLM_UPLOAD: upload,
    SLM_CACHE: cache,
    SLM_BUILD: join(work, 'build'),
    PACKER_HTTP_ADDR: address,
    // A proxy in the environment must not be used for the host's own server.
    http_proxy: 'http://127.0.0.1:9',
  });

  it('fetches every listed artifact, checks its sha256 and puts it in the cache', async () => {
    server = await serveFiles({
      files: {
        '/one-context_7.2.1-0.deb': files['one-context_7.2.1-0.deb'],
        '/model.gguf': files['model.gguf'],
      },
    });
    const cache = join(work, 'cache-good');
    const result = await run(join(GUEST, '20-artifacts.sh'), env(cache, server.url.replace('http://', '')));
    assert.equal(result.status, 0, result.out);
    assert.deepEqual(readFileSync(join(cache, 'model.gguf')), files['model.gguf']);
    assert.deepEqual(readFileSync(join(cache, 'one-context_7.2.1-0.deb')), files['one-context_7.2.1-0.deb']);
    assert.match(result.out, /==> 2 artifacts staged in .* and verified/);
    const again = await run(join(GUEST, '20-artifacts.sh'), env(cache, server.url.replace('http://', '')));
    assert.match(again.out, /model: model\.gguf already staged/);
    await server.close();
  });

  it('refuses a file whose sha256 is not the lock one, leaving no part', async () => {
    server = await serveFiles({
      files: {
        '/one-context_7.2.1-0.deb': files['one-context_7.2.1-0.deb'],
        '/model.gguf': Buffer.from('tampered'),
      },
    });
    const cache = join(work, 'cache-bad');
    const result = await run(join(GUEST, '20-artifacts.sh'), env(cache, server.url.replace('http://', '')));
    assert.equal(result.status, 1, result.out);
    assert.match(
      result.out,
      /ERROR: model: model\.gguf from the build host does not match the lock's sha256/,
    );
    assert.deepEqual(readdirSync(cache), ['one-context_7.2.1-0.deb']);
    await server.close();
  });

  it('says so when Packer gave no HTTP server', async () => {
    const result = await run(join(GUEST, '20-artifacts.sh'), {
      ...env(join(work, 'c'), ''),
      PACKER_HTTP_ADDR: '',
    });
    assert.notEqual(result.status, 0);
    assert.match(result.out, /Packer gave no HTTP server address/);
  });
});

describe('50-control-plane.sh, then `service install`’s `slm-copilot install` through the build launcher', () => {
  const work = mkdtempSync(join(tmpdir(), 'slm-guest-'));
  const upload = join(work, 'upload');
  const build = join(work, 'build');
  const launcher = join(work, 'bin/slm-copilot');
  let root: string;
  let cache: string;
  let lock: string;
  before(() => {
    requireBundle();
    root = newRoot();
    cache = join(root, 'var/cache/slm-copilot');
    mkdirSync(cache, { recursive: true });
    mkdirSync(upload);
    mkdirSync(join(work, 'bin'));
    const files = makeArtifacts(work);
    // A Node "runtime" whose bin/node is this machine's node: the bundle really runs from the extracted tree.
    const pkg = join(work, 'runtime-pkg/package/bin');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'node'), `#!/bin/sh\nexec ${process.execPath} "$@"\n`, { mode: 0o755 });
    execFileSync('tar', ['-czf', join(work, 'runtime.tgz'), '-C', join(work, 'runtime-pkg'), 'package']);
    files.set('node-runtime', readFileSync(join(work, 'runtime.tgz')));
    lock = testLock(files);
    const entries = JSON.parse(lock).artifacts as { name: string; file: string; sha256: string }[];
    const lines: string[] = [];
    for (const entry of entries) {
      const bytes = files.get(entry.name);
      if (bytes === undefined) continue;
      writeFileSync(join(cache, entry.file), bytes);
      lines.push(`${entry.name} ${entry.file} ${entry.sha256}`);
    }
    writeFileSync(join(upload, 'guest-artifacts.txt'), `${lines.join('\n')}\n`);
    writeFileSync(join(upload, 'artifacts.lock.json'), lock);
    copyFileSync(BUNDLE, join(upload, 'slm-copilot.mjs'));
    copyFileSync(join(GUEST, 'common.sh'), join(upload, 'common.sh'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('puts the runtime, the bundle and the lock in the build directory behind the launcher', async () => {
    const result = await run(join(GUEST, '50-control-plane.sh'), {
      SLM_UPLOAD: upload,
      SLM_CACHE: cache,
      SLM_BUILD: build,
      SLM_LAUNCHER: launcher,
    });
    assert.equal(result.status, 0, result.out);
    assert.match(result.out, new RegExp(`==> slm-copilot ${VERSION.replaceAll('.', '\\.')} on Node v\\d+`));
    assert.equal(readFileSync(join(build, 'artifacts.lock.json'), 'utf8'), lock);
    assert.match(readFileSync(launcher, 'utf8'), new RegExp(`install --artifacts ${cache}`));
  });

  it('the install stage verifies the staged artifacts where they are, the backend archive included', () => {
    const install = spawnSync(
      'sh',
      ['-c', 'umask 077 && exec "$@"', 'sh', launcher, 'install', '--root', root],
      { env: cleanEnv({}), encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(install.status, 0, `${install.stdout}${install.stderr}`);
    assert.match(install.stdout, /install: localai-backend: done .*\(existing\)/);
    assert.match(
      readFileSync(join(root, 'services.log'), 'utf8'),
      new RegExp(
        `ocifile://${cache}/local-ai-backends-v4\\.9\\.0-cpu-llama-cpp\\.tar cpu-llama-cpp llama-cpp`,
      ),
    );
    // The install put the control plane in /opt/slm-copilot and replaced the build launcher there.
    assert.ok(existsSync(join(root, 'opt/slm-copilot/slm-copilot.mjs')));
    assert.match(
      readFileSync(join(root, 'usr/local/bin/slm-copilot'), 'utf8'),
      /\/opt\/slm-copilot\/node\/bin\/node/,
    );
  });

  it('without the launcher’s --artifacts the same install refuses the backend archive: nothing says where it is', () => {
    const install = spawnSync(
      'sh',
      [
        '-c',
        'umask 077 && exec "$@"',
        'sh',
        join(build, 'node/bin/node'),
        join(build, 'slm-copilot.mjs'),
        'install',
        '--root',
        newRoot(),
      ],
      { env: cleanEnv({}), encoding: 'utf8', timeout: 120_000 },
    );
    assert.notEqual(install.status, 0);
    assert.match(`${install.stdout}${install.stderr}`, /"localai-backend" has no source/);
  });
});

describe('host/seed.sh', () => {
  it("writes a one-time key and the build user's user-data, and names the package when no ISO tool is there", () => {
    const work = mkdtempSync(join(tmpdir(), 'slm-seed-'));
    try {
      // A PATH with ssh-keygen and the basics but neither cloud-localds nor genisoimage.
      const bin = join(work, 'bin');
      mkdirSync(bin);
      for (const tool of ['ssh-keygen', 'sed', 'cat', 'cp', 'mkdir', 'rm', 'grep', 'dirname']) {
        const path = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
        execFileSync('ln', ['-s', path, join(bin, tool)]);
      }
      const bash = execFileSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim();
      const result = spawnSync(bash, [join(ROOT, 'packer/host/seed.sh'), join(work, 'out')], {
        env: { PATH: bin },
        encoding: 'utf8',
      });
      const key = readFileSync(join(work, 'out/build-key.pub'), 'utf8').trim();
      assert.match(key, /^ssh-ed25519 \S+ slm-copilot image build \(one-time\)$/);
      const userData = readFileSync(join(work, 'out/seed/user-data'), 'utf8');
      assert.ok(userData.includes(`      - ${key}\n`));
      assert.doesNotMatch(userData, /@BUILD_SSH_PUBLIC_KEY@/);
      if (result.status !== 0) {
        assert.match(result.stderr, /Fix: apt-get install -y cloud-image-utils/);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
