import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { ArtifactError } from '../../../src/artifacts/download/errors.ts';
import {
  type FetchOptions,
  fetchArtifact,
  fetchArtifacts,
} from '../../../src/artifacts/download/fetchArtifact.ts';
import type { Progress } from '../../../src/artifacts/download/progress.ts';
import type { ArtifactEntry } from '../../../src/artifacts/lock/lock.ts';
import {
  bytes,
  cleanEnv,
  type Loopback,
  pinnedEntry,
  serveFiles,
  sha256,
  startProxy,
} from '../../support/loopback.ts';

const CONTENT = bytes(300_000, 7);
const OTHER = bytes(300_000, 8);

let work: string;
let dest: string;
const servers: Loopback[] = [];

async function serve(...args: Parameters<typeof serveFiles>): Promise<Loopback> {
  const server = await serveFiles(...args);
  servers.push(server);
  return server;
}

function options(extra: Partial<FetchOptions> = {}): FetchOptions {
  return { dest, env: cleanEnv(), retryDelayMs: 20, progressIntervalMs: 20, ...extra };
}

/** The rejection, which must be an ArtifactError with this code. */
async function refusal(promise: Promise<unknown>, code: ArtifactError['code']): Promise<ArtifactError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ArtifactError, `expected an ArtifactError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected a refusal with code ${code}`);
}

function assertNothingPlaced(entry: ArtifactEntry) {
  assert.equal(existsSync(join(dest, entry.file)), false, 'no file in place');
  assert.equal(existsSync(join(dest, `${entry.file}.part`)), false, 'no part file left');
}

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'slm-artifacts-'));
  dest = join(work, 'dest');
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  rmSync(work, { recursive: true, force: true });
});

describe('fetchArtifact from the publisher', () => {
  it('downloads, verifies, puts the file in place and reports progress', async () => {
    const server = await serve({ files: { '/pub/artifact.bin': CONTENT } });
    const entry = pinnedEntry(CONTENT, `${server.url}/pub/artifact.bin`);
    const seen: Progress[] = [];
    const result = await fetchArtifact(entry, options({ onProgress: (progress) => seen.push(progress) }));

    assert.equal(result.source, 'publisher');
    assert.equal(result.path, join(dest, 'artifact.bin'));
    assert.equal(result.sha256, sha256(CONTENT));
    assert.equal(result.size, CONTENT.length);
    assert.equal(result.transfers, 1);
    assert.deepEqual(readFileSync(result.path), CONTENT);
    assert.equal(existsSync(`${result.path}.part`), false);
    assert.deepEqual(
      server.requests.map((request) => [request.path, request.range]),
      [['/pub/artifact.bin', undefined]],
    );
    assert.deepEqual(
      [...new Set(seen.map((progress) => progress.phase))],
      ['downloading', 'verifying', 'done'],
    );
    assert.equal(seen.at(-1)?.received, CONTENT.length);
    assert.ok(
      seen.every((progress) => progress.total === CONTENT.length && progress.artifact === 'test-artifact'),
    );
  });

  it('does not download again when the verified file is already in place', async () => {
    const server = await serve({ files: { '/artifact.bin': CONTENT } });
    const entry = pinnedEntry(CONTENT, `${server.url}/artifact.bin`);
    await fetchArtifact(entry, options());
    const again = await fetchArtifact(entry, options());
    assert.equal(again.source, 'existing');
    assert.equal(server.requests.length, 1);
  });

  it('replaces a different file sitting in place once the pinned one verifies', async () => {
    const server = await serve({ files: { '/artifact.bin': CONTENT } });
    mkdirSync(dest, { recursive: true });
    writeFileSync(join(dest, 'artifact.bin'), 'an older version');
    const result = await fetchArtifact(pinnedEntry(CONTENT, `${server.url}/artifact.bin`), options());
    assert.equal(result.source, 'publisher');
    assert.deepEqual(readFileSync(result.path), CONTENT);
  });

  it('refuses bytes that do not match the pin, showing both hashes, the URL and the fix, leaving nothing', async () => {
    const server = await serve({ files: { '/artifact.bin': OTHER } });
    const entry = pinnedEntry(CONTENT, `${server.url}/artifact.bin`);
    const error = await refusal(fetchArtifact(entry, options()), 'mismatch');
    assert.match(
      error.message,
      new RegExp(`expected sha256: ${sha256(CONTENT)} \\(${CONTENT.length} bytes\\)`),
    );
    assert.match(error.message, new RegExp(`actual sha256: +${sha256(OTHER)} \\(${OTHER.length} bytes\\)`));
    assert.ok(error.message.includes(`publisher ${server.url}/artifact.bin`), error.message);
    assert.match(error.message, /Fix: /);
    assert.match(error.message, /make lock/);
    assertNothingPlaced(entry);
  });

  it('a mismatch does not disturb a file already in place', async () => {
    const server = await serve({ files: { '/artifact.bin': OTHER } });
    mkdirSync(dest, { recursive: true });
    writeFileSync(join(dest, 'artifact.bin'), 'previous');
    await refusal(fetchArtifact(pinnedEntry(CONTENT, `${server.url}/artifact.bin`), options()), 'mismatch');
    assert.equal(readFileSync(join(dest, 'artifact.bin'), 'utf8'), 'previous');
    assert.equal(existsSync(join(dest, 'artifact.bin.part')), false);
  });
});

describe('resumption', () => {
  it('resumes a transfer cut halfway with a Range request, and the result verifies', async () => {
    const half = CONTENT.length / 2;
    const server = await serve({ files: { '/artifact.bin': CONTENT }, cutFirst: { '/artifact.bin': half } });
    const entry = pinnedEntry(CONTENT, `${server.url}/artifact.bin`);
    const result = await fetchArtifact(entry, options());

    assert.equal(result.transfers, 2, 'one cut transfer, one resumed');
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[0]?.range, undefined);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(server.requests[1]?.range ?? '')?.[1]);
    assert.ok(resumedAt > 0 && resumedAt <= half, `second request resumes: ${server.requests[1]?.range}`);
    assert.deepEqual(readFileSync(result.path), CONTENT);
  });

  it('stops a stalled transfer and resumes it without losing the bytes received', async () => {
    const server = await serve({
      files: { '/artifact.bin': CONTENT },
      stallFirst: { '/artifact.bin': 100_000 },
    });
    const entry = pinnedEntry(CONTENT, `${server.url}/artifact.bin`);
    const result = await fetchArtifact(entry, options({ stallTimeoutMs: 600 }));
    assert.equal(result.transfers, 2);
    // curl writes in blocks: what it had flushed to the part file when stopped is where it resumes.
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(server.requests[1]?.range ?? '')?.[1]);
    assert.ok(resumedAt >= 50_000 && resumedAt <= 100_000, `resumed at ${server.requests[1]?.range}`);
    assert.deepEqual(readFileSync(result.path), CONTENT);
  });

  it('also resumes when the size is not in the lock', async () => {
    const server = await serve({ files: { '/artifact.bin': CONTENT }, cutFirst: { '/artifact.bin': 1000 } });
    const entry = pinnedEntry(CONTENT, `${server.url}/artifact.bin`, { size: null });
    const result = await fetchArtifact(entry, options());
    assert.equal(result.transfers, 2);
    assert.match(server.requests[1]?.range ?? '', /^bytes=\d+-$/);
    assert.deepEqual(readFileSync(result.path), CONTENT);
  });

  it('continues the part file an earlier run left behind', async () => {
    const server = await serve({ files: { '/artifact.bin': CONTENT } });
    mkdirSync(dest, { recursive: true });
    writeFileSync(join(dest, 'artifact.bin.part'), CONTENT.subarray(0, 1000));
    const result = await fetchArtifact(pinnedEntry(CONTENT, `${server.url}/artifact.bin`), options());
    assert.equal(result.resumedFrom, 1000);
    assert.deepEqual(
      server.requests.map((request) => request.range),
      ['bytes=1000-'],
    );
    assert.deepEqual(readFileSync(result.path), CONTENT);
  });

  it('a complete part from an earlier run is verified without asking the server', async () => {
    const server = await serve({ files: {} });
    mkdirSync(dest, { recursive: true });
    writeFileSync(join(dest, 'artifact.bin.part'), CONTENT);
    const result = await fetchArtifact(pinnedEntry(CONTENT, `${server.url}/artifact.bin`), options());
    assert.equal(result.source, 'publisher');
    assert.equal(server.requests.length, 0);
  });

  it('a stale part with wrong bytes is discarded and the file downloaded once more from zero', async () => {
    const server = await serve({ files: { '/artifact.bin': CONTENT } });
    mkdirSync(dest, { recursive: true });
    writeFileSync(join(dest, 'artifact.bin.part'), OTHER.subarray(0, 1000));
    const result = await fetchArtifact(pinnedEntry(CONTENT, `${server.url}/artifact.bin`), options());
    assert.deepEqual(
      server.requests.map((request) => request.range),
      ['bytes=1000-', undefined],
    );
    assert.deepEqual(readFileSync(result.path), CONTENT);
  });

  it('starts again from zero when the server cannot resume (no Range support)', async () => {
    const server = await serve({ files: { '/artifact.bin': CONTENT }, ignoreRange: true });
    mkdirSync(dest, { recursive: true });
    writeFileSync(join(dest, 'artifact.bin.part'), CONTENT.subarray(0, 1000));
    const result = await fetchArtifact(pinnedEntry(CONTENT, `${server.url}/artifact.bin`), options());
    assert.deepEqual(
      server.requests.map((request) => request.range),
      ['bytes=1000-', undefined],
    );
    assert.deepEqual(readFileSync(result.path), CONTENT);
  });
});

describe('sources: local directory, mirror, publisher', () => {
  it('takes the file from the mirror before the publisher', async () => {
    const server = await serve({ files: { '/mirror/artifact.bin': CONTENT, '/pub/artifact.bin': CONTENT } });
    const entry = pinnedEntry(CONTENT, `${server.url}/pub/artifact.bin`);
    const result = await fetchArtifact(entry, options({ mirror: `${server.url}/mirror` }));
    assert.equal(result.source, 'mirror');
    assert.equal(result.from, `${server.url}/mirror/artifact.bin`);
    assert.deepEqual(
      server.requests.map((request) => request.path),
      ['/mirror/artifact.bin'],
    );
    assert.deepEqual(readFileSync(result.path), CONTENT);
  });

  it('falls back to the publisher when the mirror does not have the file', async () => {
    const server = await serve({ files: { '/pub/artifact.bin': CONTENT } });
    const entry = pinnedEntry(CONTENT, `${server.url}/pub/artifact.bin`);
    const result = await fetchArtifact(entry, options({ mirror: `${server.url}/mirror/` }));
    assert.equal(result.source, 'publisher');
    assert.equal(result.skipped.length, 1);
    assert.match(result.skipped[0] ?? '', /^mirror http:\/\/127\.0\.0\.1:\d+\/mirror\/artifact\.bin: .*404/);
  });

  it('refuses a mirror serving wrong bytes instead of falling back', async () => {
    const server = await serve({ files: { '/mirror/artifact.bin': OTHER, '/pub/artifact.bin': CONTENT } });
    const entry = pinnedEntry(CONTENT, `${server.url}/pub/artifact.bin`);
    const error = await refusal(
      fetchArtifact(entry, options({ mirror: `${server.url}/mirror` })),
      'mismatch',
    );
    assert.ok(error.message.includes(`mirror ${server.url}/mirror/artifact.bin`), error.message);
    assert.ok(error.message.includes(sha256(OTHER)) && error.message.includes(sha256(CONTENT)));
    assert.ok(
      !server.requests.some((request) => request.path.startsWith('/pub/')),
      'publisher not contacted',
    );
    assertNothingPlaced(entry);
  });

  it('takes the file from a local directory without any request', async () => {
    const server = await serve({ files: { '/pub/artifact.bin': CONTENT } });
    const local = join(work, 'local');
    mkdirSync(local);
    writeFileSync(join(local, 'artifact.bin'), CONTENT);
    const entry = pinnedEntry(CONTENT, `${server.url}/pub/artifact.bin`);
    const result = await fetchArtifact(entry, options({ localDir: local, mirror: `${server.url}/mirror` }));
    assert.equal(result.source, 'local');
    assert.equal(result.from, join(local, 'artifact.bin'));
    assert.equal(server.requests.length, 0);
    assert.deepEqual(readFileSync(result.path), CONTENT);
    assert.deepEqual(readFileSync(join(local, 'artifact.bin')), CONTENT, 'the local copy is left alone');
  });

  it('refuses a local file with the wrong hash, naming the file and both hashes', async () => {
    const server = await serve({ files: { '/pub/artifact.bin': CONTENT } });
    const local = join(work, 'local');
    mkdirSync(local);
    writeFileSync(join(local, 'artifact.bin'), OTHER);
    const entry = pinnedEntry(CONTENT, `${server.url}/pub/artifact.bin`);
    const error = await refusal(fetchArtifact(entry, options({ localDir: local })), 'mismatch');
    assert.ok(error.message.includes(`local file ${join(local, 'artifact.bin')}`), error.message);
    assert.ok(error.message.includes(sha256(OTHER)) && error.message.includes(sha256(CONTENT)));
    assert.equal(server.requests.length, 0, 'no fallback to the network');
    assertNothingPlaced(entry);
  });

  it('goes on to the next source when the local directory lacks the file', async () => {
    const server = await serve({ files: { '/pub/artifact.bin': CONTENT } });
    const entry = pinnedEntry(CONTENT, `${server.url}/pub/artifact.bin`);
    const result = await fetchArtifact(entry, options({ localDir: join(work, 'empty') }));
    assert.equal(result.source, 'publisher');
    assert.match(result.skipped[0] ?? '', /^local file .*artifact\.bin: no such file$/);
  });

  it('says every source it tried when none has the file', async () => {
    const server = await serve({ files: {} });
    const entry = pinnedEntry(CONTENT, `${server.url}/pub/artifact.bin`);
    const error = await refusal(
      fetchArtifact(entry, options({ localDir: join(work, 'empty'), mirror: `${server.url}/mirror` })),
      'unavailable',
    );
    assert.match(error.message, /local file .*: no such file/);
    assert.match(error.message, /mirror http:\/\/127\.0\.0\.1:\d+\/mirror\/artifact\.bin: .*404/);
    assert.match(error.message, /publisher http:\/\/127\.0\.0\.1:\d+\/pub\/artifact\.bin: .*404/);
    assert.match(error.message, /Fix: .*proxy/);
    assertNothingPlaced(entry);
  });

  it('refuses a bad mirror URL before doing anything', async () => {
    const entry = pinnedEntry(CONTENT, 'https://publisher.invalid/artifact.bin');
    const error = await refusal(fetchArtifact(entry, options({ mirror: 'ftp://mirror/x' })), 'options');
    assert.match(error.message, /mirror must use http or https/);
  });
});

describe('refusals before any transfer', () => {
  const unpinned = (name: string): ArtifactEntry => ({
    ...pinnedEntry(CONTENT, 'http://127.0.0.1:9/never', { name, file: `${name}.bin` }),
    sha256: null,
    pinned: false,
  });

  it('refuses an unpinned artifact and says to run make lock on a connected machine', async () => {
    const server = await serve({ files: { '/artifact.bin': CONTENT } });
    const entry = { ...unpinned('model'), url: `${server.url}/artifact.bin` };
    const error = await refusal(fetchArtifact(entry, options()), 'unpinned');
    assert.match(error.message, /"model" \(model\.bin\): sha256 is null/);
    assert.match(error.message, /run `make lock` on a machine with internet access/);
    assert.equal(server.requests.length, 0);
    assert.equal(existsSync(dest), false);
  });

  it('fetchArtifacts names every unpinned artifact at once and downloads none', async () => {
    const server = await serve({ files: { '/artifact.bin': CONTENT } });
    const good = pinnedEntry(CONTENT, `${server.url}/artifact.bin`);
    const error = await refusal(
      fetchArtifacts([good, unpinned('localai'), unpinned('model')], options()),
      'unpinned',
    );
    assert.deepEqual(error.artifacts, ['localai', 'model']);
    assert.match(error.message, /2 artifacts are not pinned/);
    assert.equal(server.requests.length, 0);
  });

  it('an image archive with no URL needs a local directory or mirror, and says how to make it', async () => {
    const entry: ArtifactEntry = {
      ...pinnedEntry(CONTENT, null, { name: 'localai-backend', file: 'backend.tar' }),
      source: {
        kind: 'oci-digest',
        url: 'https://quay.io/v2/go-skynet/local-ai-backends/manifests/v4.9.0-cpu-llama-cpp',
        image: 'quay.io/go-skynet/local-ai-backends',
        tag: 'v4.9.0-cpu-llama-cpp',
        digest: `sha256:${'a'.repeat(64)}`,
        platform: 'linux/amd64',
      },
    };
    const error = await refusal(fetchArtifact(entry, options()), 'no-source');
    assert.match(
      error.message,
      /skopeo copy --override-os linux --override-arch amd64 docker:\/\/quay\.io\/go-skynet\/local-ai-backends@sha256:a{64}/,
    );
    assert.match(error.message, /--local-dir/);
  });

  it('says how to install curl when it is missing', async () => {
    const entry = pinnedEntry(CONTENT, 'http://127.0.0.1:9/artifact.bin');
    const error = await refusal(fetchArtifact(entry, options({ curl: '/nonexistent/curl' })), 'curl-missing');
    assert.match(error.message, /apt-get install -y curl/);
  });
});

describe('proxy variables', () => {
  const saved = {
    http_proxy: process.env.http_proxy,
    no_proxy: process.env.no_proxy,
    NO_PROXY: process.env.NO_PROXY,
  };
  after(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('goes through the proxy that http_proxy names', async () => {
    const server = await serve({ files: { '/artifact.bin': CONTENT } });
    const proxy = await startProxy();
    servers.push(proxy);
    const entry = pinnedEntry(CONTENT, `${server.url}/artifact.bin`);
    const result = await fetchArtifact(entry, options({ env: cleanEnv({ http_proxy: proxy.url }) }));
    assert.deepEqual(readFileSync(result.path), CONTENT);
    assert.deepEqual(proxy.proxied, [{ method: 'GET', target: `${server.url}/artifact.bin` }]);
    assert.equal(server.requests.length, 1, 'the proxy forwarded it');
  });

  it('resumes through the proxy too', async () => {
    const server = await serve({ files: { '/artifact.bin': CONTENT }, cutFirst: { '/artifact.bin': 5000 } });
    const proxy = await startProxy();
    servers.push(proxy);
    const entry = pinnedEntry(CONTENT, `${server.url}/artifact.bin`);
    const result = await fetchArtifact(entry, options({ env: cleanEnv({ http_proxy: proxy.url }) }));
    assert.deepEqual(readFileSync(result.path), CONTENT);
    assert.equal(proxy.proxied.length, 2);
    assert.match(server.requests[1]?.range ?? '', /^bytes=\d+-$/);
  });

  it('bypasses the proxy for hosts in no_proxy', async () => {
    const server = await serve({ files: { '/artifact.bin': CONTENT } });
    const proxy = await startProxy();
    servers.push(proxy);
    const entry = pinnedEntry(CONTENT, `${server.url}/artifact.bin`);
    await fetchArtifact(entry, options({ env: cleanEnv({ http_proxy: proxy.url, no_proxy: '127.0.0.1' }) }));
    assert.equal(proxy.proxied.length, 0);
    assert.equal(server.requests.length, 1);
  });

  it('uses the process environment by default', async () => {
    const server = await serve({ files: { '/artifact.bin': CONTENT } });
    const proxy = await startProxy();
    servers.push(proxy);
    process.env.http_proxy = proxy.url;
    delete process.env.no_proxy;
    delete process.env.NO_PROXY;
    const { env: _, ...withoutEnv } = options();
    await fetchArtifact(pinnedEntry(CONTENT, `${server.url}/artifact.bin`), withoutEnv);
    assert.equal(proxy.proxied.length, 1);
  });
});
