/**
 * What each publisher states about a file, parsed from its own documents (Ubuntu's SHA256SUMS, LocalAI's
 * checksums.txt, Hugging Face's LFS metadata, npm's integrity, a registry's digest, GitHub's assets and tags).
 * Pure: fetching the documents is statements.ts's business; where they are is sources.ts's; pinning is pins.ts's.
 */

import { isRecord } from '../../core/lib/isRecord.ts';

export type Stated<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly problem: string;
      /** The publisher gave no HTTP answer at all (set by the fetching side, never by a parser). */
      readonly unreachable?: boolean;
    };

const stated = <T>(value: T): Stated<T> => ({ ok: true, value });
const refused = <T>(problem: string): Stated<T> => ({ ok: false, problem });

/** The sha256 a `sha256sum`-format document lists for `file` ("<hash>  <name>" or "<hash> *<name>"). */
export function parseSha256Sums(text: string, file: string, origin: string): Stated<string> {
  const found = new Set<string>();
  const names: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = /^([0-9a-fA-F]{64}) [ *](?:\.\/)?(.+)$/.exec(line.trim());
    if (match === null) continue;
    const [, hash, name] = match as unknown as [string, string, string];
    names.push(name);
    if (name === file) found.add(hash.toLowerCase());
  }
  if (found.size === 1) return stated([...found][0] as string);
  if (found.size > 1)
    return refused(`${origin} lists ${file} with ${found.size} different hashes: ${[...found].join(', ')}`);
  const listed =
    names.length === 0
      ? 'no checksum lines at all'
      : `it lists ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''}`;
  return refused(`${origin} does not list ${file}; ${listed}`);
}

/** sha256 (`lfs.oid`) and size of `path` in a Hugging Face tree listing (GET /api/models/<repo>/tree/<revision>). */
export function parseHuggingFaceTree(
  json: unknown,
  path: string,
  origin: string,
): Stated<{ sha256: string; size: number }> {
  if (!Array.isArray(json))
    return refused(`${origin} is not a Hugging Face tree listing (expected a JSON array)`);
  const item = json.find((candidate) => isRecord(candidate) && candidate.path === path);
  if (!isRecord(item)) return refused(`${origin} has no file ${path}`);
  const lfs = item.lfs;
  if (!isRecord(lfs))
    return refused(`${origin}: ${path} is not stored with LFS, so Hugging Face publishes no sha256 for it`);
  const oid = typeof lfs.oid === 'string' ? lfs.oid.replace(/^sha256:/, '') : '';
  if (!/^[0-9a-f]{64}$/.test(oid))
    return refused(`${origin}: ${path} has LFS oid ${JSON.stringify(lfs.oid)}, not a sha256`);
  if (!Number.isSafeInteger(lfs.size) || (lfs.size as number) <= 0) {
    return refused(`${origin}: ${path} has LFS size ${JSON.stringify(lfs.size)}`);
  }
  return stated({ sha256: oid, size: lfs.size as number });
}

/** The commit a Hugging Face revision resolves to (GET /api/models/<repo>/revision/<branch> → `sha`). */
export function parseHuggingFaceCommit(json: unknown, origin: string): Stated<string> {
  const sha = isRecord(json) ? json.sha : undefined;
  return typeof sha === 'string' && /^[0-9a-f]{40}$/.test(sha)
    ? stated(sha)
    : refused(`${origin} names no commit ("sha" is ${JSON.stringify(sha)})`);
}

/** Tarball URL and integrity from the registry's version document (GET https://registry.npmjs.org/<pkg>/<version>). */
export function parseNpmVersion(
  json: unknown,
  expected: { readonly package: string; readonly version: string },
  origin: string,
): Stated<{ tarball: string; integrity: string }> {
  if (!isRecord(json)) return refused(`${origin} is not an npm version document`);
  if (json.name !== expected.package || json.version !== expected.version) {
    return refused(
      `${origin} describes ${String(json.name)}@${String(json.version)}, not ${expected.package}@${expected.version}`,
    );
  }
  const dist = isRecord(json.dist) ? json.dist : {};
  if (typeof dist.integrity !== 'string' || !/^sha512-[A-Za-z0-9+/]{86}==$/.test(dist.integrity)) {
    return refused(`${origin} has no sha512 integrity (dist.integrity is ${JSON.stringify(dist.integrity)})`);
  }
  if (typeof dist.tarball !== 'string' || !dist.tarball.startsWith('https://')) {
    return refused(`${origin} has no https tarball URL (dist.tarball is ${JSON.stringify(dist.tarball)})`);
  }
  return stated({ tarball: dist.tarball, integrity: dist.integrity });
}

/** The manifest digest a registry returns for a tag (the Docker-Content-Digest response header). */
export function parseOciDigest(header: string | undefined, origin: string): Stated<string> {
  const value = header?.trim() ?? '';
  return /^sha256:[0-9a-f]{64}$/.test(value)
    ? stated(value)
    : refused(
        `${origin} answered without a sha256 Docker-Content-Digest (got ${JSON.stringify(header ?? null)})`,
      );
}

/** sha256 and size of `asset` in a GitHub release document (GET https://api.github.com/repos/<repo>/releases/tags/<tag>). */
export function parseGitHubReleaseAsset(
  json: unknown,
  asset: string,
  origin: string,
): Stated<{ sha256: string; size: number; url: string }> {
  if (!isRecord(json) || !Array.isArray(json.assets))
    return refused(`${origin} is not a GitHub release document (no "assets" list)`);
  const assets = json.assets.filter(isRecord);
  const item = assets.find((candidate) => candidate.name === asset);
  if (item === undefined) {
    const names = assets.map((candidate) => String(candidate.name));
    return refused(
      `${origin} has no asset ${asset}; it lists ${names.length === 0 ? 'no assets' : names.join(', ')}`,
    );
  }
  const digest = typeof item.digest === 'string' ? item.digest : '';
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
    return refused(
      `${origin}: asset ${asset} has digest ${JSON.stringify(item.digest ?? null)}, not "sha256:<hex>" (GitHub states digests for assets uploaded since mid-2025)`,
    );
  }
  if (!Number.isSafeInteger(item.size) || (item.size as number) <= 0)
    return refused(`${origin}: asset ${asset} has size ${JSON.stringify(item.size)}`);
  const url = typeof item.browser_download_url === 'string' ? item.browser_download_url : '';
  return stated({ sha256: digest.slice('sha256:'.length), size: item.size as number, url });
}

/** The commit a ref resolves to (GET https://api.github.com/repos/<repo>/commits/<ref> → `sha`). */
export function parseGitHubCommit(json: unknown, origin: string): Stated<string> {
  const sha = isRecord(json) ? json.sha : undefined;
  return typeof sha === 'string' && /^[0-9a-f]{40}$/.test(sha)
    ? stated(sha)
    : refused(`${origin} names no commit ("sha" is ${JSON.stringify(sha ?? null)})`);
}

/**
 * The commit a `git archive` tarball was made from: git writes it into the archive's first record, a pax global
 * header (type "g") holding `comment=<commit>` (what `git get-tar-commit-id` reads). `head` is the start of the
 * uncompressed tar (1 KiB is enough).
 */
export function parseTarCommitId(head: Uint8Array, origin: string): Stated<string> {
  const block = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (block.length < 1024 || block[156] !== 0x67) {
    return refused(`${origin} does not start with a pax global header: it was not made by git archive`);
  }
  const sizeField = block.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim();
  const size = Number.parseInt(sizeField, 8);
  const records = block.subarray(512, 512 + (Number.isSafeInteger(size) ? size : 0)).toString('utf8');
  const comment = /(?:^|\n)\d+ comment=([0-9a-f]{40})\n/.exec(records);
  return comment === null
    ? refused(`${origin}: the pax header names no commit (no "comment=<40 hex digits>" record)`)
    : stated(comment[1] as string);
}

/** npm's integrity string for a sha512 digest given as base64. */
export function sha512Integrity(base64: string): string {
  return `sha512-${base64}`;
}
