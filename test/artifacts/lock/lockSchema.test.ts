/** The lock's GitHub source kinds (context package, one-apps framework) and the pure helpers of `make lock`. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ArtifactEntry } from '../../../src/artifacts/lock/lock.ts';
import { serializeLock } from '../../../src/artifacts/lock/lock.ts';
import { validateLock } from '../../../src/artifacts/lock/validateLock.ts';
import {
  parseGitHubCommit,
  parseGitHubReleaseAsset,
  parseTarCommitId,
} from '../../../src/artifacts/publishers/parse.ts';
import { disagreement, pinnedNote, resolvePin } from '../../../src/artifacts/publishers/pins.ts';
import {
  bearerTokenUrl,
  latestUbuntuSerial,
  parseBearerChallenge,
  ubuntuDatedUrls,
} from '../../../src/artifacts/publishers/sources.ts';
import { gitArchive } from '../../support/fakePublishers.ts';

const SHA = 'a'.repeat(64);
const COMMIT = 'c'.repeat(40);

const deb: ArtifactEntry = {
  name: 'one-context',
  version: '7.2.1-0',
  file: 'one-context_7.2.1-0.deb',
  url: 'https://github.com/OpenNebula/one-apps/releases/download/v7.2.1/one-context_7.2.1-0.deb',
  sha256: null,
  size: null,
  pinned: false,
  source: {
    kind: 'github-release-asset',
    url: 'https://api.github.com/repos/OpenNebula/one-apps/releases/tags/v7.2.1',
    repo: 'OpenNebula/one-apps',
    tag: 'v7.2.1',
    asset: 'one-context_7.2.1-0.deb',
  },
};

const framework: ArtifactEntry = {
  name: 'one-apps-framework',
  version: 'v7.2.1',
  file: 'v7.2.1.tar.gz',
  url: 'https://github.com/OpenNebula/one-apps/archive/refs/tags/v7.2.1.tar.gz',
  sha256: null,
  size: null,
  pinned: false,
  source: {
    kind: 'github-archive',
    url: 'https://api.github.com/repos/OpenNebula/one-apps/commits/v7.2.1',
    repo: 'OpenNebula/one-apps',
    ref: 'v7.2.1',
    commit: null,
  },
};

function problems(...artifacts: ArtifactEntry[]): readonly string[] {
  const result = validateLock(JSON.parse(serializeLock({ lockVersion: 1, artifacts })));
  return result.ok ? [] : result.problems;
}

describe('GitHub source kinds in the lock', () => {
  it('accepts them, pinned and not, and serializes them in a fixed order', () => {
    assert.deepEqual(problems(deb, framework), []);
    assert.deepEqual(
      problems(
        { ...deb, sha256: SHA, size: 10, pinned: true },
        {
          ...framework,
          sha256: SHA,
          size: 10,
          pinned: true,
          source: { ...framework.source, commit: COMMIT } as ArtifactEntry['source'],
        },
      ),
      [],
    );
    assert.match(
      serializeLock({ lockVersion: 1, artifacts: [framework] }),
      /"ref": "v7\.2\.1",\n\s+"commit": null/,
    );
  });

  it('refuses URLs that are not the ones repo, tag and asset name', () => {
    const wrongApi = problems({
      ...deb,
      source: {
        ...deb.source,
        url: 'https://api.github.com/repos/x/y/releases/latest',
      } as ArtifactEntry['source'],
    });
    assert.match(
      wrongApi[0] ?? '',
      /source\.url must be the release's API document https:\/\/api\.github\.com\/repos\/OpenNebula\/one-apps\/releases\/tags\/v7\.2\.1/,
    );
    const wrongDownload = problems({
      ...deb,
      url: 'https://github.com/OpenNebula/one-apps/releases/download/v7.2.0/one-context_7.2.1-0.deb',
    });
    assert.ok(
      wrongDownload.some((problem) => /repo\/tag\/asset say the download URL is/.test(problem)),
      wrongDownload.join('\n'),
    );
    const archive = problems({
      ...framework,
      url: 'https://github.com/OpenNebula/one-apps/archive/v7.2.1.tar.gz',
    });
    assert.ok(
      archive.some((problem) =>
        /repo\/ref say the download URL is https:\/\/github\.com\/OpenNebula\/one-apps\/archive\/refs\/tags\/v7\.2\.1\.tar\.gz/.test(
          problem,
        ),
      ),
    );
  });

  it('requires the commit once a tag archive is pinned', () => {
    const result = problems({ ...framework, sha256: SHA, pinned: true });
    assert.match(result[0] ?? '', /source\.commit must be set once pinned/);
    const bad = problems({
      ...framework,
      source: { ...framework.source, commit: 'v7.2.1' } as ArtifactEntry['source'],
    });
    assert.match(bad[0] ?? '', /commit must be null or the 40-digit commit/);
  });
});

describe('GitHub statements', () => {
  it("reads a release asset's digest and size, and lists the assets when the name is wrong", () => {
    const release = {
      assets: [
        {
          name: 'one-context_7.2.1-0.deb',
          size: 1234,
          digest: `sha256:${SHA}`,
          browser_download_url: deb.url,
        },
        { name: 'one-context-7.2.1-0.el9.noarch.rpm', size: 99, digest: null },
      ],
    };
    assert.deepEqual(parseGitHubReleaseAsset(release, 'one-context_7.2.1-0.deb', 'api'), {
      ok: true,
      value: { sha256: SHA, size: 1234, url: deb.url },
    });
    const wrong = parseGitHubReleaseAsset(release, 'one-context_7.2.1-1.deb', 'api');
    assert.ok(
      !wrong.ok &&
        /has no asset one-context_7\.2\.1-1\.deb; it lists one-context_7\.2\.1-0\.deb, one-context-7\.2\.1-0\.el9\.noarch\.rpm/.test(
          wrong.problem,
        ),
    );
    const undigested = parseGitHubReleaseAsset(release, 'one-context-7.2.1-0.el9.noarch.rpm', 'api');
    assert.ok(!undigested.ok && /digest null, not "sha256:<hex>"/.test(undigested.problem));
    assert.deepEqual(parseGitHubCommit({ sha: COMMIT }, 'api'), { ok: true, value: COMMIT });
    assert.equal(parseGitHubCommit({ message: 'Not Found' }, 'api').ok, false);
  });

  it('reads the commit a git archive names, and refuses other tarballs', async () => {
    const { tarball, commit } = gitArchive();
    const { gunzipSync } = await import('node:zlib');
    assert.deepEqual(parseTarCommitId(gunzipSync(tarball).subarray(0, 1024), 'a.tar'), {
      ok: true,
      value: commit,
    });
    assert.equal(parseTarCommitId(Buffer.alloc(1024), 'b.tar').ok, false);
  });

  it('pins a tag archive only when the archive names the commit GitHub states', () => {
    const observed = { sha256: SHA, size: 10, archiveCommit: COMMIT };
    const pinned = resolvePin(framework, { commit: COMMIT }, observed);
    assert.ok(
      pinned.ok && pinned.entry.source.kind === 'github-archive' && pinned.entry.source.commit === COMMIT,
    );
    const other = resolvePin(framework, { commit: 'd'.repeat(40) }, observed);
    assert.ok(
      !other.ok && /says commit d{40} but the downloaded file has c{40}/.test(other.problems[0] ?? ''),
    );
  });
});

describe('make lock helpers', () => {
  it('asks a registry for an anonymous token the way it says', () => {
    const challenge = parseBearerChallenge(
      'Bearer realm="https://quay.io/v2/auth",service="quay.io",scope="repository:a/b:pull"',
    );
    assert.deepEqual(challenge, {
      realm: 'https://quay.io/v2/auth',
      service: 'quay.io',
      scope: 'repository:a/b:pull',
    });
    assert.equal(
      bearerTokenUrl(challenge ?? { realm: '' }),
      'https://quay.io/v2/auth?service=quay.io&scope=repository%3Aa%2Fb%3Apull',
    );
    assert.equal(parseBearerChallenge('Basic realm="x"'), null);
  });

  it("finds Ubuntu's newest dated release directory", () => {
    const index =
      '<a href="release-20240423/">a</a><a href="release-20250610/">b</a><a href="release-20250610.1/">c</a><a href="release/">d</a>';
    assert.equal(latestUbuntuSerial(index), '20250610.1');
    assert.equal(latestUbuntuSerial('<html/>'), null);
    assert.deepEqual(
      ubuntuDatedUrls(
        'https://cloud-images.ubuntu.com/releases/noble/release/ubuntu-24.04-server-cloudimg-amd64.img',
        '20250610',
      ),
      {
        url: 'https://cloud-images.ubuntu.com/releases/noble/release-20250610/ubuntu-24.04-server-cloudimg-amd64.img',
        sums: 'https://cloud-images.ubuntu.com/releases/noble/release-20250610/SHA256SUMS',
      },
    );
  });

  it('says when a publisher contradicts a pin, per kind', () => {
    const pinnedDeb: ArtifactEntry = { ...deb, sha256: SHA, size: 1, pinned: true };
    assert.equal(disagreement(pinnedDeb, { sha256: SHA }), null);
    assert.equal(
      disagreement(pinnedDeb, { sha256: 'b'.repeat(64) }),
      `the publisher now states sha256 ${'b'.repeat(64)}, the lock pins ${SHA}`,
    );
    assert.equal(
      disagreement(deb, { sha256: 'b'.repeat(64) }),
      null,
      'an unpinned entry contradicts nothing',
    );
  });

  it('drops the sentences of a note that said why it was not pinned', () => {
    assert.equal(
      pinnedNote(
        'Static binary. Not pinned: GitHub was unreachable; `make lock` takes the hash from x.txt. Kept.',
      ),
      'Static binary. Kept.',
    );
    assert.equal(pinnedNote('Not pinned: offline.'), undefined);
  });
});
