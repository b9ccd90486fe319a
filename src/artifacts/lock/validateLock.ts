/**
 * The lock file's schema, checked by hand: every problem of every entry is collected, each naming the entry, the
 * field, what was found and what is expected. Nothing here reads files or the network.
 */

import { isRecord } from '../../core/lib/isRecord.ts';
import {
  type ArtifactEntry,
  type ArtifactLock,
  CHECKSUM_SOURCE_KINDS,
  type ChecksumSource,
  LOCK_VERSION,
} from './lock.ts';

export type LockResult =
  | { readonly ok: true; readonly lock: ArtifactLock }
  | { readonly ok: false; readonly problems: readonly string[] };

const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** A plain file name: no directories, no leading dot (it is joined to destination and mirror paths). */
const FILE = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const SHA256 = /^[0-9a-f]{64}$/;
const OCI_DIGEST = /^sha256:[0-9a-f]{64}$/;
const GIT_COMMIT = /^[0-9a-f]{40}$/;
/** npm's integrity for a sha512: `sha512-` and the base64 of 64 bytes. */
const SHA512_INTEGRITY = /^sha512-[A-Za-z0-9+/]{86}==$/;
const HF_REPO = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;
const OCI_IMAGE = /^[a-z0-9.-]+(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)+$/;
const PLATFORM = /^[a-z0-9]+\/[a-z0-9]+(?:\/[a-z0-9]+)?$/;

const TOP_KEYS = ['lockVersion', 'comment', 'artifacts'];
const ENTRY_KEYS = ['name', 'version', 'file', 'url', 'sha256', 'size', 'pinned', 'source', 'note'];
const SOURCE_KEYS: Record<ChecksumSource['kind'], readonly string[]> = {
  'sha256sums-file': ['kind', 'url', 'file'],
  'huggingface-lfs': ['kind', 'url', 'repo', 'revision', 'path'],
  'npm-integrity': ['kind', 'url', 'package', 'integrity'],
  'oci-digest': ['kind', 'url', 'image', 'tag', 'digest', 'platform'],
  'github-release-asset': ['kind', 'url', 'repo', 'tag', 'asset'],
  'github-archive': ['kind', 'url', 'repo', 'ref', 'commit'],
};
/** A GitHub owner/name; a tag (one URL segment: no "/"). */
const GITHUB_REPO = /^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/;
const GIT_REF = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/** Parses the lock file's text; `origin` names it in messages. */
export function parseLock(text: string, origin: string): LockResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`${origin} is not valid JSON: ${(error as Error).message}`] };
  }
  const result = validateLock(value);
  if (result.ok) return result;
  return { ok: false, problems: result.problems.map((problem) => `${origin}: ${problem}`) };
}

export function validateLock(value: unknown): LockResult {
  const problems: string[] = [];
  if (!isRecord(value)) return { ok: false, problems: ['the lock must be a JSON object with "artifacts"'] };
  for (const key of unknownKeys(value, TOP_KEYS)) problems.push(`unknown top-level field "${key}"`);
  if (value.lockVersion !== LOCK_VERSION) {
    problems.push(`lockVersion must be ${LOCK_VERSION}, got ${show(value.lockVersion)}`);
  }
  if (value.comment !== undefined && typeof value.comment !== 'string') {
    problems.push(`comment must be a string, got ${show(value.comment)}`);
  }
  if (!Array.isArray(value.artifacts) || value.artifacts.length === 0) {
    problems.push(`artifacts must be a non-empty array of entries, got ${show(value.artifacts)}`);
    return { ok: false, problems };
  }
  const artifacts = value.artifacts as unknown[];
  artifacts.forEach((entry, index) => {
    problems.push(...entryProblems(entry, index));
  });
  problems.push(...duplicates(artifacts, 'name'), ...duplicates(artifacts, 'file'));
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, lock: value as unknown as ArtifactLock };
}

function entryProblems(entry: unknown, index: number): string[] {
  if (!isRecord(entry)) return [`artifacts[${index}] must be an object, got ${show(entry)}`];
  const label =
    typeof entry.name === 'string' ? `artifacts[${index}] "${entry.name}"` : `artifacts[${index}]`;
  const problems: string[] = [];
  const add = (message: string) => problems.push(`${label}: ${message}`);

  for (const key of unknownKeys(entry, ENTRY_KEYS)) add(`unknown field "${key}"`);
  if (typeof entry.name !== 'string' || !NAME.test(entry.name)) {
    add(`name must be lowercase words joined by "-" (e.g. "node-runtime"), got ${show(entry.name)}`);
  }
  if (typeof entry.version !== 'string' || entry.version.trim() === '') {
    add(`version must be a non-empty string, got ${show(entry.version)}`);
  }
  const file = typeof entry.file === 'string' && FILE.test(entry.file) ? entry.file : null;
  if (file === null) {
    add(
      `file must be a plain file name (letters, digits, ".", "_", "+", "-"; no "/"), got ${show(entry.file)}`,
    );
  }

  const source = isRecord(entry.source) ? entry.source : null;
  const kind = source !== null && isSourceKind(source.kind) ? source.kind : null;

  if (entry.url === null) {
    if (kind !== null && kind !== 'oci-digest') {
      add(
        'url is null, which only an image archive (source kind "oci-digest") may be; give the download URL',
      );
    }
  } else if (typeof entry.url !== 'string' || httpsProblem(entry.url) !== null) {
    add(`url ${httpsProblem(entry.url) ?? 'must be an https URL'}`);
  } else if (file !== null && lastSegment(entry.url) !== file) {
    add(`url must end with the file name "${file}", got ${show(entry.url)}`);
  }

  const sha256 = entry.sha256;
  if (sha256 !== null && (typeof sha256 !== 'string' || !SHA256.test(sha256))) {
    add(`sha256 must be null (not pinned yet) or 64 lowercase hexadecimal digits, got ${show(sha256)}`);
  }
  if (entry.size !== null && !(Number.isSafeInteger(entry.size) && (entry.size as number) > 0)) {
    add(`size must be null (unknown) or a positive whole number of bytes, got ${show(entry.size)}`);
  }
  if (typeof entry.pinned !== 'boolean') {
    add(`pinned must be true or false, got ${show(entry.pinned)}`);
  } else if (entry.pinned && sha256 === null) {
    add('pinned is true but sha256 is null: a pin needs the hash (run `make lock`)');
  } else if (!entry.pinned && sha256 !== null) {
    add('pinned is false but sha256 is set: set pinned to true, or sha256 to null');
  }
  if (entry.note !== undefined && typeof entry.note !== 'string')
    add(`note must be a string, got ${show(entry.note)}`);

  if (source === null) {
    add(
      `source must be an object with "kind" (${CHECKSUM_SOURCE_KINDS.join(', ')}), got ${show(entry.source)}`,
    );
  } else if (kind === null) {
    add(`source.kind must be one of ${CHECKSUM_SOURCE_KINDS.join(', ')}, got ${show(source.kind)}`);
  } else {
    const pinned = entry.pinned === true;
    for (const message of sourceProblems(kind, source, { url: entry.url, pinned })) add(`source.${message}`);
  }
  return problems;
}

function sourceProblems(
  kind: ChecksumSource['kind'],
  source: Record<string, unknown>,
  entry: { url: unknown; pinned: boolean },
): string[] {
  const problems: string[] = [];
  for (const key of unknownKeys(source, SOURCE_KEYS[kind]))
    problems.push(`${key} is not a field of a ${kind} source`);
  const urlProblem = httpsProblem(source.url);
  if (urlProblem !== null) problems.push(`url ${urlProblem}`);

  switch (kind) {
    case 'sha256sums-file': {
      if (typeof source.file !== 'string' || source.file.trim() === '') {
        problems.push(`file must name the artifact as listed in the checksum file, got ${show(source.file)}`);
      }
      if (urlProblem === null && typeof entry.url === 'string' && httpsProblem(entry.url) === null) {
        if (directoryOf(source.url as string) !== directoryOf(entry.url)) {
          problems.push(
            `url must be the checksum file published next to the artifact (${directoryOf(entry.url)}…), got ${show(source.url)}`,
          );
        }
      }
      break;
    }
    case 'huggingface-lfs': {
      const repo = typeof source.repo === 'string' && HF_REPO.test(source.repo) ? source.repo : null;
      if (repo === null) problems.push(`repo must be "owner/name", got ${show(source.repo)}`);
      const revision =
        typeof source.revision === 'string' && source.revision.trim() !== '' && !/[\s/]/.test(source.revision)
          ? source.revision
          : null;
      if (revision === null)
        problems.push(`revision must be a branch or commit, got ${show(source.revision)}`);
      else if (entry.pinned && !GIT_COMMIT.test(revision)) {
        problems.push(
          `revision must be the 40-digit commit once pinned (a branch moves under the pin), got "${revision}"`,
        );
      }
      const path = typeof source.path === 'string' && source.path.trim() !== '' ? source.path : null;
      if (path === null)
        problems.push(`path must be the file's path in the repository, got ${show(source.path)}`);
      if (repo !== null && revision !== null && path !== null) {
        const expected = `https://huggingface.co/${repo}/resolve/${revision}/${path}`;
        if (entry.url !== expected) problems.push(`repo/revision/path say the download URL is ${expected}`);
      }
      break;
    }
    case 'npm-integrity': {
      if (typeof source.package !== 'string' || source.package.trim() === '') {
        problems.push(`package must be the npm package name, got ${show(source.package)}`);
      }
      if (
        source.integrity !== null &&
        (typeof source.integrity !== 'string' || !SHA512_INTEGRITY.test(source.integrity))
      ) {
        problems.push(
          `integrity must be null or npm's "sha512-<base64>" value, got ${show(source.integrity)}`,
        );
      } else if (source.integrity === null && entry.pinned) {
        problems.push('integrity must be set once pinned: it is what the registry vouches for');
      }
      break;
    }
    case 'oci-digest': {
      if (typeof source.image !== 'string' || !OCI_IMAGE.test(source.image)) {
        problems.push(`image must be a registry/repository reference without tag, got ${show(source.image)}`);
      }
      if (typeof source.tag !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(source.tag)) {
        problems.push(`tag must be an image tag, got ${show(source.tag)}`);
      }
      if (source.digest !== null && (typeof source.digest !== 'string' || !OCI_DIGEST.test(source.digest))) {
        problems.push(
          `digest must be null or "sha256:" and 64 hexadecimal digits, got ${show(source.digest)}`,
        );
      } else if (source.digest === null && entry.pinned) {
        problems.push('digest must be set once pinned: the archive is made from that exact image');
      }
      if (typeof source.platform !== 'string' || !PLATFORM.test(source.platform)) {
        problems.push(`platform must look like "linux/amd64", got ${show(source.platform)}`);
      }
      break;
    }
    case 'github-release-asset': {
      const repo = githubRepo(source.repo, problems);
      const tag = gitRef('tag', source.tag, problems);
      const asset = typeof source.asset === 'string' && FILE.test(source.asset) ? source.asset : null;
      if (asset === null)
        problems.push(`asset must be the release asset's file name, got ${show(source.asset)}`);
      if (repo !== null && tag !== null) {
        const api = `https://api.github.com/repos/${repo}/releases/tags/${tag}`;
        if (source.url !== api)
          problems.push(`url must be the release's API document ${api}, got ${show(source.url)}`);
        if (asset !== null) {
          const download = `https://github.com/${repo}/releases/download/${tag}/${asset}`;
          if (entry.url !== download) problems.push(`repo/tag/asset say the download URL is ${download}`);
        }
      }
      break;
    }
    case 'github-archive': {
      const repo = githubRepo(source.repo, problems);
      const ref = gitRef('ref', source.ref, problems);
      if (source.commit !== null && (typeof source.commit !== 'string' || !GIT_COMMIT.test(source.commit))) {
        problems.push(
          `commit must be null or the 40-digit commit the ref points to, got ${show(source.commit)}`,
        );
      } else if (source.commit === null && entry.pinned) {
        problems.push('commit must be set once pinned: it is what GitHub states about the archive');
      }
      if (repo !== null && ref !== null) {
        const api = `https://api.github.com/repos/${repo}/commits/${ref}`;
        if (source.url !== api)
          problems.push(`url must be the ref's API document ${api}, got ${show(source.url)}`);
        const download = `https://github.com/${repo}/archive/refs/tags/${ref}.tar.gz`;
        if (entry.url !== download) problems.push(`repo/ref say the download URL is ${download}`);
      }
      break;
    }
  }
  return problems;
}

function githubRepo(value: unknown, problems: string[]): string | null {
  if (typeof value === 'string' && GITHUB_REPO.test(value)) return value;
  problems.push(`repo must be GitHub's "owner/name", got ${show(value)}`);
  return null;
}

function gitRef(field: string, value: unknown, problems: string[]): string | null {
  if (typeof value === 'string' && GIT_REF.test(value)) return value;
  problems.push(`${field} must be a tag name (letters, digits, ".", "_", "+", "-"), got ${show(value)}`);
  return null;
}

function duplicates(artifacts: unknown[], field: 'name' | 'file'): string[] {
  const seen = new Map<string, number>();
  const problems: string[] = [];
  artifacts.forEach((entry, index) => {
    if (!isRecord(entry) || typeof entry[field] !== 'string') return;
    const value = entry[field] as string;
    const first = seen.get(value);
    if (first === undefined) seen.set(value, index);
    else problems.push(`artifacts[${index}] repeats the ${field} "${value}" of artifacts[${first}]`);
  });
  return problems;
}

/** null when the value is an https URL without credentials, query or fragment; else what is wrong. */
function httpsProblem(value: unknown): string | null {
  if (typeof value !== 'string') return `must be an https URL, got ${show(value)}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an https URL, got ${show(value)}`;
  }
  if (url.protocol !== 'https:') return `must use https (the publisher's own address), got ${show(value)}`;
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  if (url.search !== '' || url.hash !== '') return `must not have a query or fragment, got ${show(value)}`;
  return null;
}

function lastSegment(url: string): string {
  const path = new URL(url).pathname;
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
}

function directoryOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname.slice(0, parsed.pathname.lastIndexOf('/') + 1)}`;
}

function isSourceKind(value: unknown): value is ChecksumSource['kind'] {
  return typeof value === 'string' && (CHECKSUM_SOURCE_KINDS as readonly string[]).includes(value);
}

function unknownKeys(value: Record<string, unknown>, known: readonly string[]): string[] {
  return Object.keys(value).filter((key) => !known.includes(key));
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** For callers holding a typed entry (tests, `make lock`): the same checks as the file gets. */
export function entryProblemsOf(entry: ArtifactEntry): string[] {
  return entryProblems(entry, 0);
}
