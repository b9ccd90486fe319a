/**
 * The pure part of `make lock`: read what each publisher states about a file (Ubuntu's SHA256SUMS, LocalAI's
 * checksums.txt, Hugging Face's LFS metadata, npm's integrity, a registry's digest), check it against the file
 * actually downloaded, and produce the new entry and a readable diff. Fetching those documents and files is the
 * caller's business (curl, as the downloader does).
 */

import { isRecord } from '../../core/lib/isRecord.ts';
import { type ArtifactEntry, type ArtifactLock, type ChecksumSource, serializeLock } from '../lock/lock.ts';
import { entryProblemsOf } from '../lock/validateLock.ts';

export type Stated<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problem: string };

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

/** What the publisher states; each field only where that publisher states it. */
export interface PublisherClaim {
  readonly sha256?: string;
  readonly size?: number;
  /** npm: the tarball's integrity. */
  readonly integrity?: string;
  /** OCI: the manifest digest the archive was made from. */
  readonly digest?: string;
  /** Hugging Face: the commit the branch resolved to (url and revision are rewritten to it). */
  readonly revision?: string;
  /** A new download URL (e.g. Ubuntu's dated release-<serial>/ directory). */
  readonly url?: string;
  /** A new checksum document URL (the SHA256SUMS of that directory). */
  readonly sourceUrl?: string;
  /** GitHub: the commit a tag points to (the archive must have been made from it). */
  readonly commit?: string;
}

/** What the downloaded file actually is. */
export interface ObservedFile {
  readonly sha256: string;
  readonly size: number;
  /** npm: `sha512-<base64>` of the file, compared with the registry's integrity. */
  readonly integrity?: string;
  /** A git archive: the commit its pax header names (parseTarCommitId). */
  readonly archiveCommit?: string;
}

export type PinChange = 'new' | 'unchanged' | 'changed';

export type PinResult =
  | { readonly ok: true; readonly entry: ArtifactEntry; readonly change: PinChange }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * The entry pinned to the observed file, if the publisher's claim agrees with it. Never pins what the publisher
 * does not vouch for: a disagreement leaves the entry as it was and says which values differ.
 */
export function resolvePin(entry: ArtifactEntry, claim: PublisherClaim, observed: ObservedFile): PinResult {
  const problems: string[] = [];
  const origin = `the publisher (${entry.source.kind} ${claim.sourceUrl ?? entry.source.url})`;
  const disagree = (what: string, said: string, actual: string) =>
    problems.push(
      `"${entry.name}": ${origin} says ${what} ${said} but the downloaded file has ${actual}; the pin was not changed`,
    );

  if (claim.sha256 !== undefined && claim.sha256.toLowerCase() !== observed.sha256) {
    disagree('sha256', claim.sha256.toLowerCase(), observed.sha256);
  }
  if (claim.size !== undefined && claim.size !== observed.size)
    disagree('size', String(claim.size), String(observed.size));

  let source: ChecksumSource = entry.source;
  let url = claim.url ?? entry.url;
  switch (entry.source.kind) {
    case 'sha256sums-file':
    case 'huggingface-lfs':
      if (claim.sha256 === undefined)
        problems.push(`"${entry.name}": ${origin} stated no sha256; nothing to pin from`);
      if (entry.source.kind === 'sha256sums-file') {
        source = { ...entry.source, url: claim.sourceUrl ?? entry.source.url };
      } else if (claim.revision !== undefined) {
        const revision = claim.revision;
        source = {
          ...entry.source,
          revision,
          url: entry.source.url.replace(/\/tree\/[^/]+$/, `/tree/${revision}`),
        };
        url = `https://huggingface.co/${entry.source.repo}/resolve/${revision}/${entry.source.path}`;
      }
      break;
    case 'npm-integrity':
      if (claim.integrity === undefined) problems.push(`"${entry.name}": ${origin} stated no integrity`);
      else if (observed.integrity === undefined)
        problems.push(`"${entry.name}": the file's sha512 was not computed`);
      else if (claim.integrity !== observed.integrity)
        disagree('integrity', claim.integrity, observed.integrity);
      source = { ...entry.source, integrity: claim.integrity ?? entry.source.integrity };
      break;
    case 'oci-digest':
      // A tag that moved to another image gives another digest and archive: a changed pin, shown by diffLocks.
      if (claim.digest === undefined) problems.push(`"${entry.name}": ${origin} stated no digest`);
      source = { ...entry.source, digest: claim.digest ?? entry.source.digest };
      break;
    case 'github-release-asset':
      if (claim.sha256 === undefined)
        problems.push(`"${entry.name}": ${origin} stated no sha256; nothing to pin from`);
      break;
    case 'github-archive':
      if (claim.commit === undefined) problems.push(`"${entry.name}": ${origin} stated no commit`);
      else if (observed.archiveCommit === undefined)
        problems.push(`"${entry.name}": the archive's commit was not read`);
      else if (claim.commit !== observed.archiveCommit)
        disagree('commit', claim.commit, observed.archiveCommit);
      source = { ...entry.source, commit: claim.commit ?? entry.source.commit };
      break;
  }
  if (problems.length > 0) return { ok: false, problems };

  const pinned: ArtifactEntry = {
    ...entry,
    url,
    sha256: observed.sha256,
    size: observed.size,
    pinned: true,
    source,
  };
  const invalid = entryProblemsOf(pinned);
  if (invalid.length > 0)
    return { ok: false, problems: invalid.map((problem) => `"${entry.name}" would be invalid: ${problem}`) };
  const change: PinChange = !entry.pinned
    ? 'new'
    : serializeLock(single(entry)) === serializeLock(single(pinned))
      ? 'unchanged'
      : 'changed';
  return { ok: true, entry: pinned, change };
}

/** One line per changed field, e.g. `model: sha256 null → 3f2a…`; empty when nothing changed. */
export function diffLocks(before: ArtifactLock, after: ArtifactLock): string[] {
  const lines: string[] = [];
  const names = new Set([...before.artifacts, ...after.artifacts].map((entry) => entry.name));
  for (const name of names) {
    const old = before.artifacts.find((entry) => entry.name === name);
    const next = after.artifacts.find((entry) => entry.name === name);
    if (old === undefined) lines.push(`${name}: added`);
    else if (next === undefined) lines.push(`${name}: removed`);
    else lines.push(...fieldChanges(name, flatten(old), flatten(next)));
  }
  return lines;
}

function fieldChanges(name: string, old: Map<string, unknown>, next: Map<string, unknown>): string[] {
  const keys = new Set([...old.keys(), ...next.keys()]);
  return [...keys]
    .filter((key) => key !== 'note' && JSON.stringify(old.get(key)) !== JSON.stringify(next.get(key)))
    .map(
      (key) =>
        `${name}: ${key} ${JSON.stringify(old.get(key) ?? null)} → ${JSON.stringify(next.get(key) ?? null)}`,
    );
}

function flatten(entry: ArtifactEntry): Map<string, unknown> {
  const { source, ...rest } = entry;
  return new Map<string, unknown>([
    ...Object.entries(rest),
    ...Object.entries(source).map(([key, value]): [string, unknown] => [`source.${key}`, value]),
  ]);
}

function single(entry: ArtifactEntry): ArtifactLock {
  return { lockVersion: 1, artifacts: [entry] };
}
