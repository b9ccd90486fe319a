/** Why an artifact could not be provided: a Problem (what happened, with what, and the fix), as its message too. */
import { type Problem, problemText } from '../../core/lib/failure.ts';
import type { ArtifactEntry } from '../lock/lock.ts';

export type ArtifactErrorCode =
  | 'unpinned'
  | 'mismatch'
  | 'unavailable'
  | 'no-source'
  | 'options'
  | 'curl-missing';

export class ArtifactError extends Error {
  override readonly name = 'ArtifactError';
  constructor(
    readonly code: ArtifactErrorCode,
    readonly problem: Problem,
    /** The artifacts concerned (several for a refusal made before any download). */
    readonly artifacts: readonly string[],
  ) {
    super(problemText(problem));
  }
}

const label = (entry: ArtifactEntry) => `"${entry.name}" (${entry.file})`;

export function unpinnedError(entries: readonly ArtifactEntry[]): ArtifactError {
  const lines = entries.map(
    (entry) =>
      `  - ${label(entry)}: sha256 is null; its pin comes from ${entry.source.kind} ${entry.source.url}`,
  );
  const what = entries.length === 1 ? 'is' : 'are';
  return new ArtifactError(
    'unpinned',
    {
      reason: [
        `refusing to download: ${entries.length === 1 ? 'an artifact' : `${entries.length} artifacts`} ${what} not pinned in the lock file, so nothing could verify ${entries.length === 1 ? 'it' : 'them'}:`,
        ...lines,
      ].join('\n'),
      fix: [
        'run `make lock` on a machine with internet access. It takes each sha256 from the publisher, checks the',
        'downloaded file against it and rewrites artifacts.lock.json; commit that file, then build again.',
      ].join('\n'),
    },
    entries.map((entry) => entry.name),
  );
}

export interface Mismatch {
  readonly entry: ArtifactEntry & { readonly sha256: string };
  readonly actual: string;
  readonly actualSize: number;
  /** "mirror https://…", "local file /…", "publisher https://…". */
  readonly from: string;
}

export function mismatchError({ entry, actual, actualSize, from }: Mismatch): ArtifactError {
  const expectedSize = entry.size === null ? '' : ` (${entry.size} bytes)`;
  return new ArtifactError(
    'mismatch',
    {
      reason: [
        `${label(entry)} does not match its pin; it was refused and deleted, nothing was put in place.`,
        `  expected sha256: ${entry.sha256}${expectedSize} (artifacts.lock.json)`,
        `  actual sha256:   ${actual} (${actualSize} bytes)`,
        `  from:            ${from}`,
      ].join('\n'),
      fix: [
        'if this came from a mirror or a local directory, replace that copy with the publisher file',
        `(${entry.url ?? `${entry.source.kind} ${entry.source.url}`}). If the publisher itself now serves different bytes,`,
        'do not build: run `make lock` on a connected machine and review what changed before accepting a new pin.',
      ].join('\n'),
    },
    [entry.name],
  );
}

export function unavailableError(entry: ArtifactEntry, attempts: readonly string[]): ArtifactError {
  return new ArtifactError(
    'unavailable',
    {
      reason: [
        `${label(entry)} could not be obtained from any source:`,
        ...attempts.map((attempt) => `  - ${attempt}`),
      ].join('\n'),
      fix: [
        'check the network and the proxy variables (https_proxy, http_proxy, no_proxy), or provide the file',
        `from a local directory (--local-dir DIR holding ${entry.file}) or a mirror (--mirror URL serving URL/${entry.file}).`,
      ].join('\n'),
    },
    [entry.name],
  );
}

export function noSourceError(entry: ArtifactEntry, hint: string): ArtifactError {
  return new ArtifactError(
    'no-source',
    { reason: `${label(entry)} has no download URL and no local directory or mirror was given.`, fix: hint },
    [entry.name],
  );
}

export function optionsError(problems: readonly string[]): ArtifactError {
  return new ArtifactError(
    'options',
    { reason: `cannot download artifacts:\n${problems.map((p) => `  - ${p}`).join('\n')}` },
    [],
  );
}
