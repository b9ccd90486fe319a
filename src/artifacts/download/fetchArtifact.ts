/**
 * Provides one pinned artifact in a destination directory: from a local file, a mirror or the publisher (in that
 * order), always through `<dest>/<file>.part`, renamed into place only after its sha256 matched the pin.
 *
 * - Unpinned entries are refused before anything is read or downloaded.
 * - A source that does not have the file (no local copy, HTTP 404, unreachable host) is skipped for the next one;
 *   a source that has *wrong* bytes stops everything (mismatch: both hashes, the source, the fix).
 * - Transfers resume: curl continues the part file (`-C -`), retries transient errors itself, and the loop here
 *   resumes transfers that broke mid-way (curl exits 18, 28, 56, …) as long as each attempt makes progress.
 * - A part file left by an earlier run is resumed too; if the result then mismatches, the part is deleted and the
 *   file downloaded once more from zero before the mismatch is reported (the stale part may be the culprit).
 */
import { constants, copyFileSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { type ArtifactEntry, isPinned, type PinnedEntry } from '../lock/lock.ts';
import { curlArguments, curlVerdict, runCurl } from './curl.ts';
import { mismatchError, noSourceError, optionsError, unavailableError, unpinnedError } from './errors.ts';
import { sha256File } from './hash.ts';
import {
  noSourceHint,
  type Source,
  type SourceKind,
  type SourceOptions,
  sourceOptionProblems,
  sourcesFor,
} from './plan.ts';
import type { ProgressListener, ProgressPhase } from './progress.ts';

export interface FetchOptions extends SourceOptions {
  /** Destination directory; the artifact lands in `<dest>/<file>`. */
  readonly dest: string;
  /** curl's environment, proxy variables included (default: this process's environment). */
  readonly env?: NodeJS.ProcessEnv;
  readonly onProgress?: ProgressListener;
  /** Consecutive transfers without progress before a source is given up (default 3). */
  readonly attempts?: number;
  /** Pause between those transfers (default 2000 ms; curl's own retries wait 2 s too). */
  readonly retryDelayMs?: number;
  /** How often `onProgress` hears about a running transfer (default 500 ms). */
  readonly progressIntervalMs?: number;
  /** A transfer whose part file has not grown for this long is stopped and resumed (default 120 000 ms). */
  readonly stallTimeoutMs?: number;
  /** The curl executable (default "curl" on PATH). */
  readonly curl?: string;
}

export interface FetchResult {
  readonly name: string;
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  /** Where the bytes came from; "existing" when the destination already held the verified file. */
  readonly source: SourceKind | 'existing';
  /** URL or path of that source. */
  readonly from: string;
  /** curl runs for that source (more than one: it was resumed after interruptions). */
  readonly transfers: number;
  /** Bytes already in the part file when that source started (a resumed earlier download). */
  readonly resumedFrom: number;
  /** Sources tried before, each with why it was skipped. */
  readonly skipped: readonly string[];
}

/** Refuses all unpinned or source-less entries together, before any transfer, then fetches one after the other. */
export async function fetchArtifacts(
  entries: readonly ArtifactEntry[],
  options: FetchOptions,
): Promise<FetchResult[]> {
  const optionProblems = sourceOptionProblems(options);
  if (optionProblems.length > 0) throw optionsError(optionProblems);
  const unpinned = entries.filter((entry) => !isPinned(entry));
  if (unpinned.length > 0) throw unpinnedError(unpinned);
  const sourceless = entries.filter((entry) => sourcesFor(entry, options).length === 0);
  if (sourceless.length > 0) {
    throw optionsError(sourceless.map((entry) => `"${entry.name}" has no source: ${noSourceHint(entry)}`));
  }
  const results: FetchResult[] = [];
  for (const entry of entries) results.push(await fetchArtifact(entry, options));
  return results;
}

export async function fetchArtifact(entry: ArtifactEntry, options: FetchOptions): Promise<FetchResult> {
  if (!isPinned(entry)) throw unpinnedError([entry]);
  const optionProblems = sourceOptionProblems(options);
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(entry.file)) {
    optionProblems.push(`"${entry.name}" has file name "${entry.file}", which is not a plain file name`);
  }
  if (optionProblems.length > 0) throw optionsError(optionProblems);

  const context = new Context(entry, options);
  mkdirSync(options.dest, { recursive: true });

  if (sizeOf(context.target) !== null) {
    context.report('verifying', 'existing', context.target, 0);
    const digest = await sha256File(context.target);
    if (digest.sha256 === entry.sha256) {
      context.report('done', 'existing', context.target, digest.size);
      return context.result('existing', context.target, digest.size, 0, 0, []);
    }
    // A different file sits where the artifact goes (an older version): it is replaced once the new one verifies.
  }

  const sources = sourcesFor(entry, options);
  if (sources.length === 0) throw noSourceError(entry, noSourceHint(entry));
  const skipped: string[] = [];
  for (const source of sources) {
    const outcome =
      source.kind === 'local' ? await fromLocal(context, source.path) : await fromUrl(context, source);
    if (outcome.ok)
      return context.result(
        source.kind,
        where(source),
        outcome.size,
        outcome.transfers,
        outcome.resumedFrom,
        skipped,
      );
    skipped.push(`${describe(source)}: ${outcome.reason}`);
  }
  throw unavailableError(entry, skipped);
}

type Outcome =
  | { readonly ok: true; readonly size: number; readonly transfers: number; readonly resumedFrom: number }
  | { readonly ok: false; readonly reason: string };

class Context {
  readonly target: string;
  readonly part: string;
  readonly attempts: number;
  readonly retryDelayMs: number;
  readonly progressIntervalMs: number;
  readonly stallTimeoutMs: number;
  readonly curl: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly entry: PinnedEntry,
    private readonly options: FetchOptions,
  ) {
    this.target = posix.join(options.dest, entry.file);
    this.part = `${this.target}.part`;
    this.attempts = options.attempts ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 2000;
    this.progressIntervalMs = options.progressIntervalMs ?? 500;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 120_000;
    this.curl = options.curl ?? 'curl';
    this.env = options.env ?? process.env;
  }

  report(phase: ProgressPhase, source: SourceKind | 'existing', from: string, received: number): void {
    this.options.onProgress?.({
      artifact: this.entry.name,
      file: this.entry.file,
      phase,
      source,
      from,
      received,
      total: this.entry.size,
    });
  }

  result(
    source: SourceKind | 'existing',
    from: string,
    size: number,
    transfers: number,
    resumedFrom: number,
    skipped: readonly string[],
  ): FetchResult {
    return {
      name: this.entry.name,
      path: this.target,
      sha256: this.entry.sha256,
      size,
      source,
      from,
      transfers,
      resumedFrom,
      skipped,
    };
  }

  /** Hashes the part; renames it into place when it matches, else deletes it and returns the actual digest. */
  async verifyAndPlace(
    source: SourceKind,
    from: string,
  ): Promise<{ ok: true; size: number } | { ok: false; sha256: string; size: number }> {
    this.report('verifying', source, from, sizeOf(this.part) ?? 0);
    const digest = await sha256File(this.part);
    if (digest.sha256 !== this.entry.sha256) {
      rmSync(this.part, { force: true });
      return { ok: false, sha256: digest.sha256, size: digest.size };
    }
    renameSync(this.part, this.target);
    this.report('done', source, from, digest.size);
    return { ok: true, size: digest.size };
  }
}

async function fromLocal(context: Context, path: string): Promise<Outcome> {
  if (sizeOf(path) === null) return { ok: false, reason: 'no such file' };
  rmSync(context.part, { force: true });
  context.report('downloading', 'local', path, 0);
  copyFileSync(path, context.part, constants.COPYFILE_FICLONE);
  const verified = await context.verifyAndPlace('local', path);
  if (!verified.ok) {
    throw mismatchError({
      entry: context.entry,
      actual: verified.sha256,
      actualSize: verified.size,
      from: `local file ${path}`,
    });
  }
  return { ok: true, size: verified.size, transfers: 0, resumedFrom: 0 };
}

async function fromUrl(context: Context, source: Source & { url: string }): Promise<Outcome> {
  for (let fresh = false; ; fresh = true) {
    const transfer = await transferWithResume(context, source);
    if (!transfer.ok) return transfer;
    const verified = await context.verifyAndPlace(source.kind, source.url);
    if (verified.ok)
      return {
        ok: true,
        size: verified.size,
        transfers: transfer.transfers,
        resumedFrom: transfer.resumedFrom,
      };
    // The part was deleted. Bytes resumed from an earlier part may be what is wrong: try once from zero.
    if (transfer.resumedFrom > 0 && !fresh) continue;
    throw mismatchError({
      entry: context.entry,
      actual: verified.sha256,
      actualSize: verified.size,
      from: describe(source),
    });
  }
}

const MAX_TRANSFERS = 100;

async function transferWithResume(
  context: Context,
  source: Source & { url: string },
): Promise<{ ok: true; transfers: number; resumedFrom: number } | { ok: false; reason: string }> {
  const expected = context.entry.size;
  if (expected !== null && (sizeOf(context.part) ?? 0) > expected) rmSync(context.part, { force: true });
  const resumedFrom = sizeOf(context.part) ?? 0;
  let withoutProgress = 0;
  for (let transfers = 1; transfers <= MAX_TRANSFERS; transfers++) {
    const before = sizeOf(context.part) ?? 0;
    // Already complete (a finished part from an earlier run): nothing to ask the server.
    if (expected !== null && before === expected) return { ok: true, transfers: transfers - 1, resumedFrom };
    context.report('downloading', source.kind, source.url, before);
    const outcome = await watchedCurl(context, source);
    const after = sizeOf(context.part) ?? 0;
    const verdict = curlVerdict(outcome.code);
    if (verdict === 'done') {
      // curl has no part file when the body is empty; an empty artifact is still a file to verify.
      if (sizeOf(context.part) === null) closeEmpty(context.part);
      return { ok: true, transfers, resumedFrom };
    }
    const reason = curlReason(outcome);
    if (verdict === 'next-source') return { ok: false, reason };
    // A timeout with nothing received: curl already retried it; this source is not answering.
    if (outcome.code === 28 && after === before) return { ok: false, reason };
    if (verdict === 'restart') rmSync(context.part, { force: true });
    withoutProgress = verdict === 'resume' && after > before ? 0 : withoutProgress + 1;
    if (withoutProgress >= context.attempts) {
      return { ok: false, reason: `${reason}; gave up after ${context.attempts} attempts without progress` };
    }
    await new Promise((resolve) => setTimeout(resolve, context.retryDelayMs));
  }
  return { ok: false, reason: `still incomplete after ${MAX_TRANSFERS} resumed transfers` };
}

/** Runs curl while reporting progress, and stops it (keeping its bytes) when the part file stops growing. */
async function watchedCurl(context: Context, source: Source & { url: string }) {
  const controller = new AbortController();
  let lastSize = sizeOf(context.part) ?? 0;
  let lastGrowth = Date.now();
  const timer = setInterval(
    () => {
      const size = sizeOf(context.part) ?? 0;
      if (size !== lastSize) {
        lastSize = size;
        lastGrowth = Date.now();
      } else if (Date.now() - lastGrowth >= context.stallTimeoutMs) {
        controller.abort(
          `no data for ${Math.round(context.stallTimeoutMs / 1000)} s; transfer stopped to be resumed`,
        );
      }
      context.report('downloading', source.kind, source.url, size);
    },
    Math.min(context.progressIntervalMs, context.stallTimeoutMs),
  );
  try {
    return await runCurl(curlArguments(source.url, context.part), {
      curl: context.curl,
      env: context.env,
      signal: controller.signal,
    });
  } finally {
    clearInterval(timer);
  }
}

function closeEmpty(path: string): void {
  writeFileSync(path, '');
}

function curlReason(outcome: { code: number; stderr: string }): string {
  return outcome.stderr === ''
    ? `curl exited with code ${outcome.code}`
    : outcome.stderr.split('\n').slice(-2).join(' ');
}

function sizeOf(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

function where(source: Source): string {
  return source.kind === 'local' ? source.path : source.url;
}

function describe(source: Source): string {
  return source.kind === 'local' ? `local file ${source.path}` : `${source.kind} ${source.url}`;
}
