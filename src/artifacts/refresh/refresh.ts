/**
 * `make lock`: for each artifact, read what its publisher states (statements.ts), refuse a statement that
 * contradicts the pin already in the lock, obtain the file (kept in the artifacts directory for the image build),
 * check the file against the statement (resolvePin) and produce the new lock. Nothing here writes the lock file:
 * the caller writes it only when no artifact was refused.
 */
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatBytes } from '../../core/lib/bytes.ts';
import type { Http } from '../download/curl.ts';
import { type ArtifactEntry, type ArtifactLock, isPinned } from '../lock/lock.ts';
import {
  disagreement,
  type ObservedFile,
  type PinChange,
  pinnedNote,
  resolvePin,
} from '../publishers/pins.ts';
import { type Origin, publisherStatement, type Statement } from '../publishers/statements.ts';
import { type Archiver, archiveCommit, observeFile } from './files.ts';

export interface RefreshOptions {
  readonly lock: ArtifactLock;
  /** Only these artifacts (by name); all when absent. */
  readonly only?: readonly string[];
  /** Artifacts whose publisher may now state something else than the pin (a reviewed upgrade). */
  readonly update?: readonly string[];
  /** Where files are downloaded to and kept (the image build takes them from here). */
  readonly artifactsDir: string;
  readonly http: Http;
  readonly archiver: Archiver;
  /** One line per step worth telling (progress included). */
  readonly say?: (line: string) => void;
}

export type Outcome =
  | { readonly name: string; readonly status: PinChange; readonly entry: ArtifactEntry }
  | {
      readonly name: string;
      readonly status: 'refused';
      readonly problems: readonly string[];
      /** The publisher gave no HTTP answer (no network, DNS, firewall): nothing was judged. */
      readonly unreachable?: boolean;
    }
  | { readonly name: string; readonly status: 'skipped' };

export interface RefreshResult {
  /** The lock with every accepted pin; equal to the input where something was refused or skipped. */
  readonly lock: ArtifactLock;
  readonly outcomes: readonly Outcome[];
  /** Every problem: unknown names, refusals. Empty means the lock may be written. */
  readonly problems: readonly string[];
}

export async function refreshLock(options: RefreshOptions): Promise<RefreshResult> {
  const say = options.say ?? (() => {});
  const known = new Set(options.lock.artifacts.map((entry) => entry.name));
  const problems: string[] = [];
  for (const name of [...(options.only ?? []), ...(options.update ?? [])]) {
    if (!known.has(name)) problems.push(`"${name}" is not in the lock; it has ${[...known].join(', ')}`);
  }
  if (problems.length > 0) return { lock: options.lock, outcomes: [], problems };

  mkdirSync(options.artifactsDir, { recursive: true });
  const outcomes: Outcome[] = [];
  const artifacts: ArtifactEntry[] = [];
  for (const entry of options.lock.artifacts) {
    if (options.only !== undefined && !options.only.includes(entry.name)) {
      outcomes.push({ name: entry.name, status: 'skipped' });
      artifacts.push(entry);
      continue;
    }
    const outcome = await refreshEntry(entry, options, say);
    outcomes.push(outcome);
    if (outcome.status === 'refused') {
      problems.push(...outcome.problems);
      artifacts.push(entry);
    } else if (outcome.status !== 'skipped') artifacts.push(outcome.entry);
  }
  return { lock: { ...options.lock, artifacts }, outcomes, problems };
}

async function refreshEntry(
  entry: ArtifactEntry,
  options: RefreshOptions,
  say: (line: string) => void,
): Promise<Outcome> {
  const refuse = (...problems: string[]): Outcome => ({ name: entry.name, status: 'refused', problems });
  const update = options.update?.includes(entry.name) ?? false;
  say(`${entry.name}: asking the publisher (${entry.source.kind} ${entry.source.url})`);
  const statement = await publisherStatement(entry, { http: options.http, update });
  if (!statement.ok) {
    return { ...refuse(statement.problem), ...(statement.unreachable === true ? { unreachable: true } : {}) };
  }

  const contradiction = disagreement(entry, statement.value.claim);
  if (contradiction !== null && !update) {
    return refuse(
      `"${entry.name}": ${contradiction}. A publisher that changes what it vouches for ` +
        `is a change to review (a new upstream release, or something wrong); once reviewed, accept it with ` +
        `--update ${entry.name}.`,
    );
  }

  let file: Obtained;
  try {
    file = await obtain(entry, statement.value, options, say);
  } catch (error) {
    return refuse(`"${entry.name}": ${(error as Error).message}`);
  }
  const result = resolvePin(entry, statement.value.claim, file.observed);
  if (!result.ok) {
    file.discard();
    return refuse(...result.problems);
  }
  file.keep();
  const observed = file.observed;
  const verb = result.change === 'unchanged' ? 'pin confirmed' : `${result.change} pin`;
  say(`${entry.name}: ${verb} (sha256 ${observed.sha256}, ${formatBytes(observed.size)})`);
  const { note: _stale, ...rest } = result.entry;
  const note = result.change === 'new' ? pinnedNote(result.entry.note) : result.entry.note;
  const pinned: ArtifactEntry = note === undefined ? rest : { ...rest, note };
  return { name: entry.name, status: result.change, entry: pinned };
}

interface Obtained {
  readonly observed: ObservedFile;
  /** Puts a fetched file in place under its lock name (a no-op for a copy already there). */
  keep(): void;
  /** Deletes a fetched file that was refused: a wrong file never sits under the artifact's name. */
  discard(): void;
}

/**
 * The file in the artifacts directory, checked against the statement: an existing copy is used when it agrees,
 * else it is fetched (or, for a registry image, made) again into a part file.
 */
async function obtain(
  entry: ArtifactEntry,
  statement: Statement,
  options: RefreshOptions,
  say: (line: string) => void,
): Promise<Obtained> {
  const target = join(options.artifactsDir, entry.file);
  if (exists(target)) {
    say(`${entry.name}: checking the copy in ${target}`);
    const existing = await observe(entry, target, say);
    if (agrees(entry, statement, existing)) return { observed: existing, keep: () => {}, discard: () => {} };
    say(`${entry.name}: the copy in ${target} is not what the publisher states; fetching it again`);
    rmSync(target, { force: true });
  }
  const part = `${target}.part`;
  await fetchInto(entry, statement.origin, part, options, say);
  const observed = await observe(entry, part, say);
  return {
    observed,
    keep: () => renameSync(part, target),
    discard: () => rmSync(part, { force: true }),
  };
}

/** Whether an existing copy can stand for the publisher's file without fetching it again. */
function agrees(entry: ArtifactEntry, statement: Statement, file: ObservedFile): boolean {
  const { claim, origin } = statement;
  if (claim.size !== undefined && claim.size !== file.size) return false;
  if (claim.sha256 !== undefined) return claim.sha256.toLowerCase() === file.sha256;
  if (claim.integrity !== undefined) return claim.integrity === file.integrity;
  if (claim.commit !== undefined) return claim.commit === file.archiveCommit;
  // An image archive states nothing itself: keep it only while it is the pinned archive of the same digest.
  return (
    origin.kind === 'oci-archive' &&
    isPinned(entry) &&
    entry.source.kind === 'oci-digest' &&
    entry.source.digest === origin.digest &&
    entry.sha256 === file.sha256
  );
}

async function fetchInto(
  entry: ArtifactEntry,
  origin: Origin,
  part: string,
  options: RefreshOptions,
  say: (line: string) => void,
): Promise<void> {
  if (origin.kind === 'oci-archive') {
    rmSync(part, { force: true });
    say(`${entry.name}: making the image archive of ${origin.image}@${origin.digest} (${origin.platform})`);
    await options.archiver({ ...origin, dest: part });
    return;
  }
  say(`${entry.name}: downloading ${options.http.describe(origin.url)}`);
  const total = entry.size === null ? '' : ` of ${formatBytes(entry.size)}`;
  let last = 0;
  await options.http.download(origin.url, part, (bytes) => {
    // A line every 10 s: a 14 GB model takes minutes.
    if (Date.now() - last < 10_000) return;
    last = Date.now();
    say(`${entry.name}: ${formatBytes(bytes)}${total} downloaded`);
  });
}

async function observe(
  entry: ArtifactEntry,
  path: string,
  say: (line: string) => void,
): Promise<ObservedFile> {
  const file = await observeFile(path, (bytes) => say(`${entry.name}: hashing, ${formatBytes(bytes)} read`));
  if (entry.source.kind !== 'github-archive') return file;
  const commit = await archiveCommit(path);
  if (!commit.ok) throw new Error(commit.problem);
  return { ...file, archiveCommit: commit.value };
}

function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
