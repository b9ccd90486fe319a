/**
 * `make image` pins what the lock leaves unpinned (issue: make image is the one command), against fake publishers
 * on loopback: pins written then the next preflight finding reported as before; a publisher whose checksum
 * disagrees with its file → nothing written, both values shown; no publisher reachable → one clear finding, lock
 * unchanged; --no-pin and air-gapped sources ask no publisher. Pinned entries are never re-pinned.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { curlHttp } from '../../src/artifacts/download/curl.ts';
import type { ArtifactEntry } from '../../src/artifacts/lock/lock.ts';
import { type ArtifactLock, serializeLock } from '../../src/artifacts/lock/lock.ts';
import { readLockFile } from '../../src/artifacts/lock/lockFile.ts';
import { type PreflightFlags, runImagePreflight } from '../../src/cli/imageCommand.ts';
import type { LockCommandIo } from '../../src/cli/lockCommand.ts';
import { type FakePublishers, sha256, startPublishers } from '../support/fakePublishers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOOL = Buffer.from('local-ai binary\n'.repeat(500));
const PINNED_SHA = 'e'.repeat(64);

/** The repository's lock (so preflight's appliance checks pass) with one artifact to pin and the rest pinned. */
const TARGET = 'localai';
const repository = JSON.parse(readFileSync(join(ROOT, 'artifacts.lock.json'), 'utf8')) as ArtifactLock;
const target = repository.artifacts.find((entry) => entry.name === TARGET) as ArtifactEntry;
assert.equal(target.source.kind, 'sha256sums-file');
const CHECKSUMS = target.source.url;
const TARGET_URL = target.url as string;
const TARGET_FILE = target.source.kind === 'sha256sums-file' ? target.source.file : '';

/** A pin as make lock would leave it (test values): hash, size, and what each source kind fixes once pinned. */
function pinnedCopy(entry: ArtifactEntry): ArtifactEntry {
  if (entry.pinned) return entry;
  const base = { ...entry, sha256: PINNED_SHA, size: 10, pinned: true };
  const source = entry.source;
  switch (source.kind) {
    case 'huggingface-lfs':
      return {
        ...base,
        url: (entry.url ?? '').replace('/resolve/main/', `/resolve/${'c'.repeat(40)}/`),
        source: { ...source, revision: 'c'.repeat(40) },
      };
    case 'oci-digest':
      return { ...base, source: { ...source, digest: `sha256:${'d'.repeat(64)}` } };
    case 'sha256sums-file':
      // A dated release directory: a pin in a moving one is refused by the appliance checks.
      return {
        ...base,
        url: (entry.url ?? '').replace('/release/', '/release-20260101/'),
        source: { ...source, url: source.url.replace('/release/', '/release-20260101/') },
      };
    default:
      return base;
  }
}

let work: string;
let publishers: FakePublishers;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'slm-image-pin-'));
});
afterEach(async () => {
  await publishers?.close();
  rmSync(work, { recursive: true, force: true });
});

function writeLock(): string {
  const path = join(work, 'artifacts.lock.json');
  const artifacts = repository.artifacts.map((entry) => (entry.name === TARGET ? entry : pinnedCopy(entry)));
  writeFileSync(path, serializeLock({ ...repository, artifacts }));
  const read = readLockFile(path);
  assert.ok(read.ok, read.ok ? '' : read.problems.join('\n'));
  return path;
}

const pinnedBefore = () =>
  repository.artifacts.filter((entry) => entry.name !== TARGET).map((entry) => pinnedCopy(entry));

async function preflight(lock: string, extra: Partial<PreflightFlags> = {}, http = publishers.http) {
  const out: string[] = [];
  const err: string[] = [];
  const io: LockCommandIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: process.env,
    http,
  };
  const flags: PreflightFlags = {
    lock,
    artifacts: join(work, 'artifacts'),
    work,
    bundle: join(work, 'slm-copilot.mjs'),
    pin: true,
    ...extra,
  };
  const code = await runImagePreflight(flags, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const lockLine = (out: string) => out.split('\n').find((line) => /^(ok {2}|MISS) lock: /.test(line)) ?? '';

describe('make image pins the unpinned artifacts on a connected host', () => {
  it('pins them as make lock does, says to review and commit, then reports the next finding as before', async () => {
    publishers = await startPublishers({
      [CHECKSUMS]: {
        body: `${'a'.repeat(64)}  local-ai-darwin-arm64\n${sha256(TOOL)}  ${TARGET_FILE}\n`,
      },
      [TARGET_URL]: { body: TOOL },
    });
    const path = writeLock();
    const result = await preflight(path);
    const written = JSON.parse(readFileSync(path, 'utf8')) as ArtifactLock;
    const pinned = written.artifacts.find((entry) => entry.name === TARGET);
    assert.equal(pinned?.sha256, sha256(TOOL));
    assert.equal(pinned?.size, TOOL.length);
    assert.equal(pinned?.pinned, true);
    assert.deepEqual(
      written.artifacts.filter((entry) => entry.name !== TARGET),
      pinnedBefore(),
      'a pinned artifact is never re-pinned',
    );
    const asked = publishers.seen.filter((seen) => !seen.endsWith(CHECKSUMS) && !seen.endsWith(TARGET_URL));
    assert.deepEqual(asked, [], "only the unpinned artifact's publisher is asked");
    assert.doesNotMatch(result.out, /not pinned/);
    assert.match(
      result.out,
      /^pinned localai in .*artifacts\.lock\.json from their publishers' own checksums\.$/m,
    );
    assert.match(result.out, /^REVIEW AND COMMIT the new pins: git diff artifacts\.lock\.json/m);
    // Preflight goes on: this machine has no hardware KVM and no bundle here, reported as before.
    assert.match(result.out, /^MISS KVM: /m);
    assert.match(result.out, /^MISS bundle: .* is missing/m);
    assert.equal(result.code, 1);
  });

  it('refuses a publisher whose checksum disagrees with its file: nothing written, both values shown', async () => {
    const stated = 'b'.repeat(64);
    publishers = await startPublishers({
      [CHECKSUMS]: { body: `${stated}  ${TARGET_FILE}\n` },
      [TARGET_URL]: { body: TOOL },
    });
    const path = writeLock();
    const before = readFileSync(path, 'utf8');
    const result = await preflight(path);
    assert.equal(readFileSync(path, 'utf8'), before);
    assert.match(result.err, /refused, nothing written to /);
    assert.match(result.err, new RegExp(stated));
    assert.match(result.err, new RegExp(sha256(TOOL)));
    assert.match(lockLine(result.out), /^MISS lock: not pinned: localai; pinning them was refused/);
    assert.equal(result.code, 1);
  });

  it('says once that no publisher can be reached, naming the unpinned and the two ways forward; writes nothing', async () => {
    publishers = await startPublishers({});
    const closed = await startPublishers({});
    await closed.close();
    const unreachable = curlHttp({
      env: {},
      rewrite: (target) => target.replace(/^https:\/\//, `${closed.url}/`),
    });
    const path = writeLock();
    const before = readFileSync(path, 'utf8');
    const result = await preflight(path, {}, unreachable);
    assert.equal(readFileSync(path, 'utf8'), before);
    assert.match(
      lockLine(result.out),
      /^MISS lock: not pinned: localai; make image pins them from their publishers, but the publishers cannot be reached from this host \("localai": .*\); nothing was written$/,
    );
    assert.match(
      result.out,
      /fix: either build air-gapped .*LOCAL_DIR=.*MIRROR=.*or run make lock on a connected machine/,
    );
    assert.equal(result.out.match(/not pinned/g)?.length, 1);
    assert.equal(result.err, '');
  });

  it('--no-pin and air-gapped sources ask no publisher and keep the strict finding', async () => {
    publishers = await startPublishers({});
    const path = writeLock();
    const before = readFileSync(path, 'utf8');
    const strict = await preflight(path, { pin: false });
    assert.match(
      lockLine(strict.out),
      /^MISS lock: not pinned: localai; pinning is off \(NO_PIN=1 \/ --no-pin\)$/,
    );
    const airGapped = await preflight(path, { localDir: work });
    assert.match(lockLine(airGapped.out), /an air-gapped build \(LOCAL_DIR\/MIRROR\) verifies the files/);
    assert.deepEqual(publishers.seen, []);
    assert.equal(readFileSync(path, 'utf8'), before);
  });
});
