/**
 * Pinning, the pure decision of `make lock`: check what a publisher states against the file actually downloaded,
 * produce the new entry (never pinning what the publisher does not vouch for), say whether the publisher now
 * contradicts an existing pin, and show the lock's changes as a readable diff.
 */
import { type ArtifactEntry, type ArtifactLock, type ChecksumSource, serializeLock } from '../lock/lock.ts';
import { entryProblemsOf } from '../lock/validateLock.ts';

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

/**
 * What a publisher states now that contradicts a pinned entry (the lock file), or null when it agrees. This is
 * the statement the pin rests on: the sha256 where the publisher states one, npm's integrity, the registry's
 * digest, the commit a tag points to. An unpinned entry contradicts nothing.
 */
export function disagreement(entry: ArtifactEntry, claim: PublisherClaim): string | null {
  if (!entry.pinned) return null;
  const differs = (what: string, now: string | undefined, pinned: string | null) =>
    now !== undefined && now !== pinned
      ? `the publisher now states ${what} ${now}, the lock pins ${pinned ?? 'nothing'}`
      : null;
  switch (entry.source.kind) {
    case 'sha256sums-file':
    case 'huggingface-lfs':
    case 'github-release-asset':
      return differs('sha256', claim.sha256?.toLowerCase(), entry.sha256);
    case 'npm-integrity':
      return differs('integrity', claim.integrity, entry.source.integrity);
    case 'oci-digest':
      return differs('digest', claim.digest, entry.source.digest);
    case 'github-archive':
      return differs('commit', claim.commit, entry.source.commit);
  }
}

/** A note once its entry is pinned: sentences saying why it was not pinned are no longer true and go. */
export function pinnedNote(note: string | undefined): string | undefined {
  if (note === undefined) return undefined;
  const kept = note
    .split(/(?<=\.)\s+/)
    .filter((sentence) => !/^Not pinned\b/i.test(sentence))
    .join(' ');
  return kept === '' ? undefined : kept;
}
