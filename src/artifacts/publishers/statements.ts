/**
 * What each publisher states about an artifact, read from its own checksum source (thin IO over the pure parsers):
 * Ubuntu's SHA256SUMS, LocalAI's checksums file, Hugging Face's LFS metadata, npm's integrity, a registry's
 * manifest digest, GitHub's release asset digests and tag commits. Also says where the bytes come from.
 */

import { type Http, UnreachableError } from '../download/curl.ts';
import type { ArtifactEntry } from '../lock/lock.ts';
import {
  parseGitHubCommit,
  parseGitHubReleaseAsset,
  parseHuggingFaceCommit,
  parseHuggingFaceTree,
  parseNpmVersion,
  parseOciDigest,
  parseSha256Sums,
  type Stated,
} from './parse.ts';
import type { PublisherClaim } from './pins.ts';
import {
  bearerTokenUrl,
  GITHUB_API_HEADERS,
  huggingFaceRevisionUrl,
  huggingFaceTreeUrl,
  isUbuntuCloudImage,
  latestUbuntuSerial,
  OCI_MANIFEST_ACCEPT,
  parseBearerChallenge,
  parseBearerToken,
  ubuntuDatedUrls,
  ubuntuSeriesIndex,
} from './sources.ts';

export type Origin =
  /** Download this URL. */
  | { readonly kind: 'url'; readonly url: string }
  /** Make a `docker save` archive of this image digest (the registry serves no single file). */
  | {
      readonly kind: 'oci-archive';
      readonly image: string;
      readonly tag: string;
      readonly digest: string;
      readonly platform: string;
    };

export interface Statement {
  readonly claim: PublisherClaim;
  readonly origin: Origin;
}

export interface StatementOptions {
  readonly http: Http;
  /** Re-resolve moving references (Ubuntu's newest release, a Hugging Face branch) even for a pinned entry. */
  readonly update: boolean;
}

const GIT_COMMIT = /^[0-9a-f]{40}$/;

export async function publisherStatement(
  entry: ArtifactEntry,
  options: StatementOptions,
): Promise<Stated<Statement>> {
  try {
    return await statementOf(entry, options);
  } catch (error) {
    return {
      ok: false,
      problem: `"${entry.name}": ${(error as Error).message}`,
      unreachable: error instanceof UnreachableError,
    };
  }
}

async function statementOf(
  entry: ArtifactEntry,
  { http, update }: StatementOptions,
): Promise<Stated<Statement>> {
  const fail = (problem: string): Stated<Statement> => ({
    ok: false,
    problem: `"${entry.name}": ${problem}`,
  });
  const source = entry.source;
  switch (source.kind) {
    case 'sha256sums-file': {
      let url = entry.url ?? '';
      let sums = source.url;
      const moving = isUbuntuCloudImage(entry.url) && (update || !entry.pinned);
      if (moving) {
        const index = ubuntuSeriesIndex(url) ?? '';
        const page = await document(http, index);
        if (!page.ok) return fail(page.problem);
        const serial = latestUbuntuSerial(page.value);
        if (serial === null) return fail(`${index} lists no release-<serial>/ directory`);
        const dated = ubuntuDatedUrls(url, serial);
        if (dated === null) return fail(`cannot place ${url} in a dated directory`);
        url = dated.url;
        sums = dated.sums;
      }
      const text = await document(http, sums);
      if (!text.ok) return fail(text.problem);
      const sha256 = parseSha256Sums(text.value, source.file, sums);
      if (!sha256.ok) return fail(sha256.problem);
      const claim: PublisherClaim = {
        sha256: sha256.value,
        ...(moving ? { url, sourceUrl: sums } : {}),
      };
      return { ok: true, value: { claim, origin: { kind: 'url', url } } };
    }
    case 'huggingface-lfs': {
      let commit = source.revision;
      if (!GIT_COMMIT.test(commit) || update) {
        const branch = GIT_COMMIT.test(commit) ? 'main' : commit;
        const revisionUrl = huggingFaceRevisionUrl(source.repo, branch);
        const revision = await json(http, revisionUrl);
        if (!revision.ok) return fail(revision.problem);
        const parsed = parseHuggingFaceCommit(revision.value, revisionUrl);
        if (!parsed.ok) return fail(parsed.problem);
        commit = parsed.value;
      }
      const treeUrl = huggingFaceTreeUrl(source.repo, commit, source.path);
      const tree = await json(http, treeUrl);
      if (!tree.ok) return fail(tree.problem);
      const lfs = parseHuggingFaceTree(tree.value, source.path, treeUrl);
      if (!lfs.ok) return fail(lfs.problem);
      const url = `https://huggingface.co/${source.repo}/resolve/${commit}/${source.path}`;
      return {
        ok: true,
        value: {
          claim: { sha256: lfs.value.sha256, size: lfs.value.size, revision: commit },
          origin: { kind: 'url', url },
        },
      };
    }
    case 'npm-integrity': {
      const doc = await json(http, source.url);
      if (!doc.ok) return fail(doc.problem);
      const parsed = parseNpmVersion(
        doc.value,
        { package: source.package, version: entry.version },
        source.url,
      );
      if (!parsed.ok) return fail(parsed.problem);
      if (parsed.value.tarball !== entry.url) {
        return fail(
          `${source.url} serves the tarball at ${parsed.value.tarball}, but the lock's url is ${entry.url}`,
        );
      }
      return {
        ok: true,
        value: {
          claim: { integrity: parsed.value.integrity },
          origin: { kind: 'url', url: parsed.value.tarball },
        },
      };
    }
    case 'oci-digest': {
      const digest = await ociDigest(http, source.url);
      if (!digest.ok) return fail(digest.problem);
      return {
        ok: true,
        value: {
          claim: { digest: digest.value },
          origin: {
            kind: 'oci-archive',
            image: source.image,
            tag: source.tag,
            digest: digest.value,
            platform: source.platform,
          },
        },
      };
    }
    case 'github-release-asset': {
      const doc = await json(http, source.url, GITHUB_API_HEADERS);
      if (!doc.ok) return fail(doc.problem);
      const asset = parseGitHubReleaseAsset(doc.value, source.asset, source.url);
      if (!asset.ok) return fail(asset.problem);
      if (asset.value.url !== entry.url) {
        return fail(
          `${source.url} serves ${source.asset} at ${asset.value.url}, but the lock's url is ${entry.url}`,
        );
      }
      return {
        ok: true,
        value: {
          claim: { sha256: asset.value.sha256, size: asset.value.size },
          origin: { kind: 'url', url: asset.value.url },
        },
      };
    }
    case 'github-archive': {
      const doc = await json(http, source.url, GITHUB_API_HEADERS);
      if (!doc.ok) return fail(doc.problem);
      const commit = parseGitHubCommit(doc.value, source.url);
      if (!commit.ok) return fail(commit.problem);
      return {
        ok: true,
        value: { claim: { commit: commit.value }, origin: { kind: 'url', url: entry.url ?? '' } },
      };
    }
  }
}

async function document(
  http: Http,
  url: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<Stated<string>> {
  const response = await http.request(url, { headers });
  if (response.status !== 200) {
    return { ok: false, problem: `${http.describe(url)} answered HTTP ${response.status}` };
  }
  return { ok: true, value: response.body };
}

async function json(
  http: Http,
  url: string,
  headers: Readonly<Record<string, string>> = { Accept: 'application/json' },
): Promise<Stated<unknown>> {
  const text = await document(http, url, headers);
  if (!text.ok) return text;
  try {
    return { ok: true, value: JSON.parse(text.value) as unknown };
  } catch {
    return { ok: false, problem: `${http.describe(url)} did not answer with JSON` };
  }
}

/** HEAD the tag's manifest; a registry asking for a token (quay.io, Docker Hub) gets an anonymous pull token. */
async function ociDigest(http: Http, manifestUrl: string): Promise<Stated<string>> {
  const headers: Record<string, string> = { Accept: OCI_MANIFEST_ACCEPT };
  let response = await http.request(manifestUrl, { method: 'HEAD', headers });
  if (response.status === 401) {
    const challenge = parseBearerChallenge(response.headers['www-authenticate']);
    if (challenge === null) {
      return {
        ok: false,
        problem: `${http.describe(manifestUrl)} asks for credentials this lock cannot give`,
      };
    }
    const tokenUrl = bearerTokenUrl(challenge);
    const tokenDoc = await json(http, tokenUrl);
    if (!tokenDoc.ok) return tokenDoc;
    const token = parseBearerToken(tokenDoc.value, tokenUrl);
    if (!token.ok) return token;
    response = await http.request(manifestUrl, {
      method: 'HEAD',
      headers: { ...headers, Authorization: `Bearer ${token.value}` },
    });
  }
  if (response.status !== 200) {
    return { ok: false, problem: `${http.describe(manifestUrl)} answered HTTP ${response.status}` };
  }
  return parseOciDigest(response.headers['docker-content-digest'], manifestUrl);
}
