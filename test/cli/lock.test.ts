/**
 * `make lock` (slm-copilot lock) against fake publishers on loopback: a new pin, an unchanged pin, a publisher that
 * now contradicts the lock file, a publisher that contradicts the file it serves, and each source kind's lookup.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ArtifactEntry, ArtifactLock } from '../../src/artifacts/lock/lock.ts';
import { serializeLock } from '../../src/artifacts/lock/lock.ts';
import { validateLock } from '../../src/artifacts/lock/validateLock.ts';
import type { Archiver } from '../../src/artifacts/refresh/files.ts';
import { runLockCommand } from '../../src/cli/lockCommand.ts';
import {
  type FakePublishers,
  gitArchive,
  integrity,
  type Route,
  sha256,
  startPublishers,
} from '../support/fakePublishers.ts';
import { huggingFaceEntry } from '../support/lockEntries.ts';

const TOOL = Buffer.from('tool binary v1\n'.repeat(500));
const RUNTIME = Buffer.from('runtime tarball\n'.repeat(700));
const DEB = Buffer.from('context package\n'.repeat(300));
const OTHER = 'f'.repeat(64);

const tool: ArtifactEntry = {
  name: 'tool',
  version: 'v1.0.0',
  file: 'tool-v1.0.0-linux-amd64',
  url: 'https://downloads.example.org/v1.0.0/tool-v1.0.0-linux-amd64',
  sha256: null,
  size: null,
  pinned: false,
  source: {
    kind: 'sha256sums-file',
    url: 'https://downloads.example.org/v1.0.0/checksums.txt',
    file: 'tool-v1.0.0-linux-amd64',
  },
  note: 'Not pinned: the publisher was unreachable. Static binary.',
};

const runtime: ArtifactEntry = {
  name: 'runtime',
  version: '24.0.0',
  file: 'runtime-24.0.0.tgz',
  url: 'https://registry.npmjs.org/runtime/-/runtime-24.0.0.tgz',
  sha256: sha256(RUNTIME),
  size: RUNTIME.length,
  pinned: true,
  source: {
    kind: 'npm-integrity',
    url: 'https://registry.npmjs.org/runtime/24.0.0',
    package: 'runtime',
    integrity: integrity(RUNTIME),
  },
};

/** Pinned to bytes the publisher no longer states. */
const context: ArtifactEntry = {
  name: 'context',
  version: 'v7.2.1',
  file: 'one-context_7.2.1-0.deb',
  url: 'https://github.com/OpenNebula/one-apps/releases/download/v7.2.1/one-context_7.2.1-0.deb',
  sha256: OTHER,
  size: 10,
  pinned: true,
  source: {
    kind: 'github-release-asset',
    url: 'https://api.github.com/repos/OpenNebula/one-apps/releases/tags/v7.2.1',
    repo: 'OpenNebula/one-apps',
    tag: 'v7.2.1',
    asset: 'one-context_7.2.1-0.deb',
  },
};

function routes(): Record<string, Route> {
  return {
    'https://downloads.example.org/v1.0.0/checksums.txt': {
      body: `${'a'.repeat(64)}  tool-v1.0.0-darwin-arm64\n${sha256(TOOL)}  tool-v1.0.0-linux-amd64\n`,
    },
    'https://downloads.example.org/v1.0.0/tool-v1.0.0-linux-amd64': { body: TOOL },
    'https://registry.npmjs.org/runtime/24.0.0': {
      body: JSON.stringify({
        name: 'runtime',
        version: '24.0.0',
        dist: { integrity: integrity(RUNTIME), tarball: runtime.url },
      }),
    },
    'https://registry.npmjs.org/runtime/-/runtime-24.0.0.tgz': { body: RUNTIME },
    'https://api.github.com/repos/OpenNebula/one-apps/releases/tags/v7.2.1': {
      body: JSON.stringify({
        tag_name: 'v7.2.1',
        assets: [
          {
            name: 'one-context_7.2.1-0.deb',
            size: DEB.length,
            digest: `sha256:${sha256(DEB)}`,
            browser_download_url: context.url,
          },
        ],
      }),
    },
    'https://github.com/OpenNebula/one-apps/releases/download/v7.2.1/one-context_7.2.1-0.deb': { body: DEB },
  };
}

let work: string;
let publishers: FakePublishers;

beforeEach(async () => {
  work = mkdtempSync(join(tmpdir(), 'slm-lock-'));
  publishers = await startPublishers(routes());
});
afterEach(async () => {
  await publishers.close();
  rmSync(work, { recursive: true, force: true });
});

function writeLock(...artifacts: ArtifactEntry[]): string {
  const path = join(work, 'artifacts.lock.json');
  writeFileSync(path, serializeLock({ lockVersion: 1, comment: 'test', artifacts }));
  return path;
}

function readLock(path: string): ArtifactLock {
  const result = validateLock(JSON.parse(readFileSync(path, 'utf8')));
  assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
  return result.lock;
}

async function lock(
  path: string,
  extra: { write?: boolean; only?: string[]; update?: string[] } = {},
  archiver?: Archiver,
) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runLockCommand(
    { lock: path, artifacts: join(work, 'artifacts'), write: extra.write ?? true, ...extra },
    {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      env: process.env,
      http: publishers.http,
      ...(archiver === undefined ? {} : { archiver }),
    },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('make lock: new, unchanged and contradicted pins', () => {
  it('refuses everything while a publisher contradicts the lock file, and writes nothing', async () => {
    const path = writeLock(tool, runtime, context);
    const before = readFileSync(path, 'utf8');
    const result = await lock(path);
    assert.equal(result.code, 1, result.out);
    assert.equal(readFileSync(path, 'utf8'), before, 'the lock file is untouched');
    assert.match(result.err, /refused, nothing written to /);
    assert.match(
      result.err,
      new RegExp(`"context": the publisher now states sha256 ${sha256(DEB)}, the lock pins ${OTHER}`),
    );
    assert.match(result.err, /accept it with --update context/);
    // The contradiction is known before any download: the .deb was never requested.
    assert.ok(!publishers.seen.some((request) => request.endsWith('.deb')), publishers.seen.join('\n'));
    // What agreed is still reported, so the operator sees the whole picture.
    assert.match(result.out, /^tool: new$/m);
    assert.match(result.out, /^runtime: unchanged$/m);
  });

  it('pins a new artifact, confirms an unchanged one, and shows the diff', async () => {
    const path = writeLock(tool, runtime, context);
    const result = await lock(path, { only: ['tool', 'runtime'] });
    assert.equal(result.code, 0, `${result.out}\n${result.err}`);
    const written = readLock(path);
    const pinned = written.artifacts.find((entry) => entry.name === 'tool');
    assert.equal(pinned?.sha256, sha256(TOOL));
    assert.equal(pinned?.size, TOOL.length);
    assert.equal(pinned?.pinned, true);
    assert.equal(pinned?.note, 'Static binary.', 'the "Not pinned" sentence is gone');
    assert.deepEqual(
      written.artifacts.find((entry) => entry.name === 'runtime'),
      runtime,
    );
    assert.deepEqual(
      written.artifacts.find((entry) => entry.name === 'context'),
      context,
    );
    assert.match(result.out, new RegExp(`tool: sha256 null → "${sha256(TOOL)}"`));
    assert.match(result.out, /tool: pinned false → true/);
    assert.doesNotMatch(result.out, /runtime: (sha256|size|pinned)/);
    assert.match(result.out, /written: /);
    // The verified files stay for the image build.
    assert.deepEqual(readFileSync(join(work, 'artifacts', tool.file)), TOOL);
    assert.deepEqual(readFileSync(join(work, 'artifacts', runtime.file)), RUNTIME);

    // Again: nothing changes, and the kept files are checked instead of downloaded.
    const downloadsBefore = publishers.seen.filter((request) => request.includes('linux-amd64')).length;
    const again = await lock(path, { only: ['tool', 'runtime'] });
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /no change to the lock/);
    assert.match(again.out, /^tool: unchanged$/m);
    assert.equal(
      publishers.seen.filter((request) => request.includes('linux-amd64')).length,
      downloadsBefore,
    );
  });

  it('accepts a reviewed change with --update', async () => {
    const path = writeLock(context);
    const result = await lock(path, { update: ['context'] });
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /^context: changed$/m);
    assert.equal(readLock(path).artifacts[0]?.sha256, sha256(DEB));
  });

  it('refuses a publisher whose checksum disagrees with the file it serves, keeping no copy', async () => {
    publishers.routes.set(tool.url ?? '', { body: Buffer.from('tampered bytes') });
    const path = writeLock(tool);
    const before = readFileSync(path, 'utf8');
    const result = await lock(path);
    assert.equal(result.code, 1);
    assert.equal(readFileSync(path, 'utf8'), before);
    assert.match(
      result.err,
      new RegExp(
        `"tool": the publisher \\(sha256sums-file ${tool.source.url}\\) says sha256 ${sha256(TOOL)} but the downloaded file has ${sha256('tampered bytes')}; the pin was not changed`,
      ),
    );
    assert.equal(existsSync(join(work, 'artifacts', tool.file)), false);
    assert.equal(existsSync(join(work, 'artifacts', `${tool.file}.part`)), false);
  });

  it('a dry run shows the diff and writes nothing', async () => {
    const path = writeLock(tool);
    const before = readFileSync(path, 'utf8');
    const result = await lock(path, { write: false });
    assert.equal(result.code, 0);
    assert.equal(readFileSync(path, 'utf8'), before);
    assert.match(result.out, /dry run: run again with --write/);
  });

  it('names unknown artifacts and an unreachable publisher', async () => {
    const path = writeLock(tool);
    const unknown = await lock(path, { only: ['nope'] });
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /"nope" is not in the lock; it has tool/);
    publishers.routes.delete(tool.source.url);
    const missing = await lock(path);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /"tool": .*checksums\.txt.* answered HTTP 404/);
  });
});

describe('make lock: each publisher kind', () => {
  it('Hugging Face: the branch resolves to a commit, the LFS sha256 is checked', async () => {
    const model = Buffer.from('gguf weights'.repeat(100));
    const commit = 'c'.repeat(40);
    publishers.routes.set('https://huggingface.co/api/models/org/repo/revision/main', {
      body: JSON.stringify({ id: 'org/repo', sha: commit }),
    });
    publishers.routes.set(`https://huggingface.co/api/models/org/repo/tree/${commit}`, {
      body: JSON.stringify([
        { type: 'file', path: 'm.gguf', lfs: { oid: sha256(model), size: model.length } },
      ]),
    });
    publishers.routes.set(`https://huggingface.co/org/repo/resolve/${commit}/m.gguf`, { body: model });
    const entry: ArtifactEntry = huggingFaceEntry('model', 'Q4_K_M', 'm.gguf');
    const path = writeLock(entry);
    const result = await lock(path);
    assert.equal(result.code, 0, result.err);
    const pinned = readLock(path).artifacts[0];
    assert.equal(pinned?.url, `https://huggingface.co/org/repo/resolve/${commit}/m.gguf`);
    assert.equal(pinned?.source.kind === 'huggingface-lfs' && pinned.source.revision, commit);
    assert.equal(pinned?.sha256, sha256(model));
  });

  it('Ubuntu: the moving release/ directory is pinned to the newest dated one', async () => {
    const image = Buffer.from('qcow2 image'.repeat(100));
    const base = 'https://cloud-images.ubuntu.com/releases/noble/';
    publishers.routes.set(base, {
      body: '<a href="release-20250101/">x</a> <a href="release-20250610.1/">y</a> <a href="release-20250610/">z</a> <a href="release/">r</a>',
    });
    publishers.routes.set(`${base}release-20250610.1/SHA256SUMS`, {
      body: `${sha256(image)} *ubuntu-24.04-server-cloudimg-amd64.img\n`,
    });
    publishers.routes.set(`${base}release-20250610.1/ubuntu-24.04-server-cloudimg-amd64.img`, {
      body: image,
    });
    const entry: ArtifactEntry = {
      name: 'ubuntu-cloud-image',
      version: '24.04',
      file: 'ubuntu-24.04-server-cloudimg-amd64.img',
      url: `${base}release/ubuntu-24.04-server-cloudimg-amd64.img`,
      sha256: null,
      size: null,
      pinned: false,
      source: {
        kind: 'sha256sums-file',
        url: `${base}release/SHA256SUMS`,
        file: 'ubuntu-24.04-server-cloudimg-amd64.img',
      },
    };
    const path = writeLock(entry);
    const result = await lock(path);
    assert.equal(result.code, 0, result.err);
    const pinned = readLock(path).artifacts[0];
    assert.equal(pinned?.url, `${base}release-20250610.1/ubuntu-24.04-server-cloudimg-amd64.img`);
    assert.equal(pinned?.source.url, `${base}release-20250610.1/SHA256SUMS`);
  });

  it('a registry image: anonymous token, digest recorded, archive made and pinned', async () => {
    const digest = `sha256:${'d'.repeat(64)}`;
    const manifest = 'https://quay.io/v2/org/backends/manifests/v1-cpu';
    publishers.routes.set(manifest, {
      handle: (req) =>
        req.headers.authorization === 'Bearer anon-token' &&
        /oci\.image\.index/.test(req.headers.accept ?? '')
          ? { headers: { 'Docker-Content-Digest': digest } }
          : {
              status: 401,
              headers: {
                'WWW-Authenticate':
                  'Bearer realm="https://quay.io/v2/auth",service="quay.io",scope="repository:org/backends:pull"',
              },
            },
    });
    publishers.routes.set('https://quay.io/v2/auth', { body: JSON.stringify({ token: 'anon-token' }) });
    const archived: string[] = [];
    const archiver: Archiver = async (request) => {
      archived.push(`${request.image}@${request.digest} ${request.platform}`);
      writeFileSync(request.dest, 'docker save archive');
    };
    const entry: ArtifactEntry = {
      name: 'backend',
      version: 'v1-cpu',
      file: 'backend-v1-cpu.tar',
      url: null,
      sha256: null,
      size: null,
      pinned: false,
      source: {
        kind: 'oci-digest',
        url: manifest,
        image: 'quay.io/org/backends',
        tag: 'v1-cpu',
        digest: null,
        platform: 'linux/amd64',
      },
    };
    const path = writeLock(entry);
    const result = await lock(path, {}, archiver);
    assert.equal(result.code, 0, result.err);
    assert.deepEqual(archived, [`quay.io/org/backends@${digest} linux/amd64`]);
    const pinned = readLock(path).artifacts[0];
    assert.equal(pinned?.source.kind === 'oci-digest' && pinned.source.digest, digest);
    assert.equal(pinned?.sha256, sha256('docker save archive'));
    // Unchanged digest and the archive still there: confirmed without making it again.
    const again = await lock(path, {}, archiver);
    assert.equal(again.code, 0, again.err);
    assert.equal(archived.length, 1);
  });

  it('a GitHub tag archive: pinned when the archive names the commit GitHub states for the tag', async () => {
    const { tarball, commit } = gitArchive();
    const api = 'https://api.github.com/repos/OpenNebula/one-apps/commits/v7.2.1';
    const url = 'https://github.com/OpenNebula/one-apps/archive/refs/tags/v7.2.1.tar.gz';
    publishers.routes.set(url, { body: tarball });
    publishers.routes.set(api, { body: JSON.stringify({ sha: commit }) });
    const entry: ArtifactEntry = {
      name: 'framework',
      version: 'v7.2.1',
      file: 'v7.2.1.tar.gz',
      url,
      sha256: null,
      size: null,
      pinned: false,
      source: { kind: 'github-archive', url: api, repo: 'OpenNebula/one-apps', ref: 'v7.2.1', commit: null },
    };
    const path = writeLock(entry);
    const result = await lock(path);
    assert.equal(result.code, 0, result.err);
    const pinned = readLock(path).artifacts[0];
    assert.equal(pinned?.source.kind === 'github-archive' && pinned.source.commit, commit);
    assert.equal(pinned?.sha256, sha256(tarball));

    // The tag moved: GitHub now states another commit than the pin.
    publishers.routes.set(api, { body: JSON.stringify({ sha: 'e'.repeat(40) }) });
    const moved = await lock(path);
    assert.equal(moved.code, 1);
    assert.match(
      moved.err,
      new RegExp(`"framework": the publisher now states commit e{40}, the lock pins ${commit}`),
    );
    // Accepted on purpose, the archive must then name that commit, which it does not.
    const forced = await lock(path, { update: ['framework'] });
    assert.equal(forced.code, 1);
    assert.match(forced.err, new RegExp(`says commit e{40} but the downloaded file has ${commit}`));
  });
});
